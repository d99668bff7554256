package io.postline.mail.core;

import java.time.Duration;
import java.util.Objects;

/**
 * A provider's rate limit: at most {@code permits} messages per {@code period}, as a token bucket
 * of that capacity refilled greedily (a token every {@code period / permits}).
 *
 * @param permits the bucket's capacity and the tokens added per period; at least 1
 * @param period how long a full refill takes; positive
 */
public record RateLimit(long permits, Duration period) {
  /**
   * Checks the components.
   *
   * @throws IllegalArgumentException if permits is below 1, the period is not positive, or the
   *     limit asks for more than one permit per nanosecond
   */
  public RateLimit {
    Objects.requireNonNull(period, "period");
    if (permits < 1) {
      throw new IllegalArgumentException("rate limit permits must be at least 1, was " + permits);
    }
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("rate limit period must be positive, was " + period);
    }
    if (permits > period.toNanos()) {
      throw new IllegalArgumentException("rate limit allows at most one permit per nanosecond, was "
          + permits + " per " + period);
    }
  }

  /** {@code permits} per {@code period}. */
  public static RateLimit of(long permits, Duration period) {
    return new RateLimit(permits, period);
  }
}
