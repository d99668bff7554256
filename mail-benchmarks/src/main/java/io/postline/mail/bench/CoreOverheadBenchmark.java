package io.postline.mail.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.Email;
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
 * Scenario 1: {@code Mailer.send} through the whole pipeline (routing, circuit breaker, a rate
 * limiter that never runs dry, metrics, audit, events) into the in-memory provider, against
 * calling the in-memory provider directly with the same, already validated email.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CoreOverheadBenchmark {
  private InMemoryProvider direct;
  private InMemoryProvider behindMailer;
  private Mailer mailer;
  private Email email;

  @Setup(Level.Trial)
  public void setUp() {
    email = Email.builder().from("Shop <shop@example.org>").to("ann@example.org")
        .subject("Your order has shipped").text("It arrives on Tuesday.").html("<p>It arrives on Tuesday.</p>")
        .tag("order").caller("bench").build();
    direct = new InMemoryProvider("direct");
    behindMailer = new InMemoryProvider("memory");
    mailer = Mailer.builder()
        .provider(behindMailer)
        .rateLimit("memory", 1_000_000_000L, Duration.ofSeconds(1)) // never runs dry at these rates
        .meterRegistry(new SimpleMeterRegistry())
        .build();
  }

  /** The outboxes grow with every send; empty them so memory stays flat. */
  @Setup(Level.Iteration)
  public void clearOutboxes() {
    direct.clear();
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
  public SendResult postlineMailer() {
    return mailer.send(email);
  }
}
