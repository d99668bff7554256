package io.postline.mail.smtp.internal;

import io.postline.mail.FailureKind;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SMTP connections shared by every sending thread of one provider.
 *
 * <ul>
 *   <li>At most {@code poolSize} connections are open (or being opened) at once; a send waits up to
 *       {@code acquireTimeout} for one to come free, then fails TRANSIENT.
 *   <li>Idle connections are reused most recently used first, so that surplus ones age out; one
 *       unused for {@code validateAfterIdle} or longer is checked with RSET before it is handed
 *       out, and closed if the server does not answer 250.
 *   <li>A connection that has sent {@code messagesPerConnection} messages is closed (QUIT) when it
 *       comes back; one idle for {@code idleTimeout} is closed by a background sweep.
 *   <li>A connection whose send failed is closed and never handed out again.
 *   <li>{@link #close()} closes every idle connection at once and every busy one when it comes back.
 * </ul>
 */
public final class ConnectionPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionPool.class);

  /** Opens connections; a function so that tests of the pool need no server. */
  @FunctionalInterface
  public interface Opener {
    /** Opens one connection. */
    SmtpConnection open() throws ProviderException;
  }

  private final String provider;
  private final Opener opener;
  private final int maxConnections;
  private final int messagesPerConnection;
  private final long idleTimeoutNanos;
  private final long validateAfterNanos;
  private final long acquireTimeoutNanos;
  private final SmtpFailures failures;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition available = lock.newCondition();
  private final Deque<SmtpConnection> idle = new ArrayDeque<>();
  private final @Nullable ScheduledFuture<?> sweeper;
  private int open;
  private boolean closed;
  private @Nullable Runnable onDrained;

  public ConnectionPool(SmtpSettings settings, Opener opener, SmtpFailures failures,
      ScheduledExecutorService scheduler) {
    this.provider = settings.name();
    this.opener = opener;
    this.failures = failures;
    this.maxConnections = settings.poolSize();
    this.messagesPerConnection = settings.messagesPerConnection();
    this.idleTimeoutNanos = settings.idleTimeout().toNanos();
    this.validateAfterNanos = settings.validateAfterIdle().toNanos();
    this.acquireTimeoutNanos = settings.acquireTimeout().toNanos();
    long period = Math.max(100, Math.min(settings.idleTimeout().toMillis() / 2, 30_000));
    this.sweeper = scheduler.scheduleWithFixedDelay(this::evictIdle, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * A connection for one send: an idle one (checked if it idled long), or a new one while fewer
   * than the maximum are open, or the first to come free within the acquire timeout.
   *
   * @throws ProviderException TRANSIENT when none came free in time, PROVIDER_UNAVAILABLE after
   *     {@link #close()}, or whatever opening a connection threw
   */
  public SmtpConnection acquire() throws ProviderException {
    long deadline = System.nanoTime() + acquireTimeoutNanos;
    while (true) {
      SmtpConnection reuse = null;
      boolean create = false;
      lock.lock();
      try {
        while (true) {
          if (closed) {
            throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "the provider is closed", null);
          }
          if (!idle.isEmpty()) {
            reuse = idle.pollFirst();
            break;
          }
          if (open < maxConnections) {
            open++;
            create = true;
            break;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw failures.failure(FailureKind.TRANSIENT, "no SMTP connection"
                + " came free within " + Duration.ofNanos(acquireTimeoutNanos) + " (all " + maxConnections
                + " busy)", null);
          }
          try {
            available.awaitNanos(left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failures.failure(FailureKind.TRANSIENT, "interrupted while waiting for an SMTP connection", e);
          }
        }
      } finally {
        lock.unlock();
      }
      if (create) {
        try {
          return opener.open();
        } catch (ProviderException | RuntimeException e) {
          forget();
          throw e;
        }
      }
      SmtpConnection c = java.util.Objects.requireNonNull(reuse);
      long now = System.nanoTime();
      if (now - c.lastUsedNanos() >= idleTimeoutNanos) {
        discard(c, "idle too long");
        continue;
      }
      if (now - c.lastUsedNanos() >= validateAfterNanos) {
        if (!c.check()) {
          LOG.debug("SMTP provider {}: connection #{} failed its RSET check; opening another", provider, c.id());
          discard(c, "failed check");
          continue;
        }
        c.touched(System.nanoTime());
      }
      return c;
    }
  }

  /**
   * Gives a connection back after a send.
   *
   * @param healthy false when the send failed: the connection is closed, never reused
   */
  public void release(SmtpConnection c, boolean healthy) {
    boolean keep;
    lock.lock();
    try {
      keep = healthy && !closed && c.messages() < messagesPerConnection;
      if (keep) {
        idle.addFirst(c);
        available.signal();
      }
    } finally {
      lock.unlock();
    }
    if (!keep) {
      discard(c, healthy ? "retired" : "failed");
    }
  }

  /** How many connections are open or being opened; for tests and diagnostics. */
  public int openConnections() {
    lock.lock();
    try {
      return open;
    } finally {
      lock.unlock();
    }
  }

  /** Closes the connections that idled for the idle timeout. */
  void evictIdle() {
    List<SmtpConnection> expired = new ArrayList<>();
    long now = System.nanoTime();
    lock.lock();
    try {
      for (Iterator<SmtpConnection> it = idle.iterator(); it.hasNext(); ) {
        SmtpConnection c = it.next();
        if (now - c.lastUsedNanos() >= idleTimeoutNanos) {
          it.remove();
          expired.add(c);
        }
      }
    } finally {
      lock.unlock();
    }
    for (SmtpConnection c : expired) {
      discard(c, "idle");
    }
  }

  /** Closes every idle connection now (QUIT) and every busy one when it comes back. */
  @Override
  public void close() {
    close(() -> {});
  }

  /**
   * Closes the pool, then runs {@code drained} once the last connection is closed (at once when
   * none is busy).
   */
  public void close(Runnable drained) {
    List<SmtpConnection> all;
    lock.lock();
    try {
      closed = true;
      onDrained = drained;
      all = new ArrayList<>(idle);
      idle.clear();
      available.signalAll();
    } finally {
      lock.unlock();
    }
    if (sweeper != null) {
      sweeper.cancel(false);
    }
    for (SmtpConnection c : all) {
      discard(c, "pool closed");
    }
    runIfDrained();
  }

  private void discard(SmtpConnection c, String why) {
    try {
      c.close();
    } finally {
      forget();
    }
    LOG.debug("SMTP provider {}: closed connection #{} ({}, {} messages)", provider, c.id(), why, c.messages());
  }

  private void forget() {
    lock.lock();
    try {
      open--;
      available.signal();
    } finally {
      lock.unlock();
    }
    runIfDrained();
  }

  private void runIfDrained() {
    Runnable run = null;
    lock.lock();
    try {
      if (closed && open == 0 && onDrained != null) {
        run = onDrained;
        onDrained = null;
      }
    } finally {
      lock.unlock();
    }
    if (run != null) {
      run.run();
    }
  }
}
