package io.postline.mail;

import org.jspecify.annotations.Nullable;

/**
 * Postline cannot tell whether a message was taken: the queue or provider may or may not have
 * stored or accepted it (a timeout, a reply lost with its connection). Nothing is guessed: the
 * message may still be sent, exactly once.
 *
 * <p>Trying again is safe with the same idempotency key (the claim on it is kept, so a second
 * submission is reported as a duplicate of {@link #mailId()}), and a queue stores a given mail id
 * at most once.
 */
public class MailOutcomeUnknownException extends MailException {
  private static final long serialVersionUID = 1L;

  private final String mailId;

  /**
   * Creates the exception.
   *
   * @param mailId the id of the message whose outcome is unknown
   * @param message what was being done and why its outcome is unknown, without secrets or bodies
   * @param cause the underlying failure, if any
   */
  public MailOutcomeUnknownException(String mailId, String message, @Nullable Throwable cause) {
    super(message, cause);
    if (mailId == null || mailId.isBlank()) {
      throw new IllegalArgumentException("mailId must not be blank");
    }
    this.mailId = mailId;
  }

  /** The id of the message whose outcome is unknown: follow it with {@code mailer.audit().find(mailId)}. */
  public String mailId() {
    return mailId;
  }
}
