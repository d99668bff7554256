package io.postline.samples.service;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A token bucket per caller: {@code rateLimit} requests per period, refilled greedily. */
final class CallerRateLimiter {
  private final EmailServiceProperties properties;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  CallerRateLimiter(EmailServiceProperties properties) {
    if (properties.getRateLimit() < 1) {
      throw new IllegalStateException("email-service.rate-limit must be at least 1, was " + properties.getRateLimit());
    }
    this.properties = properties;
  }

  /**
   * Takes one request from {@code caller}'s bucket.
   *
   * @return empty if the request may go ahead; otherwise how long until it could
   */
  Optional<Duration> tryAcquire(String caller) {
    ConsumptionProbe probe = buckets.computeIfAbsent(caller, this::bucket).tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? Optional.empty() : Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
  }

  private Bucket bucket(String caller) {
    EmailServiceProperties.Caller c = properties.getCallers().get(caller);
    long limit = c != null && c.getRateLimit() != null ? c.getRateLimit() : properties.getRateLimit();
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(limit).refillGreedy(limit, properties.getRateLimitPeriod()).build())
        .build();
  }
}
