package io.postline.mail.queue.jdbc.internal;

import io.postline.mail.queue.codec.internal.Wakeup;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On PostgreSQL, a thread that LISTENs on one connection of its own and wakes the queue's takers
 * on every NOTIFY. Takers still wake after the poll interval whatever happens, so a lost listener
 * connection slows wake-ups down but loses nothing.
 */
public final class NotifyListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NotifyListener.class);

  private final Wakeup wakeup;
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean listening;

  /**
   * Starts listening for NOTIFY on connections from {@code connections} (one at a time, a new one
   * after a failure), signalling {@code wakeup}.
   */
  public NotifyListener(String queueName, Wakeup wakeup, Supplier<Connection> connections) {
    this.wakeup = wakeup;
    this.thread = new Thread(() -> listenLoop(connections), "postline-jdbc-listen-" + queueName);
    thread.setDaemon(true);
    thread.start();
  }

  /** Whether the LISTEN connection is up: a NOTIFY committed from now on wakes the takers. */
  public boolean listening() {
    return listening;
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
        wakeup.signalAll(); // anything written while we were not listening
        while (!closed) {
          PGNotification[] n = pg.getNotifications(500);
          if (n != null && n.length > 0) {
            wakeup.signalAll();
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

  /** Stops the listener (within about half a second, its longest wait for a notification). */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
