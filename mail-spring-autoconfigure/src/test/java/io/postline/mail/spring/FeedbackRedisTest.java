package io.postline.mail.spring;

import static io.postline.mail.spring.FeedbackEndpointsTest.HASH_KEY;
import static io.postline.mail.spring.FeedbackEndpointsTest.MAILGUN_KEY;
import static io.postline.mail.spring.FeedbackEndpointsTest.SENDGRID;
import static io.postline.mail.spring.FeedbackEndpointsTest.postSendGrid;
import static io.postline.mail.spring.FeedbackEndpointsTest.sendGridBody;
import static io.postline.mail.spring.FeedbackEndpointsTest.mailgunBody;
import static io.postline.mail.spring.FeedbackEndpointsTest.mvc;
import static io.postline.mail.spring.FeedbackEndpointsTest.postMailgun;
import static io.postline.mail.spring.TestSupport.REDIS_URL;
import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.outbox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.RecipientsSuppressedException;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.feedback.DeliveryEvent;
import io.postline.mail.feedback.SendGridSigner;
import io.postline.mail.queue.redis.RedisSuppressionList;
import io.postline.mail.spring.FeedbackEndpointsTest.EventRecorder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;

/** suppression.store=redis: two application instances on one Redis share the suppression list (needs Redis at REDIS_URL). */
class FeedbackRedisTest {
  private final String prefix = "pltest-fbredis-" + UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void deleteKeys() {
    TestSupport.deleteKeys(prefix);
  }

  WebApplicationContextRunner instance(String outbox) {
    return new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
            PostlineFeedbackAutoConfiguration.class, PostlineEndpointAutoConfiguration.class))
        .withPropertyValues("postline.mail.providers.main.dsn=memory://" + outbox,
            "postline.mail.redis.url=" + REDIS_URL,
            "postline.mail.redis.key-prefix=" + prefix,
            "postline.mail.suppression.store=redis",
            "postline.mail.suppression.hash-key=" + HASH_KEY,
            "postline.mail.webhooks.mailgun.signing-key=" + MAILGUN_KEY,
            "postline.mail.webhooks.sendgrid.verification-key=" + SendGridSigner.verificationKey(SENDGRID),
            "management.endpoints.web.exposure.include=postline");
  }

  @Test
  void aRequestAcceptedByOneInstanceIsAReplayForTheOthers() {
    String outboxA = outbox();
    String outboxB = outbox();
    // No replay-store property: the fleet shares the memory on Redis as it shares the suppression list.
    instance(outboxA).withPropertyValues("postline.mail.suppression.store=memory", "postline.mail.queue.type=redis")
        .withUserConfiguration(EventRecorder.class).run(a -> instance(outboxB)
        .withPropertyValues("postline.mail.webhooks.replay-store=redis").withUserConfiguration(EventRecorder.class)
        .run(b -> {
          String ts = Long.toString(Instant.now().getEpochSecond());
          byte[] body = sendGridBody("bounce", ",\"type\":\"bounce\"").getBytes(StandardCharsets.UTF_8);
          assertThat(postSendGrid(mvc(a), SENDGRID, ts, body, body)).isEqualTo(200);
          assertThat(a.getBean(EventRecorder.class).events).hasSize(1);

          assertThat(postSendGrid(mvc(b), SENDGRID, ts, body, body)).as("a replay is answered 200").isEqualTo(200);
          assertThat(b.getBean(EventRecorder.class).events).as("and not applied again").isEmpty();

          String token = UUID.randomUUID().toString().replace("-", "") + "0123456789abcdefgh";
          String mailgun = mailgunBody(MAILGUN_KEY, Instant.now().getEpochSecond(), token, "bob@example.org");
          assertThat(postMailgun(mvc(b), mailgun)).isEqualTo(200);
          assertThat(postMailgun(mvc(a), mailgun)).isEqualTo(200);
          assertThat(a.getBean(EventRecorder.class).events).hasSize(1);
          assertThat(b.getBean(EventRecorder.class).events).hasSize(1);
          assertThat(replayKeys()).as("both providers' keys, under the prefix, apart from the mail's").hasSize(2)
              .allMatch(k -> k.startsWith(prefix + ":webhooks:idem:"));
        }));
  }

  @Test
  void aRetryReachingAnotherInstanceWhileTheFirstIsStillApplyingIsAnswered503NotAcknowledged() {
    CountDownLatch applying = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // Instance a applies slowly: its listener (called while the events are applied) waits.
    ApplicationListener<ApplicationEvent> slow = e -> {
      if (e instanceof PayloadApplicationEvent<?> p && p.getPayload() instanceof DeliveryEvent) {
        applying.countDown();
        await(release);
      }
    };
    ExecutorService firstDelivery = Executors.newSingleThreadExecutor();
    try {
      instance(outbox()).withPropertyValues("postline.mail.webhooks.replay-store=redis")
          .withBean("slowListener", ApplicationListener.class, () -> slow).run(a -> instance(outbox())
          .withPropertyValues("postline.mail.webhooks.replay-store=redis")
          .withUserConfiguration(EventRecorder.class).run(b -> {
            String token = UUID.randomUUID().toString().replace("-", "") + "0123456789abcdefgh";
            String body = mailgunBody(MAILGUN_KEY, Instant.now().getEpochSecond(), token, "ann@example.org");
            Future<Integer> first = firstDelivery.submit(() -> postMailgun(mvc(a), body));
            await(applying);

            assertThat(postMailgun(mvc(b), body)).as("Mailgun retries a 503, not a 200").isEqualTo(503);
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(200);
            assertThat(postMailgun(mvc(b), body)).as("now a replay").isEqualTo(200);
            assertThat(b.getBean(EventRecorder.class).events).as("never applied twice").isEmpty();
          }));
    } finally {
      release.countDown();
      firstDelivery.shutdownNow();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(10, TimeUnit.SECONDS)).as("the other delivery got there").isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aSharedSuppressionListSharesTheReplayMemoryTooWithoutAQueueOnRedis() {
    // No queue type, no replay-store: the suppression list on Redis says these instances are a fleet.
    instance(outbox()).withUserConfiguration(EventRecorder.class).run(a -> instance(outbox())
        .withUserConfiguration(EventRecorder.class).run(b -> {
          String ts = Long.toString(Instant.now().getEpochSecond());
          byte[] body = sendGridBody("bounce", ",\"type\":\"bounce\"").getBytes(StandardCharsets.UTF_8);
          assertThat(postSendGrid(mvc(a), SENDGRID, ts, body, body)).isEqualTo(200);
          assertThat(postSendGrid(mvc(b), SENDGRID, ts, body, body)).as("a replay for the other instance").isEqualTo(200);
          assertThat(a.getBean(EventRecorder.class).events).hasSize(1);
          assertThat(b.getBean(EventRecorder.class).events).as("not applied again").isEmpty();
          assertThat(replayKeys()).hasSize(1);
        }));
  }

  @Test
  void eachInstanceRemembersOnItsOwnWithTheMemoryStore() {
    instance(outbox()).withPropertyValues("postline.mail.webhooks.replay-store=memory")
        .run(context -> {
          String ts = Long.toString(Instant.now().getEpochSecond());
          byte[] body = sendGridBody("delivered", "").getBytes(StandardCharsets.UTF_8);
          assertThat(postSendGrid(mvc(context), SENDGRID, ts, body, body)).isEqualTo(200);
          assertThat(replayKeys()).isEmpty();
        });
  }

  private List<String> replayKeys() {
    return TestSupport.keys(prefix + ":webhooks:*");
  }

  @Test
  void theApplicationsOwnListWinsOverTheRedisOne() {
    instance(outbox()).withBean(SuppressionList.class, () -> SuppressionList.inMemory(
            io.postline.mail.core.AddressHasher.hmacSha256(java.util.Base64.getDecoder().decode(HASH_KEY)),
            java.time.Clock.systemUTC()))
        .run(context -> assertThat(context.getBean(SuppressionList.class))
            .isNotInstanceOf(RedisSuppressionList.class));
  }
}
