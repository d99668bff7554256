package io.postline.mail.queue.redis.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wake-ups for the threads of one JVM that take from a Redis queue, counted: each notification
 * (one per message an enqueue stored, as the Pub/Sub message says) is a permit for one take, and a
 * waiting taker takes a permit before it asks Redis. A taker that finishes a message while a
 * notification meant for another waiter arrived therefore does not ask Redis too (two takes, one
 * of them empty); and a notification that arrives while no taker waits is kept, so that the next
 * taker to come looks at once: no wake-up is lost between a take that found nothing and the wait
 * after it.
 *
 * <p>Permits are capped at the number of taking threads alive (at least one), so that a burst of
 * notifications while every taker is busy costs at most one look each afterwards; a thread that
 * died (a worker replaced after an {@link Error}) no longer counts once another registers.
 * Thread-safe.
 */
public final class TakePermits {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private int permits;
  private final List<Thread> takers = new ArrayList<>();

  /** Counts the calling thread as one more taker (raises the cap); forgets takers that died. */
  public void addTaker() {
    lock.lock();
    try {
      takers.removeIf(t -> !t.isAlive());
      takers.add(Thread.currentThread());
    } finally {
      lock.unlock();
    }
  }

  private int cap() {
    return Math.max(1, takers.size());
  }

  /** {@code n} notifications: up to {@code n} more takes (up to the cap), waking that many waiters. */
  public void release(int n) {
    lock.lock();
    try {
      int before = permits;
      permits = Math.min(cap(), permits + Math.max(0, n));
      for (int i = before; i < permits; i++) {
        changed.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * A take found more ready than it wanted: one more take, unless a permit is already waiting to
   * be used (then a taker is on its way anyway).
   */
  public void offerOne() {
    lock.lock();
    try {
      if (permits == 0) {
        permits = 1;
        changed.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Every taker may look once now (Redis is reachable again, or the queue stops). */
  public void releaseAll() {
    lock.lock();
    try {
      permits = cap();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** A take served {@code n} notifications besides the one its taker waited for: uses up as many. */
  public void consume(int n) {
    if (n <= 0) {
      return;
    }
    lock.lock();
    try {
      permits = Math.max(0, permits - n);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits up to {@code nanos} for a permit and takes it.
   *
   * @return true if a permit was taken, false if the time ran out
   */
  public boolean acquire(long nanos) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      long left = nanos;
      while (permits == 0) {
        if (left <= 0) {
          return false;
        }
        left = changed.awaitNanos(left);
      }
      permits--;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Waits {@code nanos} unless a permit is released meanwhile (a pause between retries); takes none. */
  public void pause(long nanos) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      if (permits == 0) {
        changed.await(nanos, TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Permits not yet taken (for tests). */
  public int available() {
    lock.lock();
    try {
      return permits;
    } finally {
      lock.unlock();
    }
  }
}
