package io.postline.mail;

import org.jspecify.annotations.Nullable;

/**
 * Base of every exception Postline throws. Unchecked: a send that cannot succeed is reported by
 * a subclass that says why ({@link InvalidEmailException}, {@link SendFailedException}).
 *
 * <p>Messages never contain credentials or message bodies.
 */
public class MailException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message. */
  public MailException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the cause. */
  public MailException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
