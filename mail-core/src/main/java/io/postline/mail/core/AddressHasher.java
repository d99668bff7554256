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
  /**
   * One initialized {@link Mac} per thread: the engine hashes every recipient of every message
   * when a suppression list is set, and looking up and keying a {@code Mac} costs several times
   * the hash itself.
   */
  private final ThreadLocal<Mac> macs;

  private AddressHasher(byte[] key) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
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
    // doFinal resets the Mac for the next use on this thread.
    byte[] digest = macs.get().doFinal(address.asciiEmail().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    return new AddressHash(HexFormat.of().formatHex(digest));
  }

  /** Says nothing about the key. */
  @Override
  public String toString() {
    return "AddressHasher[HmacSHA256]";
  }
}
