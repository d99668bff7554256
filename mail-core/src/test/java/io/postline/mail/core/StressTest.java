package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * 8 threads × 10,000 messages, half sent synchronously and half enqueued, through two providers
 * that fail at random: every message ends exactly once, as sent, failed or dead-lettered.
 */
class StressTest {
  private static final int THREADS = 8;
  private static final int PER_THREAD = 10_000;

  /** Fails 6% of calls TRANSIENT, 2% PROVIDER_UNAVAILABLE, 1% PERMANENT. */
  private static MailProvider flaky(String name) {
    AtomicLong ids = new AtomicLong();
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
        int roll = ThreadLocalRandom.current().nextInt(100);
        if (roll < 6) {
          throw ProviderException.of(FailureKind.TRANSIENT, name, "random 451");
        } else if (roll < 8) {
          throw ProviderException.of(FailureKind.PROVIDER_UNAVAILABLE, name, "random 535");
        } else if (roll < 9) {
          throw ProviderException.of(FailureKind.PERMANENT, name, "random 554");
        }
        return SendResult.accepted(name, name + "-" + ids.incrementAndGet(), email.recipients(), Duration.ZERO);
      }
    };
  }

  @Test
  void everyMessageEndsExactlyOnceAndNothingDeadlocks() throws Exception {
    Map<String, String> endings = new ConcurrentHashMap<>();
    AtomicInteger endedTwice = new AtomicInteger();
    Set<String> terminal = Set.of("sent", "failed", "dead_lettered");
    Mailer mailer = Mailer.builder()
        .provider(flaky("primary")).provider(flaky("backup"))
        // A wide window: with the defaults (20 calls, 50%), a run of random failures trips a circuit now and
        // then, and both open at once fail every message for 30 s. This test is about endings, not breakers.
        .circuitBreaker(CircuitBreakerSettings.defaults().withSlidingWindow(500, 100))
        .retry(RetryPolicy.exponential(2, Duration.ofMillis(1)).withJitter(0))
        .queueRetry(RetryPolicy.exponential(3, Duration.ofMillis(1)).withMaxDelay(Duration.ofMillis(5)))
        .queue(MailQueue.inMemory(THREADS * PER_THREAD, java.time.Clock.systemUTC()))
        .workers(4)
        .audit(AuditLog.noop())
        .listener(e -> {
          if (terminal.contains(e.type()) && endings.put(e.mailId(), e.type()) != null) {
            endedTwice.incrementAndGet();
          }
        })
        .build();
    AtomicInteger syncSent = new AtomicInteger();
    AtomicInteger syncFailed = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> producers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        producers.add(pool.submit(() -> {
          for (int i = 0; i < PER_THREAD; i++) {
            Email email = Email.builder().from("load@example.org").to("user" + i + "@example.org")
                .subject("load " + i).text("x").build();
            if (i % 2 == 0) {
              mailer.enqueue(email);
            } else {
              try {
                mailer.send(email);
                syncSent.incrementAndGet();
              } catch (SendFailedException e) {
                syncFailed.incrementAndGet();
              }
            }
          }
        }));
      }
      for (Future<?> producer : producers) {
        producer.get(120, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(120)).until(() -> endings.size() == THREADS * PER_THREAD);
    } finally {
      pool.shutdownNow();
      mailer.close();
    }

    long sent = endings.values().stream().filter("sent"::equals).count();
    long failed = endings.values().stream().filter("failed"::equals).count();
    long dead = endings.values().stream().filter("dead_lettered"::equals).count();
    assertThat(sent + failed + dead).isEqualTo(THREADS * PER_THREAD);
    assertThat(endedTwice).hasValue(0);
    assertThat(syncSent.get() + syncFailed.get()).isEqualTo(THREADS * PER_THREAD / 2);
    assertThat(failed).as("only synchronous sends end as failed").isEqualTo(syncFailed.get());
    assertThat(dead).as("queued failures end in the dead letters").isPositive();
    assertThat(sent).as("sent %d, failed %d, dead-lettered %d", sent, failed, dead)
        .isGreaterThan(THREADS * PER_THREAD * 9L / 10);
  }
}
