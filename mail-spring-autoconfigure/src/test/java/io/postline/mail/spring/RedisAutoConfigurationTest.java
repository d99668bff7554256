package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.REDIS_URL;
import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.emailBuilder;
import static io.postline.mail.spring.TestSupport.outbox;
import static io.postline.mail.spring.TestSupport.runner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.postline.mail.Recipient;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import io.postline.mail.event.MailEvent;
import io.postline.mail.queue.redis.RedisAuditLog;
import io.postline.mail.queue.redis.RedisIdempotencyStore;
import io.postline.mail.queue.redis.RedisMailQueue;
import io.postline.mail.queue.redis.RedisRateLimitBackend;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** queue: redis, from Postline's own URL or the application's Lettuce connection factory (needs Redis at REDIS_URL). */
class RedisAutoConfigurationTest {
  private final String prefix = "pltest-spring-" + UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void deleteKeys() {
    TestSupport.deleteKeys(prefix);
  }

  @Test
  void queueAndStoresOnPostlinesOwnRedis() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.providers.a.rate-limit.permits=100", "postline.mail.queue.type=redis",
        "postline.mail.redis.url=" + REDIS_URL, "postline.mail.redis.key-prefix=" + prefix,
        "postline.mail.queue.name=q1").run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(RedisIdempotencyStore.class);
          assertThat(context.getBean(AuditLog.class)).isInstanceOf(RedisAuditLog.class);
          assertThat(context.getBean(PostlineRedis.class).ownsClient()).isTrue();
          Mailer mailer = context.getBean(Mailer.class);
          Receipt later = mailer.enqueue(emailBuilder("ann@example.org").sendAt(Instant.now().plus(Duration.ofHours(1))).build());
          assertThat(mailer.queueCounts().scheduled()).isEqualTo(1);
          Receipt now = mailer.enqueue(emailBuilder("bob@example.org").idempotencyKey("once").build());
          assertThat(mailer.enqueue(emailBuilder("bob@example.org").idempotencyKey("once").build()).duplicate()).isTrue();
          box(out).awaitSent(1, Duration.ofSeconds(10));
          await().atMost(Duration.ofSeconds(10)).until(() -> mailer.audit().find(now.id()).stream()
              .anyMatch(e -> e instanceof MailEvent.Sent));
          assertThat(mailer.audit().find(later.id())).isNotEmpty();
          assertThat(keys()).anyMatch(k -> k.contains("{q1}"));
        });
  }

  @Test
  void sharedGroupBodiesStoreAGroupsBodyOnce() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.queue.type=redis",
        "postline.mail.queue.workers=0", "postline.mail.queue.shared-group-bodies=true",
        "postline.mail.redis.url=" + REDIS_URL, "postline.mail.redis.key-prefix=" + prefix).run(context -> {
          assertThat(context).hasNotFailed();
          context.getBean(Mailer.class).enqueueBatch(email("ann@example.org"),
              List.of(Recipient.of("bob@example.org", Map.of()), Recipient.of("cy@example.org", Map.of())));
          assertThat(keys()).as("one shared body for the group").filteredOn(k -> k.contains(":g:")).hasSize(1);
        });
  }

  @Test
  void closingTheContextClosesTheQueueBucketsAndClientItCreatedAfterTheMailer() {
    PostlineMailerResources[] resources = new PostlineMailerResources[1];
    PostlineRedis[] redis = new PostlineRedis[1];
    MailQueue[] queue = new MailQueue[1];
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.providers.a.rate-limit.permits=100", "postline.mail.queue.type=redis",
        "postline.mail.redis.url=" + REDIS_URL, "postline.mail.redis.key-prefix=" + prefix).run(context -> {
          assertThat(context).hasNotFailed();
          resources[0] = context.getBean(PostlineMailerResources.class);
          redis[0] = context.getBean(PostlineRedis.class);
          assertThat(redis[0].ownsClient()).isTrue();
          // Postline's Redis first, so closed last: its client outlives the queue and buckets on it.
          assertThat(resources[0].owned()).last().isSameAs(redis[0]);
          assertThat(resources[0].owned()).hasAtLeastOneElementOfType(RedisMailQueue.class)
              .hasAtLeastOneElementOfType(RedisRateLimitBackend.class);
          queue[0] = resources[0].owned().stream().filter(MailQueue.class::isInstance).map(MailQueue.class::cast)
              .findFirst().orElseThrow();
        });
    assertThat(resources[0].owned()).isEmpty();
    assertThat(redis[0].ownsClient()).isFalse();
    assertThatThrownBy(() -> queue[0].take(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void queueOnTheApplicationsLettuceConnectionFactory() {
    String out = outbox();
    runner().withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.url=" + REDIS_URL, "postline.mail.providers.a.dsn=memory://" + out,
            "postline.mail.queue.type=redis", "postline.mail.redis.key-prefix=" + prefix).run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(LettuceConnectionFactory.class);
          assertThat(context.getBean(PostlineRedis.class).ownsClient()).isFalse();
          Mailer mailer = context.getBean(Mailer.class);
          mailer.enqueue(email("ann@example.org"));
          box(out).awaitSent(1, Duration.ofSeconds(10));
          assertThat(keys()).isNotEmpty();
        });
  }

  @Test
  void storesOnRedisWhileTheQueueStaysInMemory() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.redis.url=" + REDIS_URL, "postline.mail.redis.key-prefix=" + prefix,
        "postline.mail.idempotency.store=redis", "postline.mail.audit.store=redis").run(context -> {
          assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(RedisIdempotencyStore.class);
          assertThat(context.getBean(AuditLog.class)).isInstanceOf(RedisAuditLog.class);
          assertThat(context.getBean(Mailer.class).queueCounts().pending()).isZero();
        });
  }

  @Test
  void badRedisSettingsNameTheirProperty() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.queue.type=redis",
        "postline.mail.redis.url=" + REDIS_URL, "postline.mail.redis.key-prefix=" + prefix,
        "postline.mail.queue.name=bad name!").run(context ->
        assertThat(InvalidPropertiesTest.cause(context.getStartupFailure()).property()).isEqualTo("postline.mail.queue.name"));
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.queue.type=redis",
        "postline.mail.redis.url=" + REDIS_URL, "postline.mail.redis.key-prefix=" + prefix,
        "postline.mail.redis.encryption-keys=k1:not-base64!").run(context ->
        assertThat(InvalidPropertiesTest.cause(context.getStartupFailure()).property())
            .isEqualTo("postline.mail.redis.encryption-keys"));
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.queue.type=redis",
        "postline.mail.redis.url=http://:pw@nowhere").run(context -> {
          InvalidPostlinePropertyException e = InvalidPropertiesTest.cause(context.getStartupFailure());
          assertThat(e.property()).isEqualTo("postline.mail.redis.url");
          assertThat(e.getMessage()).doesNotContain(":pw@");
        });
  }

  private List<String> keys() {
    RedisClient client = RedisClient.create(REDIS_URL);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      return c.sync().keys(prefix + "*");
    } finally {
      client.shutdown();
    }
  }
}
