package io.postline.mail.core;

import java.util.Objects;
import java.util.Optional;

/**
 * One provider's health.
 *
 * @param provider the provider's name
 * @param status UP when its circuit is closed and its active check (if it has one) passes;
 *     DEGRADED while its circuit is half-open; DOWN when its circuit is open or its check fails
 * @param circuitState the circuit breaker's state: CLOSED, OPEN, HALF_OPEN (or another
 *     Resilience4j state, such as FORCED_OPEN)
 * @param detail why it is not UP, when it is not
 */
public record ProviderHealth(String provider, HealthStatus status, String circuitState, Optional<String> detail) {
  /** Checks the components. */
  public ProviderHealth {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(circuitState, "circuitState");
    Objects.requireNonNull(detail, "detail");
  }
}
