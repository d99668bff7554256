package io.postline.mail.core.internal;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucketBuilder;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.postline.mail.core.RateLimit;
import io.postline.mail.core.RateLimitBackend;
import io.postline.mail.core.TokenBucket;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Bucket4j behind Postline's {@link TokenBucket}: the one place Bucket4j's types meet core's. */
public final class LocalTokenBuckets {
  private LocalTokenBuckets() {}

  /** Local buckets on the monotonic clock. */
  public static RateLimitBackend monotonic() {
    return (provider, limit) -> of(local().addLimit(bandwidth(limit)).build());
  }

  /** Local buckets on {@code clock}. */
  public static RateLimitBackend on(Clock clock) {
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
    return (provider, limit) -> of(local().withCustomTimePrecision(meter).addLimit(bandwidth(limit)).build());
  }

  /**
   * A local bucket that takes a token under a short lock, changing its state in place. Bucket4j's
   * default, lock-free, copies the state on every take (about 64 bytes per send), and senders of
   * one provider contend for the bucket anyway.
   */
  private static LocalBucketBuilder local() {
    return Bucket.builder().withSynchronizationStrategy(SynchronizationStrategy.SYNCHRONIZED);
  }

  /** The Bucket4j configuration of {@code limit}: capacity {@code permits}, refilled greedily. */
  public static BucketConfiguration configuration(RateLimit limit) {
    return BucketConfiguration.builder().addLimit(bandwidth(limit)).build();
  }

  /** Any Bucket4j bucket (local or a distributed proxy) as a {@link TokenBucket}. */
  public static TokenBucket of(Bucket bucket) {
    return () -> {
      if (bucket.tryConsume(1)) {
        return Duration.ZERO; // the usual answer, without the probe's allocation
      }
      ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
      return probe.isConsumed() ? Duration.ZERO : Duration.ofNanos(Math.max(1, probe.getNanosToWaitForRefill()));
    };
  }

  private static Bandwidth bandwidth(RateLimit limit) {
    return Bandwidth.builder().capacity(limit.permits()).refillGreedy(limit.permits(), limit.period()).build();
  }
}
