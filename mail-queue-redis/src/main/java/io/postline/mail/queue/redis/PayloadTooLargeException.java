package io.postline.mail.queue.redis;

import io.postline.mail.InvalidEmailException;

/**
 * A message is larger, once encoded (and encrypted), than the queue's payload size limit. It was
 * not queued. Retrying cannot help: shrink the message (attachments first) or raise the limit.
 */
public class PayloadTooLargeException extends InvalidEmailException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long limit;

  /** Creates the exception. */
  public PayloadTooLargeException(long size, long limit) {
    super("the message takes " + size + " bytes in the Redis queue, over its payload limit of " + limit
        + " bytes; shrink its attachments or raise RedisMailQueue.Builder.maxPayloadBytes");
    this.size = size;
    this.limit = limit;
  }

  /** The encoded size in bytes. */
  public long size() {
    return size;
  }

  /** The queue's limit in bytes. */
  public long limit() {
    return limit;
  }
}
