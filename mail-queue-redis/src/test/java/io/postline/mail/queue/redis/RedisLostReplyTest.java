package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.postline.mail.Email;
import io.postline.mail.MailException;
import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.Priority;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Lease;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.Receipt;
import io.postline.mail.tck.DroppingProxy;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An enqueue whose script ran in Redis but whose reply was lost (a proxy drops the connection
 * once Redis answered) is reported as an unknown outcome with the mail id, is stored once, and
 * can be enqueued again without storing anything new.
 */
@Timeout(90)
class RedisLostReplyTest {
  private final String prefix = RedisTestSupport.uniquePrefix();
  private final String marker = "lost-reply-" + UUID.randomUUID();
  private DroppingProxy proxy;
  private RedisClient viaProxy;
  private RedisClient direct;

  @BeforeEach
  void start() throws Exception {
    proxy = RedisTestSupport.droppingProxy();
    viaProxy = RedisTestSupport.client(proxy);
    direct = RedisTestSupport.client();
  }

  @AfterEach
  void stop() throws Exception {
    viaProxy.shutdown();
    proxy.close();
    RedisTestSupport.cleanup(direct, prefix);
    direct.shutdown();
  }

  private RedisMailQueue queue(RedisClient client) {
    return RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").operationTimeout(Duration.ofSeconds(2))
        .build();
  }

  private QueuedMail mail(String id) {
    Instant now = Instant.now();
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject(marker).text("hello")
        .build();
    return new QueuedMail(id, email, 0, now, now, Optional.empty());
  }

  @Test
  void aLostEnqueueReplyIsAnUnknownOutcomeWithTheIdAndTheMessageIsStoredOnce() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy); RedisMailQueue observer = queue(direct)) {
      QueuedMail mail = mail("lost-1");
      proxy.dropRepliesTo(marker);

      assertThatThrownBy(() -> queue.enqueue(mail))
          .isInstanceOfSatisfying(MailOutcomeUnknownException.class,
              e -> assertThat(e.mailId()).isEqualTo("lost-1"))
          .hasMessageContaining("lost-1").hasMessageNotContaining("hello");
      assertThat(proxy.dropped()).isPositive();
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(1);

      proxy.passThrough();
      queue.enqueue(mail);
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(1);

      Lease lease = observer.take(Duration.ofSeconds(5), Duration.ofSeconds(30)).orElseThrow();
      assertThat(lease.id()).isEqualTo("lost-1");
      assertThat(observer.take(Duration.ZERO, Duration.ofSeconds(30))).isEmpty();
      assertThat(observer.ack(lease)).isTrue();

      // Finished and still on record: enqueuing it again stores nothing.
      queue.enqueue(mail);
      observer.enqueueBatch(java.util.List.of(mail));
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isZero();
      assertThat(observer.take(Duration.ZERO, Duration.ofSeconds(30))).isEmpty();
    }
  }

  @Test
  void aLostBatchReplyIsAnUnknownOutcomeAndTheBatchIsStoredOnce() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy); RedisMailQueue observer = queue(direct)) {
      java.util.List<QueuedMail> batch = java.util.List.of(mail("b-1"), mail("b-2"), mail("b-3"));
      proxy.dropRepliesTo(marker);

      assertThatThrownBy(() -> queue.enqueueBatch(batch))
          .isInstanceOfSatisfying(MailOutcomeUnknownException.class, e -> assertThat(e.mailId()).isEqualTo("b-1"));

      proxy.passThrough();
      queue.enqueueBatch(batch);
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(3);
      assertThat(observer.take(10, Duration.ofSeconds(5), Duration.ofSeconds(30)))
          .extracting(Lease::id).containsExactly("b-1", "b-2", "b-3");
    }
  }

  @Test
  void throughAMailerTheIdempotencyKeyMakesTheRetryADuplicateAndTheMailIsSentOnce() throws Exception {
    InMemoryProvider provider = new InMemoryProvider("m");
    try (RedisMailQueue queue = queue(viaProxy);
        Mailer mailer = Mailer.builder().provider(provider).queue(queue).build()) {
      Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject(marker).text("hello")
          .idempotencyKey("k").build();
      proxy.dropRepliesTo(marker);

      MailOutcomeUnknownException unknown = (MailOutcomeUnknownException) org.assertj.core.api.Assertions
          .catchThrowable(() -> mailer.enqueue(email));
      assertThat(unknown).isInstanceOf(MailOutcomeUnknownException.class);
      assertThat(unknown.mailId()).isNotBlank();

      proxy.passThrough();
      Receipt again = mailer.enqueue(email);
      assertThat(again.duplicate()).isTrue();
      assertThat(again.id()).isEqualTo(unknown.mailId());

      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> provider.sent().size() >= 1);
      try (RedisMailQueue observer = queue(direct)) {
        Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> observer.counts().leased() == 0 && observer.counts().ready().get(Priority.NORMAL) == 0);
      }
      assertThat(provider.sent()).hasSize(1);
    }
  }

  @Test
  void aRefusedWriteWhoseOutcomeIsKnownIsAPlainMailExceptionSayingNothingWasStored() throws Exception {
    try (RedisServerProcess redis = new RedisServerProcess("--maxmemory", "1mb", "--maxmemory-policy", "noeviction")) {
      redis.start();
      RedisClient client = RedisTestSupport.client(redis.url());
      try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build()) {
        // Fill Redis past its limit with keys outside the queue.
        try (var c = client.connect()) {
          String big = "x".repeat(1_000);
          for (int i = 0; i < 5_000; i++) {
            try {
              c.sync().set(prefix + ":filler:" + i, big);
            } catch (RuntimeException full) {
              break;
            }
          }
        }
        assertThatThrownBy(() -> queue.enqueue(mail("oom-1")))
            .isInstanceOf(MailException.class)
            .isNotInstanceOf(MailOutcomeUnknownException.class)
            .isNotInstanceOf(RedisUnavailableException.class)
            .hasMessageContaining("OOM").hasMessageContaining("nothing was stored");
        assertThat(queue.counts().ready().get(Priority.NORMAL)).isZero();
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void aTakeWhoseReplyWasLostGetsItsLeasesBackOnTheRetryInsteadOfNewOnes() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy); RedisMailQueue observer = queue(direct)) {
      observer.enqueueBatch(java.util.List.of(mail("t-1"), mail("t-2"), mail("t-3"), mail("t-4")));
      // Every request of this queue names its keys: the take's reply is dropped until one was.
      proxy.dropRepliesTo(prefix);
      java.util.concurrent.CompletableFuture<Void> heal = java.util.concurrent.CompletableFuture.runAsync(() -> {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> proxy.dropped() > 0);
        proxy.passThrough();
      });

      java.util.List<Lease> leases = queue.take(3, Duration.ofSeconds(30), Duration.ofSeconds(30));
      heal.join();

      // The lost try leased t-1..t-3; its retry says so and gets those leases, not t-4.
      assertThat(leases).extracting(Lease::id).containsExactly("t-1", "t-2", "t-3");
      assertThat(observer.counts().leased()).isEqualTo(3);
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(1);
      for (Lease lease : leases) {
        assertThat(queue.ack(lease)).as("the tokens returned are the current ones").isTrue();
      }
    }
  }
}
