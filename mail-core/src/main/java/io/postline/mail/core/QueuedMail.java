package io.postline.mail.core;

import io.postline.mail.Email;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A message held by a {@link MailQueue}: the rendered email and what the queue knows about it.
 *
 * @param id the message id (the {@link Receipt#id()})
 * @param email the email, already validated and rendered
 * @param attempts how many send attempts were made so far
 * @param enqueuedAt when it was enqueued
 * @param dueAt when it may be sent next (its {@code sendAt}, or the time of its next retry)
 * @param correlationId the correlation id of the request that enqueued it, restored in the
 *     worker's logging context around its send
 */
public record QueuedMail(String id, Email email, int attempts, Instant enqueuedAt, Instant dueAt,
    Optional<String> correlationId) {

  /** Checks the components. */
  public QueuedMail {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(enqueuedAt, "enqueuedAt");
    Objects.requireNonNull(dueAt, "dueAt");
    Objects.requireNonNull(correlationId, "correlationId");
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must not be negative, was " + attempts);
    }
  }

  /** The priority the queue orders it by. */
  public io.postline.mail.Priority priority() {
    return email.priority();
  }

  /** The same message after another attempt, due again at {@code dueAt}. */
  public QueuedMail retriedAt(Instant dueAt, int attempts) {
    return new QueuedMail(id, email, attempts, enqueuedAt, dueAt, correlationId);
  }

  /** Leaves out the email's content. */
  @Override
  public String toString() {
    return "QueuedMail[" + id + ", " + email.priority() + ", attempts=" + attempts + ", due=" + dueAt + "]";
  }
}
