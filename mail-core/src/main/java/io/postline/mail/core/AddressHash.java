package io.postline.mail.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A recipient address as a suppression list stores it: the hex HMAC-SHA256 of the normalized
 * address under the application's key ({@link AddressHasher}). It identifies the address to whoever
 * holds the key and to no one else, so it may be stored, logged and put in URLs.
 *
 * @param hex 64 lowercase hex digits
 */
public record AddressHash(String hex) {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  /** Checks the form. */
  public AddressHash {
    Objects.requireNonNull(hex, "hex");
    if (!HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("an address hash is 64 lowercase hex digits");
    }
  }

  @Override
  public String toString() {
    return hex;
  }
}
