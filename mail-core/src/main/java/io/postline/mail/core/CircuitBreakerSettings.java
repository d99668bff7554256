package io.postline.mail.core;

import java.time.Duration;
import java.util.Objects;

/**
 * When a provider's circuit breaker opens and how it recovers. Which failures count is Postline's
 * own rule: TRANSIENT and PROVIDER_UNAVAILABLE failures, timeouts and provider bugs count against
 * the provider; RATE_LIMITED is ignored; a PERMANENT or RECIPIENTS_REJECTED answer counts as a
 * success (the provider works; the message was bad), so a bad message never opens a circuit.
 * Immutable; the {@code with...} methods return copies.
 *
 * <p>{@link #defaults()}: opens at 50% failures over the last 20 calls (once 5 were made), stays
 * open 30 seconds, then lets 1 call through to test the provider (half-open).
 */
public final class CircuitBreakerSettings {
  private static final CircuitBreakerSettings DEFAULTS = new CircuitBreakerSettings(50, 20, 5, Duration.ofSeconds(30), 1);

  private final float failureRateThreshold;
  private final int slidingWindowSize;
  private final int minimumCalls;
  private final Duration waitInOpenState;
  private final int halfOpenCalls;

  private CircuitBreakerSettings(float failureRateThreshold, int slidingWindowSize, int minimumCalls,
      Duration waitInOpenState, int halfOpenCalls) {
    this.failureRateThreshold = failureRateThreshold;
    this.slidingWindowSize = slidingWindowSize;
    this.minimumCalls = minimumCalls;
    this.waitInOpenState = waitInOpenState;
    this.halfOpenCalls = halfOpenCalls;
  }

  /** The defaults listed in the class description. */
  public static CircuitBreakerSettings defaults() {
    return DEFAULTS;
  }

  /** Opens when at least this percentage of the calls in the window failed; above 0, at most 100. */
  public CircuitBreakerSettings withFailureRateThreshold(float percent) {
    if (!(percent > 0 && percent <= 100)) {
      throw new IllegalArgumentException("failureRateThreshold must be above 0 and at most 100, was " + percent);
    }
    return new CircuitBreakerSettings(percent, slidingWindowSize, minimumCalls, waitInOpenState, halfOpenCalls);
  }

  /**
   * Judges the last {@code size} calls, once at least {@code minimumCalls} were made.
   *
   * @throws IllegalArgumentException if size is below 1 or minimumCalls is not from 1 to size
   */
  public CircuitBreakerSettings withSlidingWindow(int size, int minimumCalls) {
    if (size < 1) {
      throw new IllegalArgumentException("sliding window size must be at least 1, was " + size);
    }
    if (minimumCalls < 1 || minimumCalls > size) {
      throw new IllegalArgumentException("minimumCalls must be from 1 to the window size " + size + ", was " + minimumCalls);
    }
    return new CircuitBreakerSettings(failureRateThreshold, size, minimumCalls, waitInOpenState, halfOpenCalls);
  }

  /** How long the circuit stays open before calls test the provider again; positive. */
  public CircuitBreakerSettings withWaitInOpenState(Duration wait) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative() || wait.isZero()) {
      throw new IllegalArgumentException("waitInOpenState must be positive, was " + wait);
    }
    return new CircuitBreakerSettings(failureRateThreshold, slidingWindowSize, minimumCalls, wait, halfOpenCalls);
  }

  /** How many calls test a half-open provider before the circuit closes or opens again; at least 1. */
  public CircuitBreakerSettings withHalfOpenCalls(int calls) {
    if (calls < 1) {
      throw new IllegalArgumentException("halfOpenCalls must be at least 1, was " + calls);
    }
    return new CircuitBreakerSettings(failureRateThreshold, slidingWindowSize, minimumCalls, waitInOpenState, calls);
  }

  /** The failure percentage that opens the circuit. */
  public float failureRateThreshold() {
    return failureRateThreshold;
  }

  /** How many recent calls are judged. */
  public int slidingWindowSize() {
    return slidingWindowSize;
  }

  /** How many calls must be made before the failure rate is judged. */
  public int minimumCalls() {
    return minimumCalls;
  }

  /** How long the circuit stays open. */
  public Duration waitInOpenState() {
    return waitInOpenState;
  }

  /** How many calls test a half-open provider. */
  public int halfOpenCalls() {
    return halfOpenCalls;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CircuitBreakerSettings s && failureRateThreshold == s.failureRateThreshold
        && slidingWindowSize == s.slidingWindowSize && minimumCalls == s.minimumCalls
        && waitInOpenState.equals(s.waitInOpenState) && halfOpenCalls == s.halfOpenCalls;
  }

  @Override
  public int hashCode() {
    return Objects.hash(failureRateThreshold, slidingWindowSize, minimumCalls, waitInOpenState, halfOpenCalls);
  }

  @Override
  public String toString() {
    return "CircuitBreakerSettings[failureRateThreshold=" + failureRateThreshold + "%, window=" + slidingWindowSize
        + ", minimumCalls=" + minimumCalls + ", waitInOpenState=" + waitInOpenState + ", halfOpenCalls="
        + halfOpenCalls + "]";
  }
}
