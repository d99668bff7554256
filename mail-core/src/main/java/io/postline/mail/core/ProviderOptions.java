package io.postline.mail.core;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Everything about one provider besides how to reach it, set where the provider is added:
 *
 * <pre>{@code
 * Mailer.builder()
 *     .provider("primary", "smtp://user:pass@smtp.example.org:587", p -> p
 *         .rateLimit(50, Duration.ofSeconds(1))
 *         .timeout(Duration.ofSeconds(20))
 *         .weight(3)
 *         .circuitBreaker(CircuitBreakerSettings.defaults().withWaitInOpenState(Duration.ofSeconds(10))))
 * }</pre>
 *
 * <p>Unset options take the mailer's defaults: no rate limit, no call timeout beyond the
 * provider's own I/O timeouts, weight 1 (used by {@link Routing#roundRobin()}), and the mailer's
 * {@link MailerBuilder#circuitBreaker circuit breaker settings}. Each setter checks its argument
 * at once.
 */
public final class ProviderOptions {
  private @Nullable RateLimit rateLimit;
  private @Nullable Duration timeout;
  private int weight = 1;
  private @Nullable CircuitBreakerSettings circuitBreaker;

  ProviderOptions() {}

  /**
   * At most {@code permits} messages per {@code period} (a token bucket of that capacity, refilled
   * greedily).
   *
   * @throws IllegalArgumentException if permits is below 1 or the period is not positive
   */
  public ProviderOptions rateLimit(long permits, Duration period) {
    return rateLimit(new RateLimit(permits, period));
  }

  /** The provider's rate limit. */
  public ProviderOptions rateLimit(RateLimit limit) {
    this.rateLimit = Objects.requireNonNull(limit, "limit");
    return this;
  }

  /**
   * The longest one call to the provider may take; past it the attempt fails TRANSIENT (code
   * {@code timeout}). Providers have finite I/O timeouts of their own; this bounds the whole call.
   *
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public ProviderOptions timeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    this.timeout = timeout;
    return this;
  }

  /**
   * The provider's share of the messages under {@link Routing#roundRobin()}; at least 1, default 1.
   */
  public ProviderOptions weight(int weight) {
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be at least 1, was " + weight);
    }
    this.weight = weight;
    return this;
  }

  /** This provider's circuit breaker settings, instead of the mailer's. */
  public ProviderOptions circuitBreaker(CircuitBreakerSettings settings) {
    this.circuitBreaker = Objects.requireNonNull(settings, "settings");
    return this;
  }

  Optional<RateLimit> rateLimit() {
    return Optional.ofNullable(rateLimit);
  }

  Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  int weight() {
    return weight;
  }

  Optional<CircuitBreakerSettings> circuitBreaker() {
    return Optional.ofNullable(circuitBreaker);
  }
}
