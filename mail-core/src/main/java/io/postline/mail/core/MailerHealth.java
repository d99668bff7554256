package io.postline.mail.core;

import java.util.List;
import java.util.Objects;

/**
 * A mailer's health: UP when every provider is up and every queue worker runs, DOWN when no
 * provider can send (or the queue has workers configured and none runs), DEGRADED in between.
 *
 * @param status the overall status
 * @param providers each provider's health, in routing order
 * @param workers the queue workers: how many run against how many were configured
 */
public record MailerHealth(HealthStatus status, List<ProviderHealth> providers, Workers workers) {
  /**
   * Queue workers: a worker that died is replaced, and until then fewer run than configured.
   *
   * @param running worker threads running now (0 before the first enqueue starts them)
   * @param configured worker threads asked for (0 for a producer-only mailer)
   * @param started whether the workers were started
   */
  public record Workers(int running, int configured, boolean started) {
    /** No workers: a producer-only mailer, or health without a queue. */
    public static final Workers NONE = new Workers(0, 0, false);

    /** Whether fewer workers run than should. */
    public boolean missing() {
      return started && running < configured;
    }
  }

  /** Copies the list. */
  public MailerHealth {
    Objects.requireNonNull(status, "status");
    providers = List.copyOf(providers);
    Objects.requireNonNull(workers, "workers");
  }

  /** A health of providers alone (no queue workers to judge). */
  public MailerHealth(HealthStatus status, List<ProviderHealth> providers) {
    this(status, providers, Workers.NONE);
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

  /** The overall status of providers and workers together. */
  public static HealthStatus overall(List<ProviderHealth> providers, Workers workers) {
    HealthStatus status = overall(providers);
    if (!workers.missing() || status == HealthStatus.DOWN) {
      return status;
    }
    return workers.running() == 0 ? HealthStatus.DOWN : HealthStatus.DEGRADED;
  }
}
