package io.postline.mail.queue.redis;

import io.postline.mail.MailException;

/**
 * Redis could not be reached (or kept answering that it is loading, failing over or busy) for as
 * long as the operation was allowed to retry. For an enqueue this means the message was not
 * stored; trying again later with the same message is safe (an enqueue of a message id already
 * stored does nothing).
 */
public class RedisUnavailableException extends MailException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public RedisUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
