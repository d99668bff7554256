package io.postline.mail.core.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Message ids: 26 characters of Crockford base32, a 48-bit millisecond timestamp then 80 random
 * bits (the ULID layout), so ids sort by creation time and do not collide across JVMs.
 */
public final class MailIds {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

  private MailIds() {}

  /** A new id. */
  public static String next() {
    return of(System.currentTimeMillis());
  }

  /** A new id for a message created at {@code epochMillis}. */
  public static String of(long epochMillis) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] out = new char[26];
    write(out, 0, 10, epochMillis & 0xFFFF_FFFF_FFFFL);
    write(out, 10, 8, random.nextLong() & 0xFF_FFFF_FFFFL);
    write(out, 18, 8, random.nextLong() & 0xFF_FFFF_FFFFL);
    return new String(out);
  }

  /** Writes the low {@code 5 * length} bits of {@code bits} as base32 into out[from..]. */
  private static void write(char[] out, int from, int length, long bits) {
    for (int i = from + length - 1; i >= from; i--) {
      out[i] = ALPHABET[(int) (bits & 31)];
      bits >>>= 5;
    }
  }
}
