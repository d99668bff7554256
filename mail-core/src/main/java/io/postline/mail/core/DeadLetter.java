package io.postline.mail.core;

import io.postline.mail.FailureKind;
import java.time.Instant;
import java.util.Objects;

/**
 * A message that will not be sent without help: its last attempt failed for good, or its
 * attempts ran out.
 *
 * @param mail the message as it was when it was dead-lettered
 * @param kind the classification of the failure that ended it
 * @param reason what the provider answered, or why the queue gave up
 * @param deadLetteredAt when it was moved to the dead letters
 */
public record DeadLetter(QueuedMail mail, FailureKind kind, String reason, Instant deadLetteredAt) {
  /** Checks the components. */
  public DeadLetter {
    Objects.requireNonNull(mail, "mail");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(deadLetteredAt, "deadLetteredAt");
  }

  /** The message id. */
  public String id() {
    return mail.id();
  }

  /** How many attempts were made. */
  public int attempts() {
    return mail.attempts();
  }
}
