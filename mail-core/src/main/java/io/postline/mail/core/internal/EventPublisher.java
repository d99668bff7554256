package io.postline.mail.core.internal;

import io.postline.mail.core.AuditLog;
import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.util.List;
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

  private final AuditLog audit;
  private final MailMetrics metrics;
  private final MailListener[] listeners;

  /** Publishes to {@code audit}, then {@code metrics}, then these listeners, in order. */
  public EventPublisher(AuditLog audit, MailMetrics metrics, List<MailListener> listeners) {
    this.audit = audit;
    this.metrics = metrics;
    this.listeners = listeners.toArray(new MailListener[0]);
  }

  /** Delivers {@code event} to the audit log, the metrics and every listener. */
  public void publish(MailEvent event) {
    try {
      audit.record(event);
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
  }

  private static void failed(Object listener, MailEvent event, Throwable e) {
    log.warn("Mail listener {} failed on a {} event of message {}; the send goes on",
        listener.getClass().getName(), event.type(), event.mailId(), e);
  }
}
