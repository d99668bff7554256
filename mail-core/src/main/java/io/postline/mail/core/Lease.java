package io.postline.mail.core;

import java.time.Instant;
import java.util.Objects;

/**
 * A worker's temporary hold on a queued message. Only the holder of the current lease can
 * complete the message: {@link MailQueue#ack}, {@link MailQueue#reschedule} and
 * {@link MailQueue#deadLetter} with a lease whose {@code token} is no longer current are refused,
 * so a worker whose lease lapsed cannot overwrite what another worker did since.
 *
 * @param mail the message
 * @param token the fencing token: it grows with every lease of the queue
 * @param expiresAt when the lease lapses unless renewed; the message then returns to the queue
 */
public record Lease(QueuedMail mail, long token, Instant expiresAt) {
  /** Checks the components. */
  public Lease {
    Objects.requireNonNull(mail, "mail");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** The leased message's id. */
  public String id() {
    return mail.id();
  }
}
