package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A redis-server of the test's own (AOF on) is stopped and started again while a Mailer works
 * its queue: nothing is lost, and the workers carry on by themselves.
 */
@Timeout(180)
class RedisRestartTest {
  private static final int BEFORE = 400;
  private static final int AFTER = 200;
  private static final int WORKERS = 4;

  private static Email email(int n) {
    return Email.builder().from("shop@example.org").to("user" + n + "@example.org").subject("restart " + n)
        .text("body").metadata("n", Integer.toString(n)).build();
  }

  @Test
  void workersCarryOnAfterRedisRestartsAndNothingIsLost() throws Exception {
    try (RedisServerProcess redis = new RedisServerProcess()) {
      redis.start();
      InMemoryProvider provider = new InMemoryProvider("memory").latency(Duration.ofMillis(25));
      RedisMailQueue queue = RedisMailQueue.builder(redis.url()).keyPrefix("restart").name("mail")
          .pollInterval(Duration.ofMillis(500)).build();
      try (Mailer mailer = Mailer.builder().provider(provider).queue(queue).workers(WORKERS)
          .leaseDuration(Duration.ofSeconds(3)).build()) {
        for (int i = 0; i < BEFORE; i++) {
          mailer.enqueue(email(i));
        }
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> provider.sent().size() >= 50);

        redis.stop();
        int sentWhileDown = provider.sent().size();
        assertThat(sentWhileDown).as("the restart happens mid-run").isLessThan(BEFORE);
        redis.start();

        for (int i = BEFORE; i < BEFORE + AFTER; i++) {
          mailer.enqueue(email(i));
        }
        Awaitility.await("every message delivered after the restart").atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> provider.sent().stream().map(e -> e.metadata().get("n")).distinct().count() == BEFORE + AFTER);

        Map<String, Integer> deliveries = new HashMap<>();
        provider.sent().forEach(e -> deliveries.merge(e.metadata().get("n"), 1, Integer::sum));
        assertThat(deliveries).hasSize(BEFORE + AFTER);
        int duplicates = provider.sent().size() - deliveries.size();
        assertThat(duplicates).as("duplicates, at most one per worker in flight").isLessThanOrEqualTo(WORKERS);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> queue.counts().pending() == 0);
        assertThat(queue.counts().deadLettered()).isZero();
      }
    }
  }
}
