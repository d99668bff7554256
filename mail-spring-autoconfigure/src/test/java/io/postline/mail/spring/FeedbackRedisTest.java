package io.postline.mail.spring;

import static io.postline.mail.spring.FeedbackEndpointsTest.HASH_KEY;
import static io.postline.mail.spring.FeedbackEndpointsTest.MAILGUN_KEY;
import static io.postline.mail.spring.FeedbackEndpointsTest.mailgunBody;
import static io.postline.mail.spring.FeedbackEndpointsTest.mvc;
import static io.postline.mail.spring.FeedbackEndpointsTest.postMailgun;
import static io.postline.mail.spring.TestSupport.REDIS_URL;
import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.outbox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.postline.mail.RecipientsSuppressedException;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.queue.redis.RedisSuppressionList;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

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
            "management.endpoints.web.exposure.include=postline");
  }

  @Test
  void aBounceReceivedByOneInstanceStopsTheOtherInstancesMailer() {
    String outboxA = outbox();
    String outboxB = outbox();
    instance(outboxA).run(a -> instance(outboxB).run(b -> {
      assertThat(a.getBean(SuppressionList.class)).isInstanceOf(RedisSuppressionList.class);
      assertThat(b.getBean(SuppressionList.class)).isNotSameAs(a.getBean(SuppressionList.class));
      String token = UUID.randomUUID().toString().replace("-", "") + "0123456789abcdefgh";
      assertThat(postMailgun(mvc(a), mailgunBody(MAILGUN_KEY, Instant.now().getEpochSecond(), token,
          "ann@example.org"))).isEqualTo(200);

      Mailer mailerB = b.getBean(Mailer.class);
      assertThatThrownBy(() -> mailerB.send(email("ann@example.org"))).isInstanceOf(RecipientsSuppressedException.class);
      mailerB.send(email("bob@example.org"));
      assertThat(box(outboxB).sent()).hasSize(1);
      assertThat(b.getBean(PostlineEndpoint.class).queue(0).suppressions())
          .isEqualTo(new PostlineEndpoint.Suppressions(1));
    }));
    assertThat(box(outboxA).sent()).isEmpty();
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
