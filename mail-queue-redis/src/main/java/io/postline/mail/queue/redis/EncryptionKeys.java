package io.postline.mail.queue.redis;

import java.util.List;

/**
 * The AES keys that encrypt what Postline stores in Redis.
 *
 * @deprecated the keys are shared by every durable store now: use
 *     {@link io.postline.mail.queue.codec.EncryptionKeys}, which has the same methods; the Redis
 *     builders take both. This class delegates to it and will be removed in a later release.
 */
@Deprecated(since = "0.2.0", forRemoval = true)
public final class EncryptionKeys {
  private final io.postline.mail.queue.codec.EncryptionKeys keys;

  private EncryptionKeys(io.postline.mail.queue.codec.EncryptionKeys keys) {
    this.keys = keys;
  }

  /** See {@link io.postline.mail.queue.codec.EncryptionKeys#current(String, byte[])}. */
  public static EncryptionKeys current(String id, byte[] key) {
    return new EncryptionKeys(io.postline.mail.queue.codec.EncryptionKeys.current(id, key));
  }

  /** See {@link io.postline.mail.queue.codec.EncryptionKeys#parse(String)}. */
  public static EncryptionKeys parse(String spec) {
    return new EncryptionKeys(io.postline.mail.queue.codec.EncryptionKeys.parse(spec));
  }

  /** See {@link io.postline.mail.queue.codec.EncryptionKeys#withPrevious(String, byte[])}. */
  public EncryptionKeys withPrevious(String id, byte[] key) {
    return new EncryptionKeys(keys.withPrevious(id, key));
  }

  /** The id of the key new data is encrypted with. */
  public String current() {
    return keys.current();
  }

  /** Every key id, the current one first. */
  public List<String> ids() {
    return keys.ids();
  }

  /** The same keys as the shared type. */
  public io.postline.mail.queue.codec.EncryptionKeys shared() {
    return keys;
  }

  /** Shows the key ids, never the keys. */
  @Override
  public String toString() {
    return keys.toString();
  }

}
