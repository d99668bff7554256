package io.postline.mail.mime;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Makes Message-ID values: {@code <128 random bits in hex@domain>}. */
final class MessageIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private MessageIds() {}

  /**
   * A new, practically unique Message-ID (RFC 5322 3.6.4) with its angle brackets.
   *
   * @param domain an ASCII domain name or domain literal
   */
  static String next(String domain) {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return "<" + HexFormat.of().formatHex(bytes) + "@" + domain + ">";
  }
}
