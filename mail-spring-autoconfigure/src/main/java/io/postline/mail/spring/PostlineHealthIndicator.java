package io.postline.mail.spring;

import io.postline.mail.core.HealthStatus;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.MailerHealth;
import io.postline.mail.core.ProviderHealth;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The {@code postline} health indicator: DOWN only when no provider can send; UP otherwise, with
 * {@code status} DEGRADED in its details while some provider is down or recovering. Details
 * list every provider with its status, circuit state and, when it is not UP, why.
 *
 * <pre>{@code
 * "postline": {
 *   "status": "UP",
 *   "details": {
 *     "status": "DEGRADED",
 *     "providers": {
 *       "primary": { "status": "DOWN", "circuit": "OPEN", "detail": "circuit breaker is open" },
 *       "backup":  { "status": "UP", "circuit": "CLOSED" }
 *     }
 *   }
 * }
 * }</pre>
 */
public class PostlineHealthIndicator extends AbstractHealthIndicator {
  private final Mailer mailer;

  /** An indicator of {@code mailer}'s health. */
  public PostlineHealthIndicator(Mailer mailer) {
    super("Postline health check failed");
    this.mailer = Objects.requireNonNull(mailer, "mailer");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    MailerHealth health = mailer.health();
    Map<String, Object> providers = new LinkedHashMap<>();
    for (ProviderHealth p : health.providers()) {
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("status", p.status().name());
      detail.put("circuit", p.circuitState());
      p.detail().ifPresent(d -> detail.put("detail", d));
      providers.put(p.provider(), detail);
    }
    if (health.status() == HealthStatus.DOWN) {
      builder.down();
    } else {
      builder.up();
    }
    builder.withDetail("status", health.status().name()).withDetail("providers", providers);
  }
}
