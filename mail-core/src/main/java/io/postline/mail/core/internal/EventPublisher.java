package io.postline.mail.core.internal;

import io.postline.mail.core.AuditLog;
import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each event, built once, to the audit log, the metrics and every listener, in that order;
 * one that throws, an {@link Error} included (a listener's missing class, a failed assertion), is
 * logged and never fails the send nor keeps the event from the others. The audit log and the metrics have fields
 * of their own, so their calls stay direct whatever listeners the application adds.
 */
public final class EventPublisher {
  private static final Logger log = LoggerFactory.getLogger(EventPublisher.class);

  /**
   * The place of a message no event of which was published before: its story begins with this
   * event ({@link #publish(MailEvent, Object)}).
   */
  public static final Object UNSEEN = InMemoryAuditLog.UNSEEN;

  private final AuditLog audit;
  /** The audit log when it is the in-memory one, which keeps places in stories; else null. */
  private final @Nullable InMemoryAuditLog stories;
  private final MailMetrics metrics;
  private final MailListener[] listeners;

  /** Publishes to {@code audit}, then {@code metrics}, then these listeners, in order. */
  public EventPublisher(AuditLog audit, MailMetrics metrics, List<MailListener> listeners) {
    this.audit = audit;
    this.stories = audit instanceof InMemoryAuditLog inMemory ? inMemory : null;
    this.metrics = metrics;
    this.listeners = listeners.toArray(new MailListener[0]);
  }

  /** Delivers {@code event} to the audit log, the metrics and every listener. */
  public void publish(MailEvent event) {
    publish(event, null);
  }

  /**
   * Delivers an event of a message whose events one caller publishes in turn, as
   * {@link #publish(MailEvent)} does, and answers the audit log's place in the message's story:
   * handed back with the message's next event, it spares the log looking the message up.
   *
   * @param place this method's answer for the message's previous event, {@link #UNSEEN} when
   *     none of its events was published before, or null when unknown
   * @return the place to hand back with the message's next event (null when the log keeps none)
   */
  public @Nullable Object publish(MailEvent event, @Nullable Object place) {
    Object next = null;
    try {
      if (stories != null) {
        next = stories.record(event, place);
      } else {
        audit.record(event);
      }
    } catch (Throwable e) { // NOPMD: a plugin's Error is its failure, not the send's
      failed(audit, event, e);
    }
    try {
      metrics.onEvent(event);
    } catch (Throwable e) { // NOPMD: a plugin's Error is its failure, not the send's
      failed(metrics, event, e);
    }
    for (MailListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (Throwable e) { // NOPMD: a plugin's Error is its failure, not the send's
        failed(listener, event, e);
      }
    }
    return next;
  }

  private static void failed(Object listener, MailEvent event, Throwable e) {
    log.warn("Mail listener {} failed on a {} event of message {}; the send goes on",
        listener.getClass().getName(), event.type(), event.mailId(), e);
  }
}
