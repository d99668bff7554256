package io.postline.mail.queue.codec.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes the threads of one JVM waiting for a durable queue (Redis or JDBC) when a notification
 * arrives or a local write makes work. A waiter reads the {@link #generation()} before it looks at
 * the queue and waits only while it is unchanged, so a notification between the look and the wait
 * is never missed.
 */
public final class Wakeup {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;

  /** The current generation. */
  public long generation() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiter. */
  public void signalAll() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Wakes one waiter: one new message needs one worker. The others notice the new generation
   * when they next wake (at the latest after their poll interval), so nothing is stranded, but a
   * burst of notifications no longer sends every idle worker to Redis for each message.
   */
  public void signalOne() {
    lock.lock();
    try {
      generation++;
      changed.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Wakes up to {@code n} waiters: {@code n} new messages need at most {@code n} workers.
   */
  public void signal(int n) {
    lock.lock();
    try {
      generation++;
      for (int i = 0; i < n; i++) {
        changed.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * How many workers a Redis notification asks for: the number it carries (an enqueue's count),
   * else one (older writers and the other scripts send a letter).
   */
  public static int count(String message) {
    if (message.isEmpty() || message.length() > 4) {
      return 1;
    }
    for (int i = 0; i < message.length(); i++) {
      if (message.charAt(i) < '0' || message.charAt(i) > '9') {
        return 1;
      }
    }
    return Math.max(1, Math.min(64, Integer.parseInt(message)));
  }

  /** How many threads wait in {@link #await} or {@link #pause} now. */
  public int waiting() {
    lock.lock();
    try {
      return lock.getWaitQueueLength(changed);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the generation moves past {@code seen} or {@code nanos} pass.
   *
   * @return true if woken by a notification
   */
  public boolean await(long seen, long nanos) throws InterruptedException {
    lock.lock();
    try {
      long left = nanos;
      while (generation == seen && left > 0) {
        left = changed.awaitNanos(left);
      }
      return generation != seen;
    } finally {
      lock.unlock();
    }
  }

  /** Waits {@code nanos} unless woken, ignoring the generation (a pause between retries). */
  public void pause(long nanos) throws InterruptedException {
    lock.lock();
    try {
      changed.await(nanos, TimeUnit.NANOSECONDS);
    } finally {
      lock.unlock();
    }
  }
}
