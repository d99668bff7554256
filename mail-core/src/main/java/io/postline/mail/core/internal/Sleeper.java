package io.postline.mail.core.internal;

import java.time.Duration;

/** How the synchronous path waits (backoff, rate limits); tests substitute one that moves a clock. */
@FunctionalInterface
public interface Sleeper {
  /** The real one. */
  Sleeper SYSTEM = d -> {
    if (!d.isNegative() && !d.isZero()) {
      Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
    }
  };

  /** Waits {@code duration}. */
  void sleep(Duration duration) throws InterruptedException;

  /** Waits {@code duration}; false if interrupted (the thread's interrupt flag is kept). */
  default boolean pause(Duration duration) {
    try {
      sleep(duration);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
