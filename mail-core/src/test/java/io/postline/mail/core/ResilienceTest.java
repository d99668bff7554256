package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retries, failover, fail-back, circuit breakers, rate limits, timeouts, idempotency, health, metrics. */
class ResilienceTest {
  private final MutableClock clock = MutableClock.at(Instant.parse("2026-11-22T10:00:00Z"));
  /** Waits by moving the clock, and remembers every wait. */
  private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
  private final InMemoryProvider primary = new InMemoryProvider("primary");
  private final InMemoryProvider backup = new InMemoryProvider("backup");
  private final RecordingListener listener = new RecordingListener();
  private final List<Mailer> mailers = new ArrayList<>();

  @AfterEach
  void closeMailers() {
    mailers.forEach(Mailer::close);
  }

  private MailerBuilder builder() {
    return Mailer.builder().provider(primary).provider(backup).listener(listener).clock(clock)
        .sleeper(d -> {
          sleeps.add(d);
          clock.advance(d);
        });
  }

  private Mailer build(MailerBuilder builder) {
    Mailer mailer = builder.build();
    mailers.add(mailer);
    return mailer;
  }

  private static Email email() {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("Hello").build();
  }

  @Test
  void transientFailuresAreRetriedWithExponentialBackoff() {
    primary.failNext(2, FailureKind.TRANSIENT);
    Mailer mailer = build(builder().retry(RetryPolicy.exponential(3, Duration.ofMillis(200))));

    SendResult result = mailer.send(email());

    assertThat(result.provider()).isEqualTo("primary");
    assertThat(result.attempts()).isEqualTo(3);
    assertThat(backup.sent()).isEmpty();
    assertThat(sleeps).hasSize(2);
    assertThat(sleeps.get(0).toMillis()).isCloseTo(200, within(40L));
    assertThat(sleeps.get(1).toMillis()).isCloseTo(400, within(80L));
    assertThat(listener.types()).containsExactly("sending", "attempt_failed", "retry_scheduled", "sending",
        "attempt_failed", "retry_scheduled", "sending", "sent");
    assertThat(listener.ofType(MailEvent.Sending.class)).extracting(MailEvent.Sending::attempt).containsExactly(1, 2, 3);
  }

  @Test
  void aProvidersRetryAfterIsHonoured() {
    primary.failNext(1, FailureKind.RATE_LIMITED, Duration.ofSeconds(7));
    Mailer mailer = build(builder().retry(RetryPolicy.exponential(3, Duration.ofMillis(100))));

    assertThat(mailer.send(email()).provider()).isEqualTo("primary");
    assertThat(sleeps).containsExactly(Duration.ofSeconds(7));
    assertThat(listener.ofType(MailEvent.RetryScheduled.class)).singleElement()
        .satisfies(r -> assertThat(r.delay()).isEqualTo(Duration.ofSeconds(7)));
  }

  @Test
  void retriesStopAtTheDeadlineAndFailOver() {
    primary.failNext(10, FailureKind.TRANSIENT);
    Mailer mailer = build(builder().retry(RetryPolicy.exponential(5, Duration.ofSeconds(10)).withJitter(0)
        .withDeadline(Duration.ofSeconds(25))));

    SendResult result = mailer.send(email());

    assertThat(sleeps).as("10 s fits in the deadline, the next 20 s does not").containsExactly(Duration.ofSeconds(10));
    assertThat(result.provider()).isEqualTo("backup");
    assertThat(result.attempts()).isEqualTo(3);
    assertThat(listener.ofType(MailEvent.FailedOver.class)).singleElement()
        .satisfies(f -> assertThat(f.reason()).startsWith("TRANSIENT"));
  }

  @Test
  void whenRetriesAreSpentOnTheOnlyProviderTheSendFails() {
    primary.failNext(3, FailureKind.TRANSIENT);
    Mailer mailer = build(Mailer.builder().provider(primary).clock(clock).sleeper(clock::advance)
        .retry(RetryPolicy.exponential(3, Duration.ofMillis(10))));

    assertThatThrownBy(() -> mailer.send(email()))
        .isInstanceOfSatisfying(SendFailedException.class, e -> {
          assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
          assertThat(e.attempts()).isEqualTo(3);
          assertThat(e.getMessage()).contains("after 3 attempts", "trying again later may succeed");
        });
  }

  @Test
  void aProviderThatIsDownFailsOverAtOnceAndFailsBackWhenItsCircuitCloses() {
    primary.failNext(1_000, FailureKind.PROVIDER_UNAVAILABLE);
    Mailer mailer = build(builder().circuitBreaker(CircuitBreakerSettings.defaults()
        .withSlidingWindow(2, 2).withFailureRateThreshold(50)
        .withWaitInOpenState(Duration.ofSeconds(30)).withHalfOpenCalls(1)));

    assertThat(mailer.send(email()).provider()).isEqualTo("backup");
    assertThat(mailer.send(email()).provider()).isEqualTo("backup");
    assertThat(sleeps).as("PROVIDER_UNAVAILABLE is not retried").isEmpty();
    assertThat(health(mailer, "primary").circuitState()).isEqualTo("OPEN");

    int before = listener.events().size();
    assertThat(mailer.send(email()).provider()).isEqualTo("backup");
    List<MailEvent> third = listener.events().subList(before, listener.events().size());
    assertThat(third).extracting(MailEvent::type).containsExactly("failed_over", "sending", "sent");
    assertThat(((MailEvent.FailedOver) third.get(0)).reason()).contains("circuit breaker is OPEN");
    assertThat(mailer.health().status()).isEqualTo(HealthStatus.DEGRADED);

    primary.reset();
    clock.advance(Duration.ofSeconds(31));
    assertThat(mailer.send(email()).provider()).as("half-open trial call").isEqualTo("primary");
    assertThat(health(mailer, "primary").circuitState()).isEqualTo("CLOSED");
    assertThat(mailer.send(email()).provider()).isEqualTo("primary");
    assertThat(mailer.health().status()).isEqualTo(HealthStatus.UP);
  }

  @Test
  void aPermanentErrorIsOneAttemptWithoutFailoverAndNeverOpensTheCircuit() {
    Mailer mailer = build(builder().circuitBreaker(CircuitBreakerSettings.defaults().withSlidingWindow(2, 2)));
    for (int i = 0; i < 5; i++) {
      primary.failNext(1, FailureKind.PERMANENT);
      assertThatThrownBy(() -> mailer.send(email()))
          .isInstanceOfSatisfying(SendFailedException.class, e -> assertThat(e.attempts()).isEqualTo(1));
    }
    assertThat(backup.sent()).isEmpty();
    assertThat(sleeps).isEmpty();
    assertThat(health(mailer, "primary").circuitState()).isEqualTo("CLOSED");
    assertThat(mailer.send(email()).provider()).isEqualTo("primary");
  }

  @Test
  void rejectedRecipientsStopWithoutFailover() {
    primary.reject("ann@example.org");
    Mailer mailer = build(builder());
    assertThatThrownBy(() -> mailer.send(email()))
        .isInstanceOfSatisfying(SendFailedException.class,
            e -> assertThat(e.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED));
    assertThat(backup.sent()).isEmpty();
  }

  @Test
  void theRateLimitHoldsMeasuredOnTheClock() {
    Mailer mailer = build(builder().rateLimit("primary", 5, Duration.ofSeconds(1)));
    Instant start = clock.instant();

    for (int i = 0; i < 15; i++) {
      assertThat(mailer.send(email()).provider()).isEqualTo("primary");
    }

    List<Instant> sentAt = listener.ofType(MailEvent.Sent.class).stream().map(MailEvent::timestamp).toList();
    assertThat(sentAt.subList(0, 5)).as("the bucket starts full").allMatch(start::equals);
    assertThat(Duration.between(start, clock.instant()))
        .as("10 more tokens at 5 per second take 2 seconds").isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    for (Instant t : sentAt) {
      long inWindow = sentAt.stream().filter(u -> !u.isBefore(t) && u.isBefore(t.plusSeconds(1))).count();
      assertThat(inWindow).as("capacity 5 plus 5 refilled within any second").isLessThanOrEqualTo(10);
    }
    assertThat(backup.sent()).isEmpty();
  }

  @Test
  void aRateLimitThatCannotBeMetInTimeFailsOver() {
    Mailer mailer = build(builder().rateLimit("primary", 1, Duration.ofMinutes(1)).rateLimitWait(Duration.ofSeconds(1)));

    assertThat(mailer.send(email()).provider()).isEqualTo("primary");
    assertThat(mailer.send(email()).provider()).isEqualTo("backup");
    assertThat(listener.ofType(MailEvent.FailedOver.class)).singleElement()
        .satisfies(f -> assertThat(f.reason()).startsWith("RATE_LIMITED").contains("rate limit"));
  }

  @Test
  void aRateLimitOnTheOnlyProviderEndsRateLimitedWithRetryAfter() {
    Mailer mailer = build(Mailer.builder().provider(primary).clock(clock).sleeper(clock::advance)
        .rateLimit("primary", 1, Duration.ofMinutes(1)).rateLimitWait(Duration.ZERO));
    mailer.send(email());
    assertThatThrownBy(() -> mailer.send(email()))
        .isInstanceOfSatisfying(SendFailedException.class, e -> {
          assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
          assertThat(e.retryAfter()).get().satisfies(d -> assertThat(d).isPositive());
          assertThat(e.attempts()).isZero();
        });
  }

  @Test
  void aCallOverItsTimeoutFailsTransientAndFailsOver() {
    primary.latency(Duration.ofSeconds(5));
    Mailer mailer = build(builder().retry(RetryPolicy.none()).timeout("primary", Duration.ofMillis(100)));

    assertThat(mailer.send(email()).provider()).isEqualTo("backup");
    assertThat(listener.ofType(MailEvent.AttemptFailed.class)).singleElement().satisfies(f -> {
      assertThat(f.kind()).isEqualTo(FailureKind.TRANSIENT);
      assertThat(f.reason()).contains("timeout");
    });
  }

  @Test
  void concurrentDuplicatesAreSentOnceAndEveryCallerGetsTheFirstOutcome() throws Exception {
    primary.latency(Duration.ofMillis(200));
    Mailer mailer = build(Mailer.builder().provider(primary).listener(listener));
    Email keyed = email().toBuilder().idempotencyKey("order-42-shipped").build();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<CompletableFuture<SendResult>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(CompletableFuture.supplyAsync(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return mailer.send(keyed);
        }, pool));
      }
      start.countDown();
      List<String> ids = new ArrayList<>();
      for (CompletableFuture<SendResult> r : results) {
        ids.add(r.get(10, TimeUnit.SECONDS).messageId());
      }
      assertThat(ids).hasSize(8).containsOnly(ids.get(0));
    } finally {
      pool.shutdownNow();
    }
    assertThat(primary.sent()).hasSize(1);
    assertThat(listener.ofType(MailEvent.DuplicateDropped.class)).hasSize(7);
    assertThat(mailer.send(keyed).messageId()).as("a later duplicate within the window")
        .isEqualTo(listener.ofType(MailEvent.Sent.class).get(0).providerMessageId());
    assertThat(primary.sent()).hasSize(1);
  }

  @Test
  void aFailedSendFreesItsIdempotencyKey() {
    Mailer mailer = build(builder());
    Email keyed = email().toBuilder().idempotencyKey("retry-me").build();
    primary.failNext(1, FailureKind.PERMANENT);
    assertThatThrownBy(() -> mailer.send(keyed)).isInstanceOf(SendFailedException.class);
    assertThat(mailer.send(keyed).provider()).isEqualTo("primary");
    assertThat(primary.sent()).hasSize(1);
  }

  @Test
  void idempotencyKeysExpireAfterTheWindow() {
    Mailer mailer = build(builder().idempotency(
        new io.postline.mail.core.internal.InMemoryIdempotencyStore(Duration.ofHours(1), 100, clock)));
    Email keyed = email().toBuilder().idempotencyKey("hourly").build();
    mailer.send(keyed);
    mailer.send(keyed);
    assertThat(primary.sent()).hasSize(1);
    clock.advance(Duration.ofMinutes(61));
    mailer.send(keyed);
    assertThat(primary.sent()).hasSize(2);
  }

  @Test
  void healthRunsEachProvidersActiveCheckWithinTheTimeout() {
    MailProvider failingCheck = probing("relay", () -> {
      throw ProviderException.builder(FailureKind.PROVIDER_UNAVAILABLE, "relay", "535 authentication failed")
          .code("535").build();
    });
    MailProvider hangingCheck = probing("slow", () -> new CountDownLatch(1).await());
    Mailer mailer = build(Mailer.builder().provider(primary).provider(failingCheck).provider(hangingCheck)
        .healthTimeout(Duration.ofMillis(200)));

    MailerHealth health = mailer.health();

    assertThat(health.status()).isEqualTo(HealthStatus.DEGRADED);
    assertThat(health.providers()).extracting(ProviderHealth::status)
        .containsExactly(HealthStatus.UP, HealthStatus.DOWN, HealthStatus.DOWN);
    assertThat(health.providers().get(1).detail()).get().asString().contains("535 authentication failed");
    assertThat(health.providers().get(2).detail()).get().asString().contains("no answer within PT0.2S");
  }

  @Test
  void theCallerTagIsOptIn() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Mailer mailer = build(builder().meterRegistry(registry).meterCallerTag(true));
    mailer.send(email().toBuilder().caller("billing").build());
    mailer.send(email());
    assertThat(registry.get("postline.mail.send").tags("provider", "primary", "outcome", "sent", "caller", "billing")
        .timer().count()).isEqualTo(1);
    assertThat(registry.get("postline.mail.send").tags("provider", "primary", "outcome", "sent", "caller", "none")
        .timer().count()).isEqualTo(1);
  }

  @Test
  void healthIsDownWhenNoProviderCanSend() {
    MailProvider down = probing("only", () -> {
      throw ProviderException.of(FailureKind.TRANSIENT, "only", "connection refused");
    });
    Mailer mailer = build(Mailer.builder().provider(down));
    assertThat(mailer.health().status()).isEqualTo(HealthStatus.DOWN);
  }

  @Test
  void metricsCountSendsAttemptsFailoversAndCircuitState() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    primary.failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
    Mailer mailer = build(builder().meterRegistry(registry));
    mailer.send(email().toBuilder().caller("billing").build());
    mailer.send(email());

    assertThat(registry.get("postline.mail.send").tags("provider", "backup", "outcome", "sent").timer().count())
        .isEqualTo(1);
    assertThat(registry.get("postline.mail.send").tags("provider", "primary", "outcome", "sent").timer().count())
        .isEqualTo(1);
    assertThat(registry.find("postline.mail.send").tagKeys("caller").meters())
        .as("caller is free text: a tag only when the application opts in").isEmpty();
    assertThat(registry.get("postline.mail.attempts").tags("provider", "primary", "outcome", "provider_unavailable")
        .counter().count()).isEqualTo(1);
    assertThat(registry.get("postline.mail.failovers").tags("from", "primary", "to", "backup").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("postline.mail.circuit.state").tags("provider", "primary", "state", "closed")
        .gauge().value()).isEqualTo(1);
    assertThat(registry.get("postline.mail.queue.depth").tags("state", "ready", "priority", "high").gauge().value())
        .isZero();
    assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags())
        .noneMatch(t -> t.getValue().contains("@")));
  }

  @Test
  void roundRobinSpreadsByWeightAndFailsOverToTheOthers() {
    Map<String, Integer> weights = new java.util.LinkedHashMap<>();
    weights.put("primary", 3);
    weights.put("backup", 1);
    Mailer mailer = build(builder().routing(Routing.roundRobin(weights)));
    for (int i = 0; i < 8; i++) {
      mailer.send(email());
    }
    assertThat(primary.sent()).hasSize(6);
    assertThat(backup.sent()).hasSize(2);

    backup.failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
    for (int i = 0; i < 4; i++) {
      mailer.send(email());
    }
    assertThat(primary.sent().size() + backup.sent().size()).isEqualTo(12);
  }

  @Test
  void rulesRouteByTagPriorityCallerAndDomain() {
    Mailer mailer = build(builder().routing(Routing.rules()
        .tag("newsletter", "backup")
        .caller("billing", "backup", "primary")
        .domain("bücher.example", "backup")
        .priority(io.postline.mail.Priority.HIGH, "primary")
        .otherwise(Routing.failover())));

    mailer.send(email().toBuilder().tag("newsletter").build());
    mailer.send(email().toBuilder().caller("billing").build());
    mailer.send(Email.builder().from("shop@example.org").to("anna@xn--bcher-kva.example").subject("s").text("t").build());
    assertThat(backup.sent()).hasSize(3);

    mailer.send(email().toBuilder().priority(io.postline.mail.Priority.HIGH).build());
    mailer.send(email());
    assertThat(primary.sent()).hasSize(2);
  }

  @Test
  void routingThatNamesAnUnknownProviderFailsAtBuild() {
    assertThatThrownBy(() -> builder().routing(Routing.failover("primary", "sendgrid")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("routing names provider(s) [sendgrid]");
    assertThatThrownBy(() -> builder().rateLimit("ses", 1, Duration.ofSeconds(1)))
        .as("a typo fails at the call that names the provider, not at build()")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rateLimit names provider 'ses', which was not added")
        .hasMessageContaining("[primary, backup]");
    assertThatThrownBy(() -> builder().timeout("sess", Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout names provider 'sess'");
    assertThatThrownBy(() -> builder().rateLimit("primary", 2_000_000_000L, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rate limit allows at most one permit per nanosecond, was 2000000000 per PT1S");
  }

  private static ProviderHealth health(Mailer mailer, String provider) {
    return mailer.health().providers().stream().filter(p -> p.provider().equals(provider)).findFirst().orElseThrow();
  }

  /** A check that may throw or block. */
  private interface Check {
    void run() throws Exception;
  }

  private static MailProvider probing(String name, Check check) {
    return new MailProvider() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.unlimited();
      }

      @Override
      public SendResult send(Email email) throws ProviderException {
        throw ProviderException.of(FailureKind.TRANSIENT, name, "not used");
      }

      @Override
      public void probe(Duration timeout) throws ProviderException {
        try {
          check.run();
        } catch (ProviderException e) {
          throw e;
        } catch (Exception e) {
          throw ProviderException.builder(FailureKind.TRANSIENT, name, "check failed").cause(e).build();
        }
      }
    };
  }
}
