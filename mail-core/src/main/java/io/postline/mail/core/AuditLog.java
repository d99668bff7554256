package io.postline.mail.core;

import io.postline.mail.core.internal.InMemoryAuditLog;
import io.postline.mail.core.internal.Slf4jAuditLog;
import io.postline.mail.event.MailEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Keeps the events of each message so that {@link #find} can tell its story later ("what
 * happened to the password reset of 09:14?"). Events carry no bodies, addresses or secrets.
 * Implementations are thread-safe; {@link #record} must be quick (it runs on the sending thread).
 */
public interface AuditLog {

  /** Records one event. */
  void record(MailEvent event);

  /** The events of one message, oldest first; empty if none are (or are still) kept. */
  List<MailEvent> find(String mailId);

  /** Records into this log and into {@code next}; {@link #find} asks this one. */
  default AuditLog andThen(AuditLog next) {
    AuditLog first = this;
    return new AuditLog() {
      @Override
      public void record(MailEvent event) {
        first.record(event);
        next.record(event);
      }

      @Override
      public List<MailEvent> find(String mailId) {
        return first.find(mailId);
      }
    };
  }

  /** Keeps events in memory for {@code retention}, for at most 10,000 messages (oldest dropped). */
  static AuditLog inMemory(Duration retention) {
    return inMemory(retention, 10_000, Clock.systemUTC());
  }

  /** Keeps events in memory for {@code retention}, for at most {@code maxMessages} messages. */
  static AuditLog inMemory(Duration retention, int maxMessages, Clock clock) {
    return new InMemoryAuditLog(retention, maxMessages, clock);
  }

  /**
   * Writes every event as one structured line (SLF4J key-value pairs) to the logger
   * {@code io.postline.mail.audit} at INFO; {@link #find} returns nothing.
   */
  static AuditLog slf4j() {
    return new Slf4jAuditLog();
  }

  /** Keeps nothing. */
  static AuditLog noop() {
    return new AuditLog() {
      @Override
      public void record(MailEvent event) {}

      @Override
      public List<MailEvent> find(String mailId) {
        return List.of();
      }
    };
  }
}
