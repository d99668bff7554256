package io.postline.mail.mime;

import io.postline.mail.MailException;
import org.jspecify.annotations.Nullable;

/**
 * A message could not be signed (DKIM) or signed or encrypted (S/MIME): no key for the sender's
 * domain, no certificate for a recipient, or a cryptographic failure. A message that was meant
 * to be signed is then not sent at all. The message names what is missing, never a key.
 */
public final class SigningException extends MailException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message. */
  public SigningException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the cause. */
  public SigningException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
