package io.postline.mail.core;

import java.util.Objects;

/**
 * What {@link Mailer#enqueue} gives back: the id to follow the message by (in events, the audit
 * log and the dead letters).
 *
 * @param id the message id
 * @param duplicate true when the email's idempotency key was already used within the window:
 *     nothing new was queued and {@code id} is the first message's id
 */
public record Receipt(String id, boolean duplicate) {
  /** Checks the id. */
  public Receipt {
    Objects.requireNonNull(id, "id");
  }
}
