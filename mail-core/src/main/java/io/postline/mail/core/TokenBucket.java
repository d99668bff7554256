package io.postline.mail.core;

import java.time.Duration;

/**
 * One provider's token bucket, made by a {@link RateLimitBackend}: in this JVM, or shared by a
 * fleet. Thread-safe. A send takes one token; a synchronous send waits for one within its bounds,
 * a queued message is rescheduled to when one is due.
 */
@FunctionalInterface
public interface TokenBucket {

  /**
   * Takes one token if the bucket has one.
   *
   * @return {@link Duration#ZERO} when a token was taken; otherwise how long until one is due
   *     (nothing was taken)
   */
  Duration tryTake();
}
