package io.postline.mail.queue.redis.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Group commit: the operations callers on many threads ask for while calls to Redis are under
 * way go to Redis together, in the next call. A busy queue so makes one script call for several
 * enqueues (or takes, or acks) instead of one each, and Redis and the connection pay the cost of
 * a call (its dispatch, its keys, its round trip) once for all of them; an idle one makes the same
 * one call per operation as before, without waiting.
 *
 * <p>It has no thread of its own. A caller that finds fewer calls under way than it allows sends
 * one, asynchronously, for the operations waiting then (its own among them); when its reply
 * comes, the connection's thread answers them and sends the next call for whatever waits by then,
 * so that no call waits for a parked thread to wake up. Callers park until their answer comes.
 * Allowing two calls under way instead of one groups a little less but lets a caller's operation
 * go out while another call is in Redis: with four threads enqueuing without pause, that carried
 * about a tenth more messages per second (docs/benchmarks.md, issue 16's sixth pass).
 *
 * <p>A call that fails (its reply is an error, it times out, the connection drops, or making it
 * throws, an {@link Error} too) fails every operation it carried, with that throwable; the
 * caller then decides what to do (the queue tries an enqueue or an ack again alone, with its
 * retries, and a take again with its retry flag, which finds the leases the failed call made).
 * The next call goes on as usual. A caller interrupted while it waits keeps waiting, since its
 * operation may already be in Redis (the connection's command timeout bounds the wait), and keeps
 * its interrupt status.
 *
 * @param <I> an operation
 * @param <R> its answer
 */
public final class GroupCommit<I, R> {
  private static final int PENDING = 0;
  private static final int ANSWERED = 1;
  private static final int FAILED = 2;

  private final int max;
  private final int calls;
  private final Function<List<I>, ? extends CompletionStage<List<R>>> call;
  private final ConcurrentLinkedQueue<Slot<I, R>> waiting = new ConcurrentLinkedQueue<>();
  /** Calls under way; each holds one of {@link #calls} turns until nothing waits for it. */
  private final AtomicInteger calling = new AtomicInteger();

  /**
   * @param max the most operations one call carries
   * @param calls the most calls under way at once: 1 groups the most, and 2 lets the next group
   *     go out while a call is under way (on one connection Redis runs them in the order sent)
   * @param call sends one call for its operations (1 to {@code max}, in the order they were asked
   *     for) and completes with one result per operation, in the same order
   */
  public GroupCommit(int max, int calls, Function<List<I>, ? extends CompletionStage<List<R>>> call) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    if (calls < 1) {
      throw new IllegalArgumentException("calls must be at least 1, was " + calls);
    }
    this.max = max;
    this.calls = calls;
    this.call = Objects.requireNonNull(call, "call");
  }

  /**
   * Runs the operation, in a call of its own or together with the others waiting, and answers
   * its result.
   *
   * @throws RuntimeException what the call that carried it failed with (an {@link Error} likewise)
   */
  public R run(I operation) {
    Slot<I, R> slot = new Slot<>(operation, Thread.currentThread());
    waiting.add(slot);
    if (takeTurn()) {
      sendWaiting();
    }
    boolean interrupted = false;
    while (slot.state == PENDING) {
      LockSupport.park(this);
      interrupted |= Thread.interrupted();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return slot.answer();
  }

  /** Takes a turn to send a call if fewer than {@link #calls} are under way. */
  private boolean takeTurn() {
    for (int c = calling.get(); c < calls; c = calling.get()) {
      if (calling.compareAndSet(c, c + 1)) {
        return true;
      }
    }
    return false;
  }

  /** How many operations wait for a call to carry them. */
  int waiting() {
    return waiting.size();
  }

  /**
   * Sends a call for what waits, holding {@link #calling}; lets go of it when nothing waits. A call
   * that fails at once is answered here and the next one sent, so the loop ends.
   */
  private void sendWaiting() {
    while (true) {
      List<Slot<I, R>> slots = new ArrayList<>();
      for (Slot<I, R> s; slots.size() < max && (s = waiting.poll()) != null; ) {
        slots.add(s);
      }
      if (slots.isEmpty()) {
        calling.decrementAndGet();
        // An operation added after the poll and before the release would wait for nobody: send it.
        if (waiting.isEmpty() || !takeTurn()) {
          return;
        }
        continue;
      }
      CompletionStage<List<R>> reply;
      try {
        List<I> operations = new ArrayList<>(slots.size());
        for (Slot<I, R> s : slots) {
          operations.add(s.operation);
        }
        reply = call.apply(operations);
      } catch (Throwable t) {
        fail(slots, t);
        continue;
      }
      reply.whenComplete((answers, failure) -> {
        try {
          answer(slots, answers, failure);
        } finally {
          sendWaiting();
        }
      });
      return;
    }
  }

  private static <I, R> void answer(List<Slot<I, R>> slots, @Nullable List<R> answers, @Nullable Throwable failure) {
    try {
      if (failure != null) {
        fail(slots, unwrap(failure));
      } else if (answers == null || answers.size() != slots.size()) {
        fail(slots, new IllegalStateException("a group call answered " + (answers == null ? 0 : answers.size())
            + " results for " + slots.size() + " operations"));
      } else {
        for (int i = 0; i < slots.size(); i++) {
          slots.get(i).answer(answers.get(i));
        }
      }
    } catch (Throwable t) {
      fail(slots, t); // only those not answered yet
    }
  }

  private static <I, R> void fail(List<Slot<I, R>> slots, Throwable t) {
    for (Slot<I, R> s : slots) {
      s.fail(t);
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
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
      if (state != PENDING) {
        return;
      }
      answer = value;
      state = ANSWERED; // publishes answer
      LockSupport.unpark(thread);
    }

    void fail(Throwable t) {
      if (state != PENDING) {
        return;
      }
      failure = t;
      state = FAILED; // publishes failure
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
        throw new IllegalStateException("a group call failed: " + t, t);
      }
      return answer;
    }
  }
}
