package io.postline.mail.queue.codec.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * How the durable stores keep an idempotency key: its SHA-256 in base64url (43 characters), never
 * the key itself (a group message's key ends in the recipient's address).
 */
public final class KeyDigest {
  private KeyDigest() {}

  /** The SHA-256 of {@code key}'s UTF-8 bytes, base64url without padding. */
  public static String of(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
