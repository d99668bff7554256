package io.postline.mail.core;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * When to try a failed send again: only failures whose kind is
 * {@linkplain io.postline.mail.FailureKind#retryable() retryable}, at most {@link #maxAttempts()}
 * times per provider, waiting {@code initialDelay × multiplier^(n-1)} (capped at
 * {@link #maxDelay()}, spread by ± {@link #jitter()}) before attempt {@code n + 1}. A provider's
 * own retry-after wins when it is longer. A synchronous send stops retrying when the next wait
 * would pass its {@link #deadline()}. Immutable; the {@code with...} methods return copies.
 *
 * <pre>{@code
 * RetryPolicy.exponential(3, Duration.ofMillis(200)).withMaxDelay(Duration.ofSeconds(5))
 * }</pre>
 */
public final class RetryPolicy {
  private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, 1.0, Duration.ZERO, 0, Duration.ofSeconds(30));

  private final int maxAttempts;
  private final Duration initialDelay;
  private final double multiplier;
  private final Duration maxDelay;
  private final double jitter;
  private final Duration deadline;

  private RetryPolicy(int maxAttempts, Duration initialDelay, double multiplier, Duration maxDelay,
      double jitter, Duration deadline) {
    this.maxAttempts = maxAttempts;
    this.initialDelay = initialDelay;
    this.multiplier = multiplier;
    this.maxDelay = maxDelay;
    this.jitter = jitter;
    this.deadline = deadline;
  }

  /**
   * Exponential backoff: multiplier 2, jitter 0.2, delays capped at one minute, a synchronous
   * deadline of 30 seconds.
   *
   * @param maxAttempts attempts per provider, the first included; at least 1
   * @param initialDelay the wait before the second attempt; positive
   */
  public static RetryPolicy exponential(int maxAttempts, Duration initialDelay) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    Objects.requireNonNull(initialDelay, "initialDelay");
    if (initialDelay.isNegative() || initialDelay.isZero()) {
      throw new IllegalArgumentException("initialDelay must be positive, was " + initialDelay);
    }
    return new RetryPolicy(maxAttempts, initialDelay, 2.0, Duration.ofMinutes(1).compareTo(initialDelay) < 0
        ? initialDelay : Duration.ofMinutes(1), 0.2, Duration.ofSeconds(30));
  }

  /** One attempt, no retry. */
  public static RetryPolicy none() {
    return NONE;
  }

  /** The same policy with another growth factor; at least 1. */
  public RetryPolicy withMultiplier(double multiplier) {
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be at least 1, was " + multiplier);
    }
    return new RetryPolicy(maxAttempts, initialDelay, multiplier, maxDelay, jitter, deadline);
  }

  /** The same policy with another cap on each wait; at least the initial delay. */
  public RetryPolicy withMaxDelay(Duration maxDelay) {
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException("maxDelay must be at least the initial delay " + initialDelay
          + ", was " + maxDelay);
    }
    return new RetryPolicy(maxAttempts, initialDelay, multiplier, maxDelay, jitter, deadline);
  }

  /** The same policy with another jitter: each wait is spread by ± this fraction; 0 to 1. */
  public RetryPolicy withJitter(double jitter) {
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("jitter must be from 0 to 1, was " + jitter);
    }
    return new RetryPolicy(maxAttempts, initialDelay, multiplier, maxDelay, jitter, deadline);
  }

  /** The same policy with another total deadline for a synchronous send; positive. */
  public RetryPolicy withDeadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, was " + deadline);
    }
    return new RetryPolicy(maxAttempts, initialDelay, multiplier, maxDelay, jitter, deadline);
  }

  /** Attempts per provider, the first included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The wait before the second attempt. */
  public Duration initialDelay() {
    return initialDelay;
  }

  /** How much each wait grows. */
  public double multiplier() {
    return multiplier;
  }

  /** The longest wait. */
  public Duration maxDelay() {
    return maxDelay;
  }

  /** The fraction each wait is spread by. */
  public double jitter() {
    return jitter;
  }

  /** How long a synchronous send may take, retries included. */
  public Duration deadline() {
    return deadline;
  }

  /**
   * The wait after failed attempt {@code attempt} (1 for the first).
   *
   * @param retryAfter what the provider asked for, if anything; wins when longer
   * @param random a number from 0 (inclusive) to 1 (exclusive) that places the jitter
   */
  public Duration delayAfter(int attempt, @Nullable Duration retryAfter, double random) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
    }
    double base = initialDelay.toNanos() * Math.pow(multiplier, attempt - 1);
    double capped = Math.min(base, maxDelay.toNanos());
    double spread = capped * (1 + jitter * (2 * random - 1));
    Duration delay = Duration.ofNanos((long) Math.max(0, Math.min(spread, maxDelay.toNanos())));
    return retryAfter != null && retryAfter.compareTo(delay) > 0 ? retryAfter : delay;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetryPolicy p && maxAttempts == p.maxAttempts && initialDelay.equals(p.initialDelay)
        && multiplier == p.multiplier && maxDelay.equals(p.maxDelay) && jitter == p.jitter
        && deadline.equals(p.deadline);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxAttempts, initialDelay, multiplier, maxDelay, jitter, deadline);
  }

  @Override
  public String toString() {
    return "RetryPolicy[maxAttempts=" + maxAttempts + ", initialDelay=" + initialDelay + ", multiplier="
        + multiplier + ", maxDelay=" + maxDelay + ", jitter=" + jitter + ", deadline=" + deadline + "]";
  }
}
