package io.postline.mail.core.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.postline.mail.core.HealthStatus;
import io.postline.mail.core.MailerHealth;
import io.postline.mail.core.ProviderHealth;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A mailer's health: each provider's circuit state and active check (run on the mailer's bounded
 * health pool, each within the timeout), and whether every queue worker runs.
 */
public final class HealthChecker {
  private final List<ProviderSlot> slots;
  private final MailerThreads threads;
  private final Duration timeout;
  private final Workers workers;

  /** Checks {@code slots} and {@code workers}. */
  public HealthChecker(List<ProviderSlot> slots, MailerThreads threads, Duration timeout, Workers workers) {
    this.slots = List.copyOf(slots);
    this.threads = threads;
    this.timeout = timeout;
    this.workers = workers;
  }

  /** Checks every provider (in parallel, each within the timeout) and the workers. */
  public MailerHealth check() {
    List<Future<ProviderHealth>> checks = new ArrayList<>(slots.size());
    for (ProviderSlot slot : slots) {
      try {
        checks.add(threads.healthPool().submit(() -> check(slot)));
      } catch (RejectedExecutionException e) {
        checks.add(null);
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ProviderHealth> providers = new ArrayList<>(slots.size());
    for (int i = 0; i < slots.size(); i++) {
      ProviderSlot slot = slots.get(i);
      Future<ProviderHealth> check = checks.get(i);
      String state = slot.breaker().getState().name();
      if (check == null) {
        providers.add(down(slot, state, "the mailer is closed"));
        continue;
      }
      try {
        providers.add(check.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (TimeoutException e) {
        check.cancel(true);
        providers.add(down(slot, state, "active check gave no answer within " + timeout));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        providers.add(down(slot, state, "interrupted"));
      } catch (ExecutionException e) {
        providers.add(down(slot, state, "active check failed with " + e.getCause().getClass().getName()));
      }
    }
    MailerHealth.Workers w = new MailerHealth.Workers(workers.running(), workers.configured(), workers.started());
    return new MailerHealth(MailerHealth.overall(providers, w), providers, w);
  }

  private ProviderHealth check(ProviderSlot slot) {
    CircuitBreaker.State state = slot.breaker().getState();
    switch (state) {
      case OPEN, FORCED_OPEN:
        return down(slot, state.name(), "circuit breaker is open");
      case HALF_OPEN:
        return new ProviderHealth(slot.name(), HealthStatus.DEGRADED, state.name(),
            Optional.of("circuit breaker is half-open: recovering"));
      default:
        break;
    }
    try {
      slot.provider().probe(timeout);
      return new ProviderHealth(slot.name(), HealthStatus.UP, state.name(), Optional.empty());
    } catch (ProviderException e) {
      return down(slot, state.name(), Engine.describe(e));
    }
  }

  private static ProviderHealth down(ProviderSlot slot, String state, String detail) {
    return new ProviderHealth(slot.name(), HealthStatus.DOWN, state, Optional.of(detail));
  }
}
