package io.postline.mail.core.internal;

import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands each event to every listener; a listener that throws is logged, never fails the send. */
public final class EventPublisher {
  private static final Logger log = LoggerFactory.getLogger(EventPublisher.class);

  private final List<MailListener> listeners;

  /** Publishes to these listeners, in order. */
  public EventPublisher(List<MailListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /** Delivers {@code event} to every listener. */
  public void publish(MailEvent event) {
    for (MailListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("Mail listener {} failed on a {} event of message {}; the send goes on",
            listener.getClass().getName(), event.type(), event.mailId(), e);
      }
    }
  }
}
