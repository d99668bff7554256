package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.postline.mail.Email;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import io.postline.mail.event.MailEvent;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two Mailers, each on its own Redis client (as two JVMs), sharing the queue, the idempotency
 * store, the audit log and the rate limits.
 */
@Timeout(120)
class TwoMailersTest {
  private String prefix;
  private RedisClient clientA;
  private RedisClient clientB;
  private InMemoryProvider providerA;
  private InMemoryProvider providerB;
  private Mailer mailerA;
  private Mailer mailerB;

  @BeforeEach
  void setUp() {
    prefix = RedisTestSupport.uniquePrefix();
    clientA = RedisTestSupport.client();
    clientB = RedisTestSupport.client();
    providerA = new InMemoryProvider("memory");
    providerB = new InMemoryProvider("memory");
    mailerA = mailer(clientA, providerA);
    mailerB = mailer(clientB, providerB);
  }

  private Mailer mailer(RedisClient client, InMemoryProvider provider) {
    return Mailer.builder()
        .provider(provider)
        .queue(RedisMailQueue.builder(client).keyPrefix(prefix).name("two").build())
        .workers(2)
        .idempotency(RedisIdempotencyStore.builder(client).keyPrefix(prefix).build())
        .audit(RedisAuditLog.builder(client).keyPrefix(prefix).build())
        .rateLimitBackend(RedisRateLimitBackend.builder(client).keyPrefix(prefix).build())
        .rateLimit("memory", 5, Duration.ofHours(1))
        .build();
  }

  @AfterEach
  void tearDown() {
    mailerA.close();
    mailerB.close();
    RedisTestSupport.cleanup(clientA, prefix);
    clientA.shutdown();
    clientB.shutdown();
  }

  private static Email email(int n, String key) {
    Email.Builder b = Email.builder().from("shop@example.org").to("user" + n + "@example.org").subject("two " + n)
        .text("body").metadata("n", Integer.toString(n));
    return key == null ? b.build() : b.idempotencyKey(key).build();
  }

  @Test
  void aDuplicateSubmittedToTheOtherMailerIsDroppedAndItsStoryIsFoundFromBoth() {
    Receipt first = mailerA.enqueue(email(1, "welcome-42"));
    Receipt again = mailerB.enqueue(email(1, "welcome-42"));

    assertThat(first.duplicate()).isFalse();
    assertThat(again.duplicate()).isTrue();
    assertThat(again.id()).isEqualTo(first.id());
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> providerA.sent().size() + providerB.sent().size() == 1);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> mailerB.audit().find(first.id()).stream()
        .anyMatch(e -> e instanceof MailEvent.Sent));
    List<MailEvent> story = mailerB.audit().find(first.id());
    assertThat(story.get(0)).isInstanceOf(MailEvent.Queued.class);
    assertThat(mailerA.audit().find(first.id())).isEqualTo(story);
    assertThat(providerA.sent().size() + providerB.sent().size()).as("sent once").isEqualTo(1);
  }

  @Test
  void bothMailersTogetherStayWithinOneProvidersLimit() {
    for (int i = 0; i < 8; i++) {
      mailerA.enqueue(email(i, null));
      mailerB.enqueue(email(100 + i, null));
    }

    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> providerA.sent().size() + providerB.sent().size() >= 5);
    Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
        .until(() -> providerA.sent().size() + providerB.sent().size() == 5);
    assertThat(mailerA.queueCounts().pending()).as("the rest wait in the queue").isEqualTo(11);
  }
}
