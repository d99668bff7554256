package io.postline.mail.queue.codec;

import io.postline.mail.queue.codec.internal.AesGcmCipher;
import io.postline.mail.queue.codec.internal.PayloadCipher;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The AES keys that encrypt what Postline stores at rest (queued messages and dead-letter reasons
 * in the Redis and JDBC queues, Redis idempotency results and audit events), with AES-GCM from the JDK. The {@linkplain #current()
 * current} key encrypts everything written; every listed key decrypts. To rotate: add a new key
 * as current and keep the old ones listed until nothing written with them is left (queued
 * messages are rewritten only when they are sent, so keep an old key at least as long as the
 * longest schedule, dead-letter and audit retention).
 *
 * <pre>{@code
 * EncryptionKeys keys = EncryptionKeys.current("2025-06", newKey).withPrevious("2024-01", oldKey);
 * EncryptionKeys same = EncryptionKeys.parse("2025-06:BASE64...,2024-01:BASE64...");
 * }</pre>
 *
 * <p>Immutable. {@link #toString()} shows key ids only.
 */
public final class EncryptionKeys {
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final String current;
  private final Map<String, byte[]> keys;

  private EncryptionKeys(String current, Map<String, byte[]> keys) {
    this.current = current;
    this.keys = keys;
  }

  /**
   * Keys with {@code key} as the current one.
   *
   * @param id names the key in what it encrypts: 1 to 64 letters, digits, {@code _ . -}
   * @param key 16, 24 or 32 bytes (AES-128, -192, -256); copied
   * @throws IllegalArgumentException if the id or the key length is not valid
   */
  public static EncryptionKeys current(String id, byte[] key) {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    keys.put(checkId(id), checkKey(id, key));
    return new EncryptionKeys(id, keys);
  }

  /**
   * Parses {@code id:base64key} entries separated by commas, the current key first, as they may
   * be written in configuration.
   *
   * @throws IllegalArgumentException saying which entry is wrong (never showing key material)
   */
  public static EncryptionKeys parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    List<String> entries = new ArrayList<>();
    for (String e : spec.split(",")) {
      if (!e.isBlank()) {
        entries.add(e.strip());
      }
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("encryption keys: expected id:base64key entries, got none");
    }
    EncryptionKeys keys = null;
    for (int i = 0; i < entries.size(); i++) {
      String entry = entries.get(i);
      int colon = entry.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("encryption keys: entry " + (i + 1) + " is not id:base64key");
      }
      String id = entry.substring(0, colon);
      byte[] key;
      try {
        key = Base64.getDecoder().decode(entry.substring(colon + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("encryption keys: the key of " + checkId(id) + " is not base64");
      }
      keys = keys == null ? current(id, key) : keys.withPrevious(id, key);
    }
    return keys;
  }

  /**
   * These keys plus an older one, still accepted for reading.
   *
   * @throws IllegalArgumentException if the id is taken or not valid, or the key length is wrong
   */
  public EncryptionKeys withPrevious(String id, byte[] key) {
    checkId(id);
    if (keys.containsKey(id)) {
      throw new IllegalArgumentException("encryption key id " + id + " is listed twice");
    }
    Map<String, byte[]> copy = new LinkedHashMap<>(keys);
    copy.put(id, checkKey(id, key));
    return new EncryptionKeys(current, copy);
  }

  /** The id of the key new data is encrypted with. */
  public String current() {
    return current;
  }

  /** Every key id, the current one first. */
  public List<String> ids() {
    return List.copyOf(keys.keySet());
  }

  /**
   * The cipher Postline's stores seal and open values with; not meant for application code.
   */
  public PayloadCipher cipher() {
    return new AesGcmCipher(current, keys);
  }

  /** Shows the key ids, never the keys. */
  @Override
  public String toString() {
    return "EncryptionKeys[current=" + current + ", ids=" + keys.keySet() + "]";
  }

  private static String checkId(String id) {
    Objects.requireNonNull(id, "id");
    if (!KEY_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("encryption key id must be 1 to 64 letters, digits, '_', '.' or '-'");
    }
    return id;
  }

  private static byte[] checkKey(String id, byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length != 16 && key.length != 24 && key.length != 32) {
      throw new IllegalArgumentException("encryption key " + id + " has " + key.length
          + " bytes; AES needs 16, 24 or 32");
    }
    return key.clone();
  }
}
