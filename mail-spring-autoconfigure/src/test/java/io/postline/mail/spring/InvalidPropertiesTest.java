package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.outbox;
import static io.postline.mail.spring.TestSupport.runner;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.io.support.SpringFactoriesLoader;

/** Every property reaches the core: a value the core rejects stops start-up naming that property. */
class InvalidPropertiesTest {

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "postline.mail.providers.a.weight|0|postline.mail.providers.a.weight",
      "postline.mail.providers.a.rate-limit.permits|0|postline.mail.providers.a.rate-limit",
      "postline.mail.providers.a.rate-limit.period|0s|postline.mail.providers.a.rate-limit",
      "postline.mail.providers.a.timeout|0s|postline.mail.providers.a.timeout",
      "postline.mail.routing.order|a,nope|postline.mail.routing.order",
      "postline.mail.routing.rules[0].providers|nope|postline.mail.routing.rules[0].providers",
      "postline.mail.retry.max-attempts|0|postline.mail.retry.max-attempts",
      "postline.mail.retry.initial-delay|0s|postline.mail.retry.max-attempts",
      "postline.mail.retry.multiplier|0.5|postline.mail.retry.multiplier",
      "postline.mail.retry.max-delay|1ms|postline.mail.retry.max-delay",
      "postline.mail.retry.jitter|2|postline.mail.retry.jitter",
      "postline.mail.retry.deadline|0s|postline.mail.retry.deadline",
      "postline.mail.queue.retry.max-attempts|0|postline.mail.queue.retry.max-attempts",
      "postline.mail.queue.retry.multiplier|0|postline.mail.queue.retry.multiplier",
      "postline.mail.queue.retry.max-delay|1ms|postline.mail.queue.retry.max-delay",
      "postline.mail.queue.retry.jitter|-1|postline.mail.queue.retry.jitter",
      "postline.mail.circuit-breaker.failure-rate-threshold|0|postline.mail.circuit-breaker.failure-rate-threshold",
      "postline.mail.circuit-breaker.sliding-window-size|0|postline.mail.circuit-breaker.sliding-window-size",
      "postline.mail.circuit-breaker.minimum-number-of-calls|0|postline.mail.circuit-breaker.minimum-number-of-calls",
      "postline.mail.circuit-breaker.wait-duration-in-open-state|0s|postline.mail.circuit-breaker.wait-duration-in-open-state",
      "postline.mail.circuit-breaker.permitted-number-of-calls-in-half-open-state|0|postline.mail.circuit-breaker.permitted-number-of-calls-in-half-open-state",
      "postline.mail.providers.a.circuit-breaker.failure-rate-threshold|101|postline.mail.providers.a.circuit-breaker.failure-rate-threshold",
      "postline.mail.providers.a.circuit-breaker.sliding-window-size|0|postline.mail.providers.a.circuit-breaker.sliding-window-size",
      "postline.mail.providers.a.circuit-breaker.minimum-number-of-calls|21|postline.mail.providers.a.circuit-breaker.minimum-number-of-calls",
      "postline.mail.providers.a.circuit-breaker.wait-duration-in-open-state|0s|postline.mail.providers.a.circuit-breaker.wait-duration-in-open-state",
      "postline.mail.providers.a.circuit-breaker.permitted-number-of-calls-in-half-open-state|0|postline.mail.providers.a.circuit-breaker.permitted-number-of-calls-in-half-open-state",
      "postline.mail.rate-limits.max-wait|-1s|postline.mail.rate-limits.max-wait",
      "postline.mail.templates.cache-size|0|postline.mail.templates.cache-size",
      "postline.mail.queue.capacity|0|postline.mail.queue.capacity",
      "postline.mail.queue.workers|-1|postline.mail.queue.workers",
      "postline.mail.queue.lease-duration|1ms|postline.mail.queue.lease-duration",
      "postline.mail.idempotency.window|0s|postline.mail.idempotency.window",
      "postline.mail.audit.retention|0s|postline.mail.audit.retention",
      "postline.mail.audit.max-messages|0|postline.mail.audit.max-messages",
      "postline.mail.correlation-key|' '|postline.mail.correlation-key",
      "postline.mail.health-timeout|0s|postline.mail.health-timeout",
      "postline.mail.close-timeout|-1s|postline.mail.close-timeout",
  })
  void aRejectedValueNamesItsProperty(String property, String value, String named) {
    String[] extra = property.startsWith("postline.mail.routing.rules")
        ? new String[] {"postline.mail.routing.rules[0].tag=news"}
        : property.endsWith("rate-limit.period") ? new String[] {"postline.mail.providers.a.rate-limit.permits=5"}
        : new String[0];
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), property + "=" + value)
        .withPropertyValues(extra)
        .run(context -> {
          assertThat(context).hasFailed();
          InvalidPostlinePropertyException e = cause(context.getStartupFailure());
          assertThat(e.property()).isEqualTo(named);
        });
  }

  @Test
  void aBadDsnNamesThePropertyWithoutTheSecret() {
    runner().withPropertyValues("postline.mail.providers.primary.dsn=smtp://user:s3cret@host:99999").run(context -> {
      InvalidPostlinePropertyException e = cause(context.getStartupFailure());
      assertThat(e.property()).isEqualTo("postline.mail.providers.primary.dsn");
      assertThat(e.reason()).contains("port");
      FailureAnalysis analysis = analyze(context.getStartupFailure());
      assertThat(analysis.getDescription()).contains("postline.mail.providers.primary.dsn").contains("port")
          .doesNotContain("s3cret");
      assertThat(analysis.getAction()).contains("postline.mail.providers.primary.dsn");
    });
    runner().withPropertyValues("postline.mail.providers.primary.dsn=not a dsn").run(context ->
        assertThat(cause(context.getStartupFailure()).property()).isEqualTo("postline.mail.providers.primary.dsn"));
  }

  @Test
  void anUnknownSchemeNamesThePropertyAndTheSchemesThereAre() {
    runner().withPropertyValues("postline.mail.providers.primary.dsn=carrier-pigeon://user:s3cret@loft").run(context -> {
      InvalidPostlinePropertyException e = cause(context.getStartupFailure());
      assertThat(e.property()).isEqualTo("postline.mail.providers.primary.dsn");
      assertThat(e.reason()).contains("carrier-pigeon").contains("memory").contains("mail-provider-carrier-pigeon")
          .doesNotContain("s3cret");
    });
    runner().withPropertyValues("postline.mail.providers.primary.scheme=carrier-pigeon",
        "postline.mail.providers.primary.host=loft").run(context ->
        assertThat(cause(context.getStartupFailure()).property()).isEqualTo("postline.mail.providers.primary.scheme"));
  }

  @Test
  void aProviderThatRejectsItsSettingsNamesTheProperty() {
    runner().withPropertyValues("postline.mail.providers.primary.dsn=memory://box?colour=blue").run(context -> {
      InvalidPostlinePropertyException e = cause(context.getStartupFailure());
      assertThat(e.property()).isEqualTo("postline.mail.providers.primary.dsn");
      assertThat(e.reason()).contains("colour");
    });
  }

  @Test
  void dsnAndFieldsTogetherOrNeitherAreRejected() {
    runner().withPropertyValues("postline.mail.providers.p.dsn=memory://x", "postline.mail.providers.p.host=y")
        .run(context -> assertThat(cause(context.getStartupFailure()).property()).isEqualTo("postline.mail.providers.p"));
    runner().withPropertyValues("postline.mail.providers.p.weight=2")
        .run(context -> assertThat(cause(context.getStartupFailure()).property()).isEqualTo("postline.mail.providers.p"));
    runner().withPropertyValues("postline.mail.providers.p.scheme=memory")
        .run(context -> assertThat(cause(context.getStartupFailure()).property()).isEqualTo("postline.mail.providers.p.host"));
  }

  @Test
  void aRuleNeedsACondition() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.routing.rules[0].providers=a").run(context ->
        assertThat(cause(context.getStartupFailure()).property()).isEqualTo("postline.mail.routing.rules[0]"));
  }

  @Test
  void theFailureAnalyzerIsRegistered() {
    // Some of Spring Boot's analyzers need constructor arguments: skip those, keep the rest.
    List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
        .load(FailureAnalyzer.class, null, (factoryType, factoryImplementationName, failure) -> { });
    assertThat(analyzers).anyMatch(a -> a instanceof InvalidPostlinePropertyFailureAnalyzer);
  }

  static InvalidPostlinePropertyException cause(Throwable failure) {
    Throwable t = failure;
    while (t != null) {
      if (t instanceof InvalidPostlinePropertyException e) {
        return e;
      }
      t = t.getCause();
    }
    throw new AssertionError("no InvalidPostlinePropertyException in " + failure, failure);
  }

  static FailureAnalysis analyze(Throwable failure) {
    FailureAnalysis analysis = new InvalidPostlinePropertyFailureAnalyzer().analyze(failure);
    assertThat(analysis).isNotNull();
    return analysis;
  }
}
