package io.postline.mail.queue.redis.internal;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisConnectionException;
import io.postline.mail.queue.redis.RedisUnavailableException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs a Redis operation again while Redis is unreachable (or loading, failing over, busy), with
 * a growing pause, for at most a budget. Only for operations that are safe to repeat: every queue
 * script is (enqueue by message id, completions by fencing token).
 *
 * <p>It keeps track of whether any try may have run on the server (a reply lost with its
 * connection, a timeout, an interrupted wait), so that a caller whose outcome matters (an
 * enqueue) can say "unknown" instead of "nothing happened".
 */
public final class Retry {
  private static final long FIRST_PAUSE = Duration.ofMillis(20).toNanos();
  private static final long MAX_PAUSE = Duration.ofSeconds(1).toNanos();

  private Retry() {}

  /** Builds the exception that ends a failed operation. */
  @FunctionalInterface
  public interface GiveUp {
    /**
     * @param message what failed, without secrets or bodies
     * @param cause the last failure
     * @param mayHaveRun whether some try may have run on the server although its reply never came
     * @param transientFailure whether the last failure was Redis being unreachable or busy (else
     *     Redis refused the command: an error reply)
     */
    RuntimeException exception(String message, RuntimeException cause, boolean mayHaveRun, boolean transientFailure);
  }

  /**
   * Runs {@code op} until it succeeds, fails for good, or {@code budget} is spent; then throws
   * {@link RedisUnavailableException} (or the command's own error).
   *
   * @param what names the operation in the exception, such as {@code enqueue to queue mail}
   * @param onTransient told of every transient failure (for logging)
   */
  public static <T> T run(String what, Duration budget, Supplier<T> op, Consumer<RuntimeException> onTransient) {
    return run(what, budget, op, onTransient, (message, cause, mayHaveRun, transientFailure) ->
        transientFailure || cause instanceof RedisCommandInterruptedException
            ? new RedisUnavailableException(message, cause) : cause);
  }

  /** As {@link #run(String, Duration, Supplier, Consumer)}, with the caller's exception at the end. */
  public static <T> T run(String what, Duration budget, Supplier<T> op, Consumer<RuntimeException> onTransient,
      GiveUp giveUp) {
    return run(what, budget, op, onTransient, giveUp, false);
  }

  /**
   * As {@link #run(String, Duration, Supplier, Consumer, GiveUp)}, for an operation that must not
   * run twice (a counter): tries again only while no try can have reached the server, and gives up
   * at the first failure after which it may have run.
   */
  public static <T> T runAtMostOnce(String what, Duration budget, Supplier<T> op,
      Consumer<RuntimeException> onTransient, GiveUp giveUp) {
    return run(what, budget, op, onTransient, giveUp, true);
  }

  private static <T> T run(String what, Duration budget, Supplier<T> op, Consumer<RuntimeException> onTransient,
      GiveUp giveUp, boolean atMostOnce) {
    long deadline = System.nanoTime() + budget.toNanos();
    long pause = FIRST_PAUSE;
    boolean mayHaveRun = false;
    while (true) {
      try {
        return op.get();
      } catch (RedisCommandInterruptedException e) {
        Thread.currentThread().interrupt();
        throw giveUp.exception(what + " was interrupted", e, true, true);
      } catch (RuntimeException e) {
        if (!RedisLink.isTransient(e)) {
          throw giveUp.exception(what + " was refused by Redis: " + e.getMessage(), e, mayHaveRun, false);
        }
        mayHaveRun |= mayHaveRun(e);
        onTransient.accept(e);
        if (atMostOnce && mayHaveRun) {
          throw giveUp.exception(what + " failed: Redis's reply was lost (" + e.getClass().getSimpleName()
              + "); not tried again, as it may have run", e, true, true);
        }
        if (System.nanoTime() + pause - deadline > 0) {
          throw giveUp.exception(what + " failed: Redis did not answer within " + budget
              + " (" + e.getClass().getSimpleName() + ")", e, mayHaveRun, true);
        }
        LockSupport.parkNanos(pause);
        if (Thread.currentThread().isInterrupted()) {
          throw giveUp.exception(what + " was interrupted while Redis was unreachable", e, mayHaveRun, true);
        }
        pause = Math.min(pause * 2, MAX_PAUSE);
      }
    }
  }

  /**
   * Whether a transient failure may have come after the command reached the server: everything
   * but an error reply (the server answered, so it did not run it), a connection that could not be
   * made, and a command rejected while disconnected (never written).
   */
  static boolean mayHaveRun(RuntimeException e) {
    if (e instanceof RedisCommandExecutionException || e instanceof RedisConnectionException) {
      return false;
    }
    String m = e.getMessage();
    return m == null || !m.startsWith("Currently not connected");
  }
}
