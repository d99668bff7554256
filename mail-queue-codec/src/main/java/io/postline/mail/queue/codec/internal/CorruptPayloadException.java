package io.postline.mail.queue.codec.internal;

import io.postline.mail.MailException;

/**
 * A stored document cannot be read: not JSON, an unknown format version, a missing field, or
 * (when encrypted) no configured key opens it. The message never contains the document itself.
 */
public final class CorruptPayloadException extends MailException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public CorruptPayloadException(String message) {
    super(message);
  }

  /** Creates the exception with its cause. */
  public CorruptPayloadException(String message, Throwable cause) {
    super(message, cause);
  }
}
