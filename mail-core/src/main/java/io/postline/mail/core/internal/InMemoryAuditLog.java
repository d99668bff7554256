package io.postline.mail.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.postline.mail.core.AuditLog;
import io.postline.mail.event.MailEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link AuditLog} in memory: each message's events for {@code retention} after its last event,
 * for at most {@code maxMessages} messages (Caffeine evicts the least recently used beyond that).
 */
public final class InMemoryAuditLog implements AuditLog {
  private final Cache<String, List<MailEvent>> events;

  /** Creates the log. */
  public InMemoryAuditLog(Duration retention, int maxMessages, Clock clock) {
    Objects.requireNonNull(retention, "retention");
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("audit retention must be positive, was " + retention);
    }
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
    }
    Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    this.events = Caffeine.newBuilder().expireAfterWrite(retention).maximumSize(maxMessages).ticker(ticker).build();
  }

  @Override
  public void record(MailEvent event) {
    events.asMap().compute(event.mailId(), (id, list) -> {
      List<MailEvent> next = list == null ? new ArrayList<>(6) : list;
      next.add(event);
      return next;
    });
  }

  @Override
  public List<MailEvent> find(String mailId) {
    AtomicReference<List<MailEvent>> copy = new AtomicReference<>(List.of());
    // computeIfPresent copies under the entry's lock, while another thread may be appending.
    events.asMap().computeIfPresent(mailId, (id, list) -> {
      copy.set(List.copyOf(list));
      return list;
    });
    return copy.get();
  }
}
