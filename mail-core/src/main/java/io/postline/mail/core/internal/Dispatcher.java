package io.postline.mail.core.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.TokenBucket;
import io.postline.mail.core.RetryPolicy;
import io.postline.mail.core.Routing;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.ProviderException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a ready (validated, rendered) email to providers, in the order the routing gives.
 *
 * <p>Per provider the guards compose as CircuitBreaker(RateLimit(Timeout(send))): an open circuit
 * or a rate limit that cannot be met in time moves on to the next provider at once. A failure
 * whose kind is retryable is retried on the same provider (synchronously: with backoff, within
 * the deadline; queued: by rescheduling the message); a kind that fails over moves on to the next
 * provider; any other kind ends the send.
 */
public final class Dispatcher {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  /** A {@code sendAt} this close to now counts as now. */
  private static final Duration SCHEDULE_TOLERANCE = Duration.ofSeconds(1);

  private final Map<String, ProviderSlot> slots;
  private final List<String> names;
  private final Routing routing;
  private final RetryPolicy retry;
  private final RetryPolicy queueRetry;
  private final Duration maxRateLimitWait;
  private final EventPublisher events;
  private final MailMetrics metrics;
  private final Clock clock;
  private final Sleeper sleeper;

  /** What a queued attempt decided. */
  public sealed interface Decision {
    /** A provider accepted the message. */
    record Sent(SendResult result) implements Decision {}

    /** Try again at {@code dueAt}; {@code attempts} is the new attempt count. */
    record Reschedule(Instant dueAt, int attempts) implements Decision {}

    /** Give up: move the message to the dead letters. */
    record DeadLetter(FailureKind kind, String reason, int attempts) implements Decision {}
  }

  /** Creates the dispatcher over these slots, in the mailer's provider order. */
  public Dispatcher(List<ProviderSlot> slots, Routing routing, RetryPolicy retry, RetryPolicy queueRetry,
      Duration maxRateLimitWait, EventPublisher events, MailMetrics metrics, Clock clock, Sleeper sleeper) {
    Map<String, ProviderSlot> byName = new LinkedHashMap<>();
    slots.forEach(s -> byName.put(s.name(), s));
    this.slots = byName;
    this.names = List.copyOf(byName.keySet());
    this.routing = routing;
    this.retry = retry;
    this.queueRetry = queueRetry;
    this.maxRateLimitWait = maxRateLimitWait;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** How long a synchronous send may take, retries included. */
  public Duration deadline() {
    return retry.deadline();
  }

  /** The slots in the mailer's provider order. */
  public List<ProviderSlot> slots() {
    return List.copyOf(slots.values());
  }

  /**
   * The problems that keep every provider the routing picks from carrying {@code email}; empty
   * when at least one can. Scheduling is not a problem here: the queue holds the message.
   */
  public List<String> queueProblems(Email email) {
    List<String> all = new ArrayList<>();
    for (ProviderSlot slot : candidates(email)) {
      List<String> problems = slot.provider().capabilities().problems(email);
      if (problems.isEmpty()) {
        return List.of();
      }
      problems.forEach(p -> all.add("provider " + slot.name() + ": " + p));
    }
    return all;
  }

  /**
   * Sends {@code email} now, retrying and failing over within the retry policy's deadline.
   *
   * @throws InvalidEmailException if no provider can carry it
   * @throws SendFailedException if no provider accepted it
   */
  public SendResult send(String mailId, Email email) {
    Optional<String> caller = email.caller();
    long started = System.nanoTime();
    Instant deadline = clock.instant().plus(retry.deadline());
    List<String> unfit = new ArrayList<>();
    @Nullable ProviderException last = null;
    @Nullable String leaving = null;
    int attempts = 0;
    for (ProviderSlot slot : candidates(email)) {
      List<String> problems = problems(slot, email, true);
      if (!problems.isEmpty()) {
        problems.forEach(p -> unfit.add("provider " + slot.name() + ": " + p));
        continue;
      }
      int tries = 0;
      while (true) {
        ProviderException blocked = acquire(slot, deadline);
        if (blocked != null) {
          last = blocked;
          break;
        }
        if (leaving != null && last != null) {
          events.publish(new MailEvent.FailedOver(mailId, clock.instant(), caller, leaving, slot.name(), describe(last)));
          leaving = null;
        }
        attempts++;
        tries++;
        events.publish(new MailEvent.Sending(mailId, clock.instant(), caller, slot.name(), attempts));
        Outcome outcome = callOnce(slot, email);
        SendResult accepted = outcome.result();
        if (accepted != null) {
          Duration took = Duration.ofNanos(System.nanoTime() - started);
          SendResult result = new SendResult(slot.name(), accepted.messageId(), accepted.recipients(), attempts, took,
              Optional.of(mailId));
          events.publish(new MailEvent.Sent(mailId, clock.instant(), caller, slot.name(), result.messageId(), attempts, took));
          metrics.send(slot.name(), true, caller.orElse(null), took);
          return result;
        }
        ProviderException failure = outcome.failure();
        last = failure;
        events.publish(new MailEvent.AttemptFailed(mailId, clock.instant(), caller, slot.name(), attempts,
            failure.kind(), describe(failure)));
        if (!failure.kind().retryable() || tries >= retry.maxAttempts()) {
          break;
        }
        Duration delay = retry.delayAfter(tries, failure.retryAfter().orElse(null), ThreadLocalRandom.current().nextDouble());
        if (!clock.instant().plus(delay).isBefore(deadline)) {
          break;
        }
        events.publish(new MailEvent.RetryScheduled(mailId, clock.instant(), caller, slot.name(), attempts + 1, delay));
        sleep(delay);
      }
      if (!last.kind().failsOver() || !clock.instant().isBefore(deadline)) {
        break;
      }
      leaving = slot.name();
    }
    if (last == null) {
      throw new InvalidEmailException(unfit);
    }
    String provider = last.provider();
    events.publish(new MailEvent.Failed(mailId, clock.instant(), caller, provider, last.kind(), attempts, describe(last)));
    metrics.send(provider, false, caller.orElse(null), Duration.ofNanos(System.nanoTime() - started));
    String message = "sending failed after " + attempts + (attempts == 1 ? " attempt" : " attempts")
        + "; provider " + provider + " answered: " + describe(last) + " (" + advice(last.kind()) + ")";
    throw new SendFailedException(last.kind(), provider, message, last.retryAfter().orElse(null), attempts, last, mailId);
  }

  /**
   * One pass over the providers for a queued message: no waiting. A retryable failure
   * reschedules the message while attempts are left, and hands it to the next provider once they
   * are spent; an empty token bucket reschedules it to when a token is due; a provider that is
   * unavailable (or whose circuit is open) hands it to the next at once; a failure that does not
   * fail over, or the last provider failing with no attempts left, dead-letters it.
   */
  public Decision attemptQueued(QueuedMail mail) {
    Email email = mail.email();
    String mailId = mail.id();
    Optional<String> caller = email.caller();
    Instant now = clock.instant();
    int attempts = mail.attempts();
    List<String> unfit = new ArrayList<>();
    @Nullable ProviderException last = null;
    @Nullable String leaving = null;
    for (ProviderSlot slot : candidates(email)) {
      List<String> problems = problems(slot, email, false);
      if (!problems.isEmpty()) {
        problems.forEach(p -> unfit.add("provider " + slot.name() + ": " + p));
        continue;
      }
      if (!slot.breaker().tryAcquirePermission()) {
        last = circuitOpen(slot);
        leaving = slot.name();
        continue;
      }
      TokenBucket bucket = slot.bucket();
      if (bucket != null) {
        Duration wait = bucket.tryTake();
        if (!wait.isZero()) {
          slot.breaker().releasePermission();
          metrics.rateLimitWait(slot.name(), true, wait);
          events.publish(new MailEvent.RetryScheduled(mailId, clock.instant(), caller, slot.name(), attempts + 1, wait));
          return new Decision.Reschedule(now.plus(wait), attempts);
        }
      }
      if (leaving != null && last != null) {
        events.publish(new MailEvent.FailedOver(mailId, clock.instant(), caller, leaving, slot.name(), describe(last)));
        leaving = null;
      }
      attempts++;
      long started = System.nanoTime();
      events.publish(new MailEvent.Sending(mailId, clock.instant(), caller, slot.name(), attempts));
      Outcome call = callOnce(slot, email);
      SendResult accepted = call.result();
      if (accepted != null) {
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        SendResult result = new SendResult(slot.name(), accepted.messageId(), accepted.recipients(), attempts, took,
            Optional.of(mailId));
        events.publish(new MailEvent.Sent(mailId, clock.instant(), caller, slot.name(), result.messageId(), attempts, took));
        metrics.send(slot.name(), true, caller.orElse(null), took);
        return new Decision.Sent(result);
      }
      ProviderException outcome = call.failure();
      last = outcome;
      events.publish(new MailEvent.AttemptFailed(mailId, clock.instant(), caller, slot.name(), attempts,
          outcome.kind(), describe(outcome)));
      if (!outcome.kind().failsOver()) {
        return new Decision.DeadLetter(outcome.kind(), describe(outcome), attempts);
      }
      if (outcome.kind().retryable() && attempts < queueRetry.maxAttempts()) {
        return retryLater(mailId, caller, slot.name(), attempts, outcome);
      }
      // Unavailable, or its retries are spent: the next provider gets the message now.
      leaving = slot.name();
    }
    if (last == null) {
      return new Decision.DeadLetter(FailureKind.PERMANENT, "no provider can carry it: " + String.join("; ", unfit), attempts);
    }
    return retryLater(mailId, caller, last.provider(), attempts, last);
  }

  private Decision retryLater(String mailId, Optional<String> caller, String provider, int attempts, ProviderException failure) {
    if (attempts >= queueRetry.maxAttempts()) {
      return new Decision.DeadLetter(failure.kind(), "gave up after " + attempts + " attempts; last: " + describe(failure), attempts);
    }
    Duration delay = queueRetry.delayAfter(Math.max(1, attempts), failure.retryAfter().orElse(null),
        ThreadLocalRandom.current().nextDouble());
    events.publish(new MailEvent.RetryScheduled(mailId, clock.instant(), caller, provider, attempts + 1, delay));
    return new Decision.Reschedule(clock.instant().plus(delay), attempts);
  }

  /**
   * Takes a circuit-breaker permission and a token for a synchronous attempt.
   *
   * @return null when both were had; otherwise the failure that moves the send on
   */
  private @Nullable ProviderException acquire(ProviderSlot slot, Instant deadline) {
    if (!slot.breaker().tryAcquirePermission()) {
      return circuitOpen(slot);
    }
    TokenBucket bucket = slot.bucket();
    if (bucket == null) {
      return null;
    }
    Duration wait = bucket.tryTake();
    if (wait.isZero()) {
      return null;
    }
    Duration left = Duration.between(clock.instant(), deadline);
    Duration bound = left.compareTo(maxRateLimitWait) < 0 ? left : maxRateLimitWait;
    Instant before = clock.instant();
    Instant until = before.plus(bound);
    while (wait.compareTo(Duration.between(clock.instant(), until)) <= 0) {
      try {
        sleeper.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      wait = bucket.tryTake();
      if (wait.isZero()) {
        metrics.rateLimitWait(slot.name(), false, Duration.between(before, clock.instant()));
        return null;
      }
    }
    slot.breaker().releasePermission();
    return ProviderException.builder(FailureKind.RATE_LIMITED, slot.name(),
            "rate limit: no token within " + bound.toMillis() + " ms (next in " + wait.toMillis() + " ms)")
        .retryAfter(wait).build();
  }

  /** Calls the provider once and reports the outcome to its circuit breaker. */
  private Outcome callOnce(ProviderSlot slot, Email email) {
    CircuitBreaker breaker = slot.breaker();
    long started = System.nanoTime();
    try {
      SendResult result = slot.call(email);
      breaker.onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      return new Outcome(result, null);
    } catch (ProviderException e) {
      breaker.onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, e);
      return new Outcome(null, e);
    } catch (InvalidEmailException e) {
      breaker.releasePermission();
      throw e;
    } catch (RuntimeException e) {
      // A provider bug: never let it escape unclassified. Its message may hold anything (a
      // password in a URL), so only its type and where it was thrown are logged.
      StackTraceElement[] where = e.getStackTrace();
      log.warn("Provider {} threw {} instead of a ProviderException, at {}", slot.name(), e.getClass().getName(),
          where.length > 0 ? where[0] : "an unknown place");
      ProviderException wrapped = ProviderException.builder(FailureKind.TRANSIENT, slot.name(),
          "the provider failed unexpectedly with " + e.getClass().getName()).cause(withoutMessage(e)).build();
      breaker.onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, wrapped);
      return new Outcome(null, wrapped);
    }
  }

  /** The same stack trace under the same type name, without the message (it may hold a secret). */
  private static Throwable withoutMessage(Throwable e) {
    Throwable clean = new IllegalStateException(e.getClass().getName() + " (message withheld)");
    clean.setStackTrace(e.getStackTrace());
    return clean;
  }

  private List<ProviderSlot> candidates(Email email) {
    List<String> order = routing.route(email, names);
    List<ProviderSlot> out = new ArrayList<>(order.size());
    for (String name : order) {
      ProviderSlot slot = slots.get(name);
      if (slot == null) {
        throw new IllegalStateException("routing picked provider '" + name + "', which this mailer does not have: " + names);
      }
      out.add(slot);
    }
    return out;
  }

  private List<String> problems(ProviderSlot slot, Email email, boolean now) {
    Capabilities capabilities = slot.provider().capabilities();
    List<String> problems = capabilities.problems(email);
    Optional<Instant> sendAt = email.sendAt();
    if (!now || sendAt.isEmpty() || !sendAt.get().isAfter(clock.instant().plus(SCHEDULE_TOLERANCE))) {
      return problems;
    }
    List<String> more = new ArrayList<>(problems);
    if (!capabilities.scheduling()) {
      more.add("cannot hold a message until sendAt; enqueue it instead");
    } else if (sendAt.get().isAfter(clock.instant().plus(capabilities.maxScheduleAhead()))) {
      more.add("schedules at most " + capabilities.maxScheduleAhead() + " ahead; enqueue it instead");
    }
    return more;
  }

  private static ProviderException circuitOpen(ProviderSlot slot) {
    return ProviderException.builder(FailureKind.PROVIDER_UNAVAILABLE, slot.name(),
        "circuit breaker is " + slot.breaker().getState()).code("circuit-open").build();
  }

  private void sleep(Duration delay) {
    try {
      sleeper.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SendFailedException(FailureKind.TRANSIENT, "none", "interrupted while waiting to retry", null, 0, e);
    }
  }

  /** The provider's answer with its code, for events and exceptions. */
  static String describe(ProviderException e) {
    return e.kind() + e.code().map(c -> " " + c).orElse("") + ": " + e.getMessage();
  }

  private static String advice(FailureKind kind) {
    return switch (kind) {
      case TRANSIENT -> "transient: trying again later may succeed";
      case RATE_LIMITED -> "rate limited: try again after the provider's retry-after";
      case PROVIDER_UNAVAILABLE -> "provider unavailable: check its configuration or account";
      case RECIPIENTS_REJECTED -> "recipients rejected: retrying will not help";
      case PERMANENT -> "permanent: retrying this message will not help";
    };
  }

  /** One provider call: a result or a classified failure. */
  private record Outcome(@Nullable SendResult result, @Nullable ProviderException failure) {
    @Override
    public ProviderException failure() {
      if (failure == null) {
        throw new IllegalStateException("the call succeeded");
      }
      return failure;
    }
  }
}
