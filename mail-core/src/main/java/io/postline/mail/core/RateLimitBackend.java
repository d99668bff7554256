package io.postline.mail.core;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Where the token buckets of per-provider rate limits live: in this JVM ({@link #local()}), or
 * shared by every JVM of a fleet (the Redis module's backend), so that N JVMs together stay
 * within a provider's limit.
 */
public interface RateLimitBackend {

  /**
   * The bucket of one provider. Called once per provider when the mailer is built.
   *
   * @param provider the provider's name
   * @param configuration its limits
   */
  Bucket bucket(String provider, BucketConfiguration configuration);

  /** Buckets in this JVM, on the system clock. */
  static RateLimitBackend local() {
    return (provider, configuration) -> {
      var builder = Bucket.builder();
      for (var bandwidth : configuration.getBandwidths()) {
        builder.addLimit(bandwidth);
      }
      return builder.build();
    };
  }

  /** Buckets in this JVM, on {@code clock} (for tests that move time by hand). */
  static RateLimitBackend local(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    TimeMeter meter = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return TimeUnit.MILLISECONDS.toNanos(clock.millis());
      }

      @Override
      public boolean isWallClockBased() {
        return true;
      }
    };
    return (provider, configuration) -> {
      var builder = Bucket.builder().withCustomTimePrecision(meter);
      for (var bandwidth : configuration.getBandwidths()) {
        builder.addLimit(bandwidth);
      }
      return builder.build();
    };
  }
}
