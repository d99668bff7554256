package io.postline.mail.core;

import java.util.List;
import java.util.Objects;

/**
 * A mailer's health: UP when every provider is up, DOWN when no provider can send, DEGRADED in
 * between.
 *
 * @param status the overall status
 * @param providers each provider's health, in routing order
 */
public record MailerHealth(HealthStatus status, List<ProviderHealth> providers) {
  /** Copies the list. */
  public MailerHealth {
    Objects.requireNonNull(status, "status");
    providers = List.copyOf(providers);
  }

  /** The overall status that a list of provider statuses adds up to. */
  public static HealthStatus overall(List<ProviderHealth> providers) {
    if (providers.stream().allMatch(p -> p.status() == HealthStatus.UP)) {
      return HealthStatus.UP;
    }
    if (providers.stream().allMatch(p -> p.status() == HealthStatus.DOWN)) {
      return HealthStatus.DOWN;
    }
    return HealthStatus.DEGRADED;
  }
}
