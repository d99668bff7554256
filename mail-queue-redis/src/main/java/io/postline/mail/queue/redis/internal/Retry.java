package io.postline.mail.queue.redis.internal;

import io.lettuce.core.RedisCommandInterruptedException;
import io.postline.mail.queue.redis.RedisUnavailableException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Runs a Redis operation again while Redis is unreachable (or loading, failing over, busy), with
 * a growing pause, for at most a budget; then throws {@link RedisUnavailableException}. Only for
 * operations that are safe to repeat: every queue script is (enqueue by message id, completions
 * by fencing token).
 */
public final class Retry {
  private static final long FIRST_PAUSE = Duration.ofMillis(20).toNanos();
  private static final long MAX_PAUSE = Duration.ofSeconds(1).toNanos();

  private Retry() {}

  /**
   * Runs {@code op} until it succeeds, fails for good, or {@code budget} is spent.
   *
   * @param what names the operation in the exception, such as {@code enqueue to queue mail}
   * @param onTransient told of every transient failure (for logging)
   */
  public static <T> T run(String what, Duration budget, Supplier<T> op, java.util.function.Consumer<RuntimeException> onTransient) {
    long deadline = System.nanoTime() + budget.toNanos();
    long pause = FIRST_PAUSE;
    while (true) {
      try {
        return op.get();
      } catch (RedisCommandInterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RedisUnavailableException(what + " was interrupted", e);
      } catch (RuntimeException e) {
        if (!RedisLink.isTransient(e)) {
          throw e;
        }
        onTransient.accept(e);
        if (System.nanoTime() + pause - deadline > 0) {
          throw new RedisUnavailableException(what + " failed: Redis did not answer within " + budget
              + " (" + e.getClass().getSimpleName() + ")", e);
        }
        LockSupport.parkNanos(pause);
        if (Thread.currentThread().isInterrupted()) {
          throw new RedisUnavailableException(what + " was interrupted while Redis was unreachable", e);
        }
        pause = Math.min(pause * 2, MAX_PAUSE);
      }
    }
  }
}
