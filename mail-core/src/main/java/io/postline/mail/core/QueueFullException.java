package io.postline.mail.core;

import io.postline.mail.MailException;

/** A queue cannot take another message: it is at its capacity. Nothing was queued. */
public class QueueFullException extends MailException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public QueueFullException(String message) {
    super(message);
  }
}
