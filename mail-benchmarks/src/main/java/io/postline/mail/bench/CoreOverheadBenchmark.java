package io.postline.mail.bench;

import io.github.bucket4j.Bucket;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Scenario 1: {@code Mailer.send} through the whole pipeline (routing, circuit breaker, retry, a
 * rate limiter that never runs dry, metrics, the default in-memory audit log, events) into the
 * in-memory provider, against its peer, the same provider behind what a careful user wires by hand
 * from the same libraries (a Resilience4j circuit breaker and retry, a Bucket4j bucket, a
 * Micrometer timer and counter), and against the ceiling, the provider called directly. All three
 * send the same, already validated email.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CoreOverheadBenchmark {
  private static final long UNLIMITED = 1_000_000_000L; // tokens per second: never runs dry at these rates

  private InMemoryProvider direct;
  private InMemoryProvider handWiredProvider;
  private InMemoryProvider behindMailer;
  private HandWired handWired;
  private Mailer mailer;
  private Email email;

  @Setup(Level.Trial)
  public void setUp() {
    email = Email.builder().from("Shop <shop@example.org>").to("ann@example.org")
        .subject("Your order has shipped").text("It arrives on Tuesday.").html("<p>It arrives on Tuesday.</p>")
        .tag("order").caller("bench").build();
    direct = new InMemoryProvider("direct");
    handWiredProvider = new InMemoryProvider("memory");
    handWired = new HandWired(handWiredProvider, new SimpleMeterRegistry());
    behindMailer = new InMemoryProvider("memory");
    mailer = Mailer.builder()
        .provider(behindMailer)
        .rateLimit("memory", UNLIMITED, Duration.ofSeconds(1))
        .meterRegistry(new SimpleMeterRegistry())
        .build();
  }

  /** The outboxes grow with every send; empty them so memory stays flat. */
  @Setup(Level.Iteration)
  public void clearOutboxes() {
    direct.clear();
    handWiredProvider.clear();
    behindMailer.clear();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    mailer.close();
  }

  @Benchmark
  public SendResult directProvider() throws ProviderException {
    return direct.send(email);
  }

  @Benchmark
  public SendResult handWired() throws Throwable {
    return handWired.send(email);
  }

  @Benchmark
  public SendResult postlineMailer() {
    return mailer.send(email);
  }

  /**
   * The peer: one provider behind the libraries Postline builds on, wired as their documentation
   * shows (defaults everywhere; retry on transient failures), with the meters looked up once.
   */
  static final class HandWired {
    private final InMemoryProvider provider;
    private final CircuitBreaker breaker = CircuitBreaker.ofDefaults("memory");
    private final Retry retry = Retry.of("memory", io.github.resilience4j.retry.RetryConfig.custom()
        .maxAttempts(3).waitDuration(Duration.ofMillis(200))
        .retryOnException(e -> e instanceof ProviderException p && p.kind() == FailureKind.TRANSIENT)
        .build());
    private final Bucket bucket = Bucket.builder()
        .addLimit(limit -> limit.capacity(UNLIMITED).refillGreedy(UNLIMITED, Duration.ofSeconds(1)))
        .build();
    private final Timer sends;
    private final Counter sent;

    HandWired(InMemoryProvider provider, MeterRegistry registry) {
      this.provider = provider;
      this.sends = Timer.builder("mail.send").tag("provider", provider.name()).register(registry);
      this.sent = Counter.builder("mail.sent").tag("provider", provider.name()).register(registry);
    }

    SendResult send(Email email) throws Throwable {
      if (!bucket.tryConsume(1)) {
        throw ProviderException.of(FailureKind.RATE_LIMITED, provider.name(), "rate limit");
      }
      long started = System.nanoTime();
      try {
        SendResult result = retry.executeCheckedSupplier(
            () -> breaker.executeCheckedSupplier(() -> provider.send(email)));
        sent.increment();
        return result;
      } finally {
        sends.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      }
    }
  }
}
