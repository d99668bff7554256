package io.postline.mail.queue.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes waiting takers: {@link #signal()} in this JVM, and on PostgreSQL a thread that LISTENs on
 * one connection of its own and signals on every NOTIFY. Takers still wake after the poll interval
 * whatever happens, so a lost listener connection slows wake-ups down but loses nothing.
 */
public final class Wakeup implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Wakeup.class);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;
  private volatile boolean closed;
  private volatile boolean listening;
  private Thread listener;

  /** The current generation; pass it to {@link #await} to miss no signal given after this call. */
  public long generation() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting taker. */
  public void signal() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Wakes one waiting taker: enough for one new message (a taker that finds more wakes the next),
   * without every idle worker querying for it.
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

  /** How many takers wait in {@link #await} now. */
  public int waiting() {
    lock.lock();
    try {
      return lock.getWaitQueueLength(changed);
    } finally {
      lock.unlock();
    }
  }

  /** Whether the LISTEN connection is up: a NOTIFY committed from now on wakes the takers. */
  public boolean listening() {
    return listening;
  }

  /** Waits until a signal after {@code seen}, or {@code max}. */
  public void await(long seen, Duration max) throws InterruptedException {
    long nanos = max.toNanos();
    lock.lock();
    try {
      while (generation == seen && nanos > 0 && !closed) {
        nanos = changed.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts listening for NOTIFY on connections from {@code connections} (one at a time, a new one
   * after a failure).
   */
  public void listen(String queueName, Supplier<Connection> connections) {
    listener = new Thread(() -> listenLoop(connections), "postline-jdbc-listen-" + queueName);
    listener.setDaemon(true);
    listener.start();
  }

  private void listenLoop(Supplier<Connection> connections) {
    long backoffMs = 100;
    while (!closed) {
      try (Connection c = connections.get()) {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + Dialect.CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        backoffMs = 100;
        listening = true;
        signal(); // anything written while we were not listening
        while (!closed) {
          PGNotification[] n = pg.getNotifications(500);
          if (n != null && n.length > 0) {
            signal();
          }
        }
      } catch (SQLException | RuntimeException e) {
        listening = false;
        if (closed) {
          return;
        }
        log.warn("mail queue: LISTEN connection failed ({}); takers poll until it is back", e.toString());
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException ie) {
          return;
        }
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  /** Stops the listener and wakes every waiting taker. */
  @Override
  public void close() {
    closed = true;
    signal();
    Thread t = listener;
    if (t != null) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
