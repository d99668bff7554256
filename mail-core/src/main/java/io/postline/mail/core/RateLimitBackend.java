package io.postline.mail.core;

import io.postline.mail.core.internal.LocalTokenBuckets;
import java.time.Clock;
import java.util.Objects;

/**
 * Where the token buckets of per-provider rate limits live: in this JVM ({@link #local()}), or
 * shared by every JVM of a fleet (the Redis module's backend), so that N JVMs together stay
 * within a provider's limit.
 */
@FunctionalInterface
public interface RateLimitBackend {

  /**
   * The bucket of one provider. Called once per rate-limited provider when the mailer is built.
   *
   * @param provider the provider's name
   * @param limit its limit
   */
  TokenBucket bucket(String provider, RateLimit limit);

  /** Buckets in this JVM, on the system's monotonic clock. */
  static RateLimitBackend local() {
    return LocalTokenBuckets.monotonic();
  }

  /** Buckets in this JVM, on {@code clock} (for tests that move time by hand). */
  static RateLimitBackend local(Clock clock) {
    return LocalTokenBuckets.on(Objects.requireNonNull(clock, "clock"));
  }
}
