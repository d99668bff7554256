package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.outbox;
import static io.postline.mail.spring.TestSupport.runner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.postline.mail.FailureKind;
import io.postline.mail.core.Mailer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The postline health indicator and actuator endpoint. */
class HealthAndEndpointTest {

  private static final String[] TWO_PROVIDERS_FAST_BREAKERS = {
      "postline.mail.retry.max-attempts=1", "postline.mail.circuit-breaker.sliding-window-size=1",
      "postline.mail.circuit-breaker.minimum-number-of-calls=1",
      "postline.mail.circuit-breaker.wait-duration-in-open-state=1h"};

  @Test
  void upWithPerProviderDetails() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.providers.b.dsn=memory://" + outbox()).run(context -> {
          Health health = context.getBean(PostlineHealthIndicator.class).health();
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsEntry("status", "UP");
          @SuppressWarnings("unchecked")
          Map<String, Object> providers = (Map<String, Object>) health.getDetails().get("providers");
          assertThat(providers.keySet()).containsExactly("a", "b");
          assertThat(detail(providers, "a")).containsEntry("status", "UP").containsEntry("circuit", "CLOSED");
        });
  }

  @Test
  void upButDegradedWhileOneProviderIsDownAndDownWhenNoneCanSend() {
    String a = outbox();
    String b = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.providers.b.dsn=memory://" + b).withPropertyValues(TWO_PROVIDERS_FAST_BREAKERS).run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          PostlineHealthIndicator indicator = context.getBean(PostlineHealthIndicator.class);
          box(a).failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
          mailer.send(email("ann@example.org"));
          Health degraded = indicator.health();
          assertThat(degraded.getStatus()).isEqualTo(Status.UP);
          assertThat(degraded.getDetails()).containsEntry("status", "DEGRADED");
          @SuppressWarnings("unchecked")
          Map<String, Object> providers = (Map<String, Object>) degraded.getDetails().get("providers");
          assertThat(detail(providers, "a")).containsEntry("status", "DOWN").containsEntry("circuit", "OPEN");

          box(b).failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
          assertThatThrownBy(() -> mailer.send(email("ann@example.org"))).isNotNull();
          Health down = indicator.health();
          assertThat(down.getStatus()).isEqualTo(Status.DOWN);
          assertThat(down.getDetails()).containsEntry("status", "DOWN");
        });
  }

  @Test
  void registeredAsPostlineInTheHealthEndpoint() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "management.endpoint.health.show-details=always")
        .withConfiguration(AutoConfigurations.of(HealthContributorAutoConfiguration.class,
            HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class))
        .run(context -> {
          HealthDescriptor postline = context.getBean(HealthEndpoint.class).healthForPath("postline");
          assertThat(postline).isNotNull();
          assertThat(postline.getStatus()).isEqualTo(Status.UP);
          assertThat(((IndicatedHealthDescriptor) postline).getDetails()).containsKey("providers");
        });
  }

  @Test
  void healthIndicatorCanBeSwitchedOff() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "management.health.postline.enabled=false")
        .run(context -> assertThat(context).hasSingleBean(Mailer.class).doesNotHaveBean(PostlineHealthIndicator.class));
  }

  @Test
  void endpointOnlyWhenExposed() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .run(context -> assertThat(context).doesNotHaveBean(PostlineEndpoint.class));
  }

  @Test
  void endpointShowsCountsDeadLettersAuditTrailAndRequeuesAndPurges() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "management.endpoints.web.exposure.include=postline", "postline.mail.queue.retry.max-attempts=1")
        .run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          PostlineEndpoint endpoint = context.getBean(PostlineEndpoint.class);
          box(out).failNext(2, FailureKind.PERMANENT);
          String first = mailer.enqueue(email("ann@example.org")).id();
          String second = mailer.enqueue(email("bob@example.org")).id();
          await().atMost(Duration.ofSeconds(10)).until(() -> mailer.queueCounts().deadLettered() == 2);
          await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.audit(first) != null
              && endpoint.audit(first).status().equals("dead_lettered"));

          PostlineEndpoint.QueueReport report = endpoint.queue(null);
          assertThat(report.counts().deadLettered()).isEqualTo(2);
          assertThat(report.counts().ready()).containsOnlyKeys("HIGH", "NORMAL", "LOW");
          assertThat(report.deadLetters()).extracting(PostlineEndpoint.DeadLetterDescriptor::id)
              .containsExactlyInAnyOrder(first, second);
          assertThat(report.deadLetters()).flatExtracting(PostlineEndpoint.DeadLetterDescriptor::recipients)
              .containsExactlyInAnyOrder("a***@example.org", "b***@example.org");
          assertThat(report.deadLetters().get(0).kind()).isEqualTo("PERMANENT");
          assertThat(endpoint.queue(1).deadLetters()).hasSize(1);
          assertThatThrownBy(() -> endpoint.queue(5000)).isInstanceOf(InvalidEndpointRequestException.class);

          PostlineEndpoint.AuditTrail trail = endpoint.audit(first);
          assertThat(trail).isNotNull();
          assertThat(trail.status()).isEqualTo("dead_lettered");
          assertThat(trail.events()).extracting(e -> e.get("type")).contains("queued", "sending", "dead_lettered");
          assertThat(trail.events().get(0)).containsEntry("mailId", first).containsKey("timestamp");
          assertThat(endpoint.audit("no-such-id")).isNull();

          assertThat(endpoint.deadLetters("requeue", first).affected()).isEqualTo(1);
          box(out).awaitSent(1, Duration.ofSeconds(10));
          await().atMost(Duration.ofSeconds(10)).until(() -> mailer.queueCounts().deadLettered() == 1);
          await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.audit(first).status().equals("sent"));

          assertThat(endpoint.deadLetters("purge", "unknown").affected()).isZero();
          assertThat(endpoint.deadLetters("purge", null).affected()).isEqualTo(1);
          assertThat(endpoint.queue(null).counts().deadLettered()).isZero();
          assertThatThrownBy(() -> endpoint.deadLetters("explode", null))
              .isInstanceOf(InvalidEndpointRequestException.class);
        });
  }

  @Test
  void recipientsUnmaskedWhenConfigured() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "management.endpoints.web.exposure.include=postline", "postline.mail.queue.retry.max-attempts=1",
        "postline.mail.mask-recipients=false").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          box(out).failNext(1, FailureKind.PERMANENT);
          mailer.enqueue(email("ann@example.org"));
          await().atMost(Duration.ofSeconds(10)).until(() -> mailer.queueCounts().deadLettered() == 1);
          assertThat(context.getBean(PostlineEndpoint.class).queue(null).deadLetters().get(0).recipients())
              .containsExactly("ann@example.org");
        });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> detail(Map<String, Object> providers, String name) {
    return (Map<String, Object>) providers.get(name);
  }
}
