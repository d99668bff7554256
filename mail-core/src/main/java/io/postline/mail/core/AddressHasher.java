package io.postline.mail.core;

import io.postline.mail.Address;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns addresses into {@link AddressHash}es with HMAC-SHA256 under an application key, so a
 * suppression list never holds a plaintext address. The address is normalized first (ASCII form,
 * lower case): providers treat {@code Ann@Example.org} and {@code ann@example.org} as one mailbox,
 * and a suppression must too. Every instance of the fleet must use the same key.
 */
public final class AddressHasher {
  private final SecretKeySpec key;

  private AddressHasher(byte[] key) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
  }

  /**
   * A hasher with {@code key} (at least 32 bytes, for example from a secrets manager; losing it
   * makes the stored hashes unmatchable, leaking it makes them guessable for known addresses).
   */
  public static AddressHasher hmacSha256(byte[] key) {
    if (key.length < 32) {
      throw new IllegalArgumentException("the address hashing key must be at least 32 bytes");
    }
    return new AddressHasher(key.clone());
  }

  /** The keyed hash of {@code address}. */
  public AddressHash hash(Address address) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] digest = mac.doFinal(address.asciiEmail().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
      return new AddressHash(HexFormat.of().formatHex(digest));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** Says nothing about the key. */
  @Override
  public String toString() {
    return "AddressHasher[HmacSHA256]";
  }
}
