package io.postline.mail.core.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.postline.mail.FailureKind;
import io.postline.mail.core.CircuitBreakerSettings;
import io.postline.mail.spi.ProviderException;
import java.time.Clock;

/** Circuit breakers with Postline's rule of which failures count against a provider. */
public final class Breakers {
  private Breakers() {}

  /**
   * Whether a failure says the provider is unhealthy: TRANSIENT and PROVIDER_UNAVAILABLE failures
   * (timeouts and provider bugs among them) count; RATE_LIMITED is ignored; PERMANENT and
   * RECIPIENTS_REJECTED are the message's fault, not the provider's.
   */
  public static boolean countsAgainstProvider(Throwable e) {
    if (e instanceof ProviderException p) {
      return p.kind() == FailureKind.TRANSIENT || p.kind() == FailureKind.PROVIDER_UNAVAILABLE;
    }
    return true;
  }

  /** The breaker of {@code provider} in {@code registry}, created with {@code settings} if new. */
  public static CircuitBreaker of(CircuitBreakerRegistry registry, String provider, CircuitBreakerSettings settings,
      Clock clock) {
    CircuitBreakerConfig config = CircuitBreakerConfig.custom()
        .failureRateThreshold(settings.failureRateThreshold())
        .slidingWindowSize(settings.slidingWindowSize())
        .minimumNumberOfCalls(settings.minimumCalls())
        .waitDurationInOpenState(settings.waitInOpenState())
        .permittedNumberOfCallsInHalfOpenState(settings.halfOpenCalls())
        .recordException(Breakers::countsAgainstProvider)
        .ignoreException(e -> e instanceof ProviderException p && p.kind() == FailureKind.RATE_LIMITED)
        .clock(clock)
        .build();
    return registry.circuitBreaker(provider, config);
  }
}
