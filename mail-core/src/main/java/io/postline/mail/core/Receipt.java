package io.postline.mail.core;

import io.postline.mail.RecipientStatus;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Mailer#enqueue} gives back: the id to follow the message by (in events, the audit
 * log and the dead letters).
 *
 * @param id the message id
 * @param duplicate true when the email's idempotency key was already used within the window:
 *     nothing new was queued and {@code id} is the first message's id
 * @param suppressed the recipients left out because the mailer's suppression list names them
 *     ({@link RecipientStatus.Status#SUPPRESSED}, with why); the message was queued for the others.
 *     In {@link Mailer#enqueueBatch}, where each copy has one recipient, a receipt with a suppressed
 *     recipient stands for a copy that was not queued (its events end in {@code Failed})
 */
public record Receipt(String id, boolean duplicate, List<RecipientStatus> suppressed) {
  /** Checks the id and copies the list. */
  public Receipt {
    Objects.requireNonNull(id, "id");
    suppressed = List.copyOf(suppressed);
  }

  /** A receipt with no recipient left out. */
  public Receipt(String id, boolean duplicate) {
    this(id, duplicate, List.of());
  }
}
