package io.postline.mail.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two Mailers, each with its own connection pool and queue object (as two JVMs), share one
 * table: 10,000 messages on PostgreSQL and on H2, a fifth of the sends failing at random, each
 * ends exactly once.
 */
// The budget is for CI on 2 cores shared by several builds (load 20 to 30: 190 to 250 s per
// database); the test is about every message ending exactly once, not about speed.
@Timeout(600)
class JdbcFleetTest {

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void twoMailersShareOneTableAndEveryMessageEndsExactlyOnce(String kind) throws Exception {
    int messages = 10_000;
    try (JdbcTestDatabase db = JdbcTestDatabase.of(kind, 12)) {
      TableProvider.createTable(db.dataSource);
      // For PostgreSQL a second pool, as a second JVM would have; H2 in memory lives in this JVM.
      try (var otherPool = kind.equals("h2") ? null : JdbcTestDatabase.pool(db.url, 12);
           JdbcMailQueue queueA = db.queue().build();
           JdbcMailQueue queueB = JdbcMailQueue.builder(otherPool != null ? otherPool : db.dataSource).build();
           Mailer a = mailer(db, queueA);
           Mailer b = mailer(db, queueB)) {
        Instant now = Instant.now();
        List<QueuedMail> batch = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
          Email email = Email.builder().from("shop@example.org").to("user" + i + "@example.org")
              .subject("fleet " + i).text("body").metadata("n", Integer.toString(i)).build();
          batch.add(new QueuedMail("fleet-" + i, email, 0, now, now, Optional.empty()));
        }
        queueA.enqueueBatch(batch.subList(0, messages / 2));
        queueB.enqueueBatch(batch.subList(messages / 2, messages));

        Awaitility.await("every message ends").atMost(Duration.ofSeconds(540)).pollInterval(Duration.ofMillis(250))
            .until(() -> queueA.counts().pending() == 0);
        assertThat(db.scalar("SELECT COUNT(*) FROM delivered")).as("sent, in all").isEqualTo(messages);
        assertThat(db.scalar("SELECT COUNT(DISTINCT n) FROM delivered")).as("each once").isEqualTo(messages);
        assertThat(queueA.counts().deadLettered()).isZero();
        assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue WHERE state = 3 AND attempts > 0"))
            .as("retries really happened").isGreaterThan(messages / 10);
      }
    }
  }

  private static Mailer mailer(JdbcTestDatabase db, JdbcMailQueue queue) {
    return Mailer.builder()
        .provider(new TableProvider(db.dataSource, java.time.Duration.ZERO, 0.2, ""))
        .queue(queue)
        .queueRetry(RetryPolicy.exponential(30, Duration.ofMillis(1)).withMaxDelay(Duration.ofMillis(20)))
        .workers(4)
        .build();
  }
}
