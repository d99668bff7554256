package io.postline.mail.queue.redis.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Group commit: the operations callers on many threads ask for while a call to Redis is under
 * way go to Redis together, in the next call. A busy queue so makes one script call for several
 * enqueues (or acks) instead of one each, and Redis and the connection pay the cost of a call
 * (its dispatch, its keys, its round trip) once for all of them; an idle one makes the same one
 * call per operation as before, without waiting.
 *
 * <p>It has no thread of its own. The caller that finds no call under way makes it, for the
 * operations waiting then (its own among them) and answers them; the others park until theirs
 * is answered, and one of them makes the next call if more are waiting. At most one call is under
 * way at a time.
 *
 * <p>A call that throws (an exception or an {@link Error}) fails every operation it carried, with
 * that same throwable; the next call goes on as usual. A caller interrupted while it waits keeps
 * waiting, since its operation may already be in Redis, and keeps its interrupt status; the caller
 * that makes a call makes it with its interrupt status set aside (and restored after), so that
 * its interrupt does not fail the operations of the others.
 *
 * @param <I> an operation
 * @param <R> its answer
 */
public final class GroupCommit<I, R> {
  private static final int PENDING = 0;
  private static final int ANSWERED = 1;
  private static final int FAILED = 2;

  private final int max;
  private final Function<List<I>, List<R>> call;
  private final ConcurrentLinkedQueue<Slot<I, R>> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean calling = new AtomicBoolean();

  /**
   * @param max the most operations one call carries
   * @param call makes one call for its operations (1 to {@code max}, in the order they were
   *     asked for) and answers one result per operation, in the same order
   */
  public GroupCommit(int max, Function<List<I>, List<R>> call) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    this.max = max;
    this.call = Objects.requireNonNull(call, "call");
  }

  /**
   * Runs the operation, in a call of its own or together with the others waiting, and answers
   * its result.
   *
   * @throws RuntimeException what the call that carried it threw (an {@link Error} likewise)
   */
  public R run(I operation) {
    Slot<I, R> slot = new Slot<>(operation, Thread.currentThread());
    waiting.add(slot);
    boolean interrupted = false;
    while (slot.state == PENDING) {
      if (calling.compareAndSet(false, true)) {
        interrupted |= Thread.interrupted();
        try {
          callForWaiting();
        } finally {
          calling.set(false);
        }
        // Whoever waits now arrived during that call: wake the first, to make the next one.
        Slot<I, R> next = waiting.peek();
        if (next != null && next != slot) {
          LockSupport.unpark(next.thread);
        }
      } else {
        LockSupport.park(this);
        interrupted |= Thread.interrupted();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return slot.answer();
  }

  /** How many operations wait for a call to carry them. */
  int waiting() {
    return waiting.size();
  }

  private void callForWaiting() {
    List<Slot<I, R>> slots = new ArrayList<>();
    for (Slot<I, R> s; slots.size() < max && (s = waiting.poll()) != null; ) {
      slots.add(s);
    }
    if (slots.isEmpty()) {
      return;
    }
    List<I> operations = new ArrayList<>(slots.size());
    for (Slot<I, R> s : slots) {
      operations.add(s.operation);
    }
    List<R> answers;
    try {
      answers = call.apply(operations);
      if (answers.size() != slots.size()) {
        throw new IllegalStateException("a group call answered " + answers.size() + " results for "
            + slots.size() + " operations");
      }
    } catch (Throwable t) {
      for (Slot<I, R> s : slots) {
        s.fail(t);
      }
      return;
    }
    for (int i = 0; i < slots.size(); i++) {
      slots.get(i).answer(answers.get(i));
    }
  }

  /** One operation waiting for its answer. */
  private static final class Slot<I, R> {
    final I operation;
    final Thread thread;
    volatile int state = PENDING;
    private @Nullable R answer;
    private @Nullable Throwable failure;

    Slot(I operation, Thread thread) {
      this.operation = operation;
      this.thread = thread;
    }

    void answer(R value) {
      answer = value;
      state = ANSWERED; // publishes answer
      LockSupport.unpark(thread);
    }

    void fail(Throwable t) {
      failure = t;
      state = FAILED;
      LockSupport.unpark(thread);
    }

    R answer() {
      if (state == FAILED) {
        Throwable t = Objects.requireNonNull(failure);
        if (t instanceof RuntimeException e) {
          throw e;
        }
        if (t instanceof Error e) {
          throw e;
        }
        throw new IllegalStateException("a group call failed", t);
      }
      return answer;
    }
  }
}
