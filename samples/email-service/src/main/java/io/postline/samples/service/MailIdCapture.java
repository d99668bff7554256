package io.postline.samples.service;

import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Learns the id the Mailer gives a synchronous send, so that the client can look the message up
 * later: a synchronous send publishes its events on the calling thread, and the first one names
 * the message (for a duplicate idempotency key, the first message's id).
 */
final class MailIdCapture implements MailListener {
  private final ThreadLocal<String[]> slot = new ThreadLocal<>();

  /** The outcome of a captured call: its result, or what it threw, and the message id. */
  record Captured<T>(@Nullable T result, @Nullable RuntimeException failure, @Nullable String mailId) {}

  /** Runs {@code send} on this thread and records the first mail id its events carry. */
  <T> Captured<T> capture(Supplier<T> send) {
    String[] id = new String[1];
    slot.set(id);
    try {
      return new Captured<>(send.get(), null, id[0]);
    } catch (RuntimeException e) {
      return new Captured<>(null, e, id[0]);
    } finally {
      slot.remove();
    }
  }

  @Override
  public void onEvent(MailEvent event) {
    String[] id = slot.get();
    if (id != null && id[0] == null) {
      id[0] = event instanceof MailEvent.DuplicateDropped d ? d.originalMailId() : event.mailId();
    }
  }
}
