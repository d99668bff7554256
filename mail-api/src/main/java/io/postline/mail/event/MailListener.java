package io.postline.mail.event;

/**
 * Receives every {@link MailEvent}. Called on the thread that made the event happen, so it must
 * be quick and must not block; an exception it throws is logged and does not affect the send.
 */
@FunctionalInterface
public interface MailListener {

  /** Called for each event, in the order the events happened for one message. */
  void onEvent(MailEvent event);
}
