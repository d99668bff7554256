package io.postline.mail.core.internal;

import io.postline.mail.core.AuditLog;
import io.postline.mail.event.MailEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link AuditLog} in memory: each message's events for {@code retention} after its last event,
 * for at most {@code maxMessages} messages, the oldest forgotten first.
 *
 * <p>Messages arrive roughly in time order, so a map plus a FIFO of messages does what a general
 * cache would at a fraction of the cost on the sending path: a new message is appended, and the
 * oldest are dropped when the log is over its size or their retention has passed.
 */
public final class InMemoryAuditLog implements AuditLog {
  private final Duration retention;
  private final long retentionMillis;
  private final int maxMessages;
  private final Clock clock;
  private final Map<String, Trail> trails = new ConcurrentHashMap<>();
  private final Queue<Trail> oldestFirst = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();

  /** Creates the log. */
  public InMemoryAuditLog(Duration retention, int maxMessages, Clock clock) {
    Objects.requireNonNull(retention, "retention");
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("audit retention must be positive, was " + retention);
    }
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
    }
    this.retention = retention;
    this.retentionMillis = retention.toMillis();
    this.maxMessages = maxMessages;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void record(MailEvent event) {
    long now = clock.millis();
    Trail trail = trails.get(event.mailId());
    if (trail == null) {
      Trail fresh = new Trail(event.mailId());
      trail = trails.putIfAbsent(event.mailId(), fresh);
      if (trail == null) {
        trail = fresh;
        oldestFirst.add(fresh);
        size.incrementAndGet();
        evict(now);
      }
    }
    trail.add(event, now);
  }

  @Override
  public List<MailEvent> find(String mailId) {
    Trail trail = trails.get(mailId);
    if (trail == null || trail.expired(clock.millis(), retentionMillis)) {
      return List.of();
    }
    return trail.events();
  }

  @Override
  public String toString() {
    return "InMemoryAuditLog[retention=" + retention + ", maxMessages=" + maxMessages + ", messages=" + size.get() + "]";
  }

  /** Drops the oldest messages while the log is too big or they are past their retention. */
  private void evict(long now) {
    Trail head;
    while ((head = oldestFirst.peek()) != null
        && (size.get() > maxMessages || head.expired(now, retentionMillis))) {
      // poll() may take another thread's head if it raced us here; either way one trail goes.
      Trail oldest = oldestFirst.poll();
      if (oldest != null) {
        trails.remove(oldest.id, oldest);
        size.decrementAndGet();
      }
    }
  }

  /** One message's events. */
  private static final class Trail {
    final String id;
    private final List<MailEvent> events = new ArrayList<>(4);
    private volatile long lastMillis;

    Trail(String id) {
      this.id = id;
    }

    synchronized void add(MailEvent event, long now) {
      events.add(event);
      lastMillis = now;
    }

    synchronized List<MailEvent> events() {
      return List.copyOf(events);
    }

    boolean expired(long now, long retentionMillis) {
      long last = lastMillis;
      return last != 0 && now - last > retentionMillis;
    }
  }
}
