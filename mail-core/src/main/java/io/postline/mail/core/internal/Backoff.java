package io.postline.mail.core.internal;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.postline.mail.core.RetryPolicy;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The one backoff: a {@link RetryPolicy} as a Resilience4j {@link Retry}, asked through its
 * non-blocking {@link Retry.AsyncContext}, so that it decides waits and nobody sleeps in it: a
 * synchronous send waits the delay itself (within its deadline), a queued message is rescheduled
 * by it. A queued message's attempts outlive any one context, so each failure carries its attempt
 * number and the interval function goes by the larger of that and the context's own count.
 */
public final class Backoff {
  private Backoff() {}

  /** A failure as the retry sees it: the provider's exception and the attempt it ended. */
  static final class AttemptFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient ProviderException failure;
    private final int attempt;
    private final boolean retryable;

    AttemptFailure(ProviderException failure, int attempt, boolean retryable) {
      super(failure.kind().name(), null, false, false);
      this.failure = failure;
      this.attempt = attempt;
      this.retryable = retryable;
    }
  }

  /** The retry named {@code name} in {@code registry}, created from {@code policy} if new. */
  public static Retry of(RetryRegistry registry, String name, RetryPolicy policy) {
    RetryConfig config = RetryConfig.custom()
        .maxAttempts(policy.maxAttempts())
        .retryOnException(e -> e instanceof AttemptFailure f && f.retryable)
        .intervalBiFunction((attempt, either) -> {
          if (!either.isLeft() || !(either.getLeft() instanceof AttemptFailure f)) {
            return -1L;
          }
          int n = Math.max(attempt, f.attempt);
          if (n >= policy.maxAttempts()) {
            return -1L;
          }
          Duration delay = policy.delayAfter(n, f.failure.retryAfter().orElse(null),
              ThreadLocalRandom.current().nextDouble());
          return delay.toMillis();
        })
        .failAfterMaxAttempts(false)
        .build();
    return registry.retry(name, config);
  }

  /**
   * Asks {@code context} what to do after {@code failure} ended attempt {@code attempt}.
   *
   * @return the wait before the next attempt, or null to give up on this provider
   */
  static @Nullable Duration after(Retry.AsyncContext<?> context, ProviderException failure, int attempt) {
    long millis = context.onError(new AttemptFailure(failure, attempt, failure.kind().retryable()));
    return millis < 0 ? null : Duration.ofMillis(millis);
  }

  /**
   * Asks {@code retry} when a queued message whose every provider failed or was unavailable may
   * be tried again, as if attempt {@code attempt} had failed transiently.
   *
   * @return the wait, or null when its attempts are spent
   */
  static @Nullable Duration later(Retry retry, ProviderException last, int attempt) {
    long millis = retry.asyncContext().onError(new AttemptFailure(last, Math.max(1, attempt), true));
    return millis < 0 ? null : Duration.ofMillis(millis);
  }
}
