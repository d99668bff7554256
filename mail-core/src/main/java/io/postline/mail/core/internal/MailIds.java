package io.postline.mail.core.internal;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.time.Clock;

/**
 * Message ids: 26 characters of Crockford base32, a 48-bit millisecond timestamp from the
 * mailer's clock then 80 random bits (the ULID layout), so ids sort by creation time and do not
 * collide across JVMs. Monotonic: within one millisecond (or while the clock stands still or steps
 * back) each id is the previous one plus one, so ids of one mailer sort in the order they were made.
 */
public final class MailIds {
  private static final byte[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".getBytes(StandardCharsets.US_ASCII);
  private static final long RANDOM_HIGH_MASK = (1L << 40) - 1;
  private final Clock clock;
  private long lastMillis = -1;
  private long high;
  private long low;
  /**
   * The last id made; {@code next()} is synchronized, so one buffer serves every call. Within one
   * millisecond only the low part changes, so only what changed is written again.
   */
  private final byte[] scratch = new byte[26];

  /** Ids stamped by {@code clock}. */
  public MailIds(Clock clock) {
    this.clock = clock;
  }

  /** A new id, greater than every id this instance made before. */
  public String next() {
    return next(clock.millis());
  }

  /**
   * A new id stamped {@code nowMillis}, which the caller read from this instance's clock (and uses
   * again: a send reads the clock once for its id, its deadline and its first events).
   */
  public synchronized String next(long nowMillis) {
    long now = nowMillis & 0xFFFF_FFFF_FFFFL;
    if (now > lastMillis) {
      lastMillis = now;
      ThreadLocalRandom random = ThreadLocalRandom.current();
      high = random.nextLong() & RANDOM_HIGH_MASK;
      // The top bit of the low half starts clear, so a millisecond's increments never overflow it.
      low = random.nextLong() & (RANDOM_HIGH_MASK >>> 1);
      write(scratch, 0, 10, lastMillis);
      write(scratch, 10, 8, high);
    } else if (++low > RANDOM_HIGH_MASK) {
      low = 0;
      if (++high > RANDOM_HIGH_MASK) {
        // 2^80 ids in one millisecond cannot happen; moving the stamp on keeps the order anyway.
        lastMillis++;
        high = 0;
        write(scratch, 0, 10, lastMillis);
      }
      write(scratch, 10, 8, high);
    }
    // Latin-1 bytes: the String copies them once into its own Latin-1 storage, without compressing.
    write(scratch, 18, 8, low);
    return new String(scratch, StandardCharsets.ISO_8859_1);
  }

  /** Writes the low {@code 5 * length} bits of {@code bits} as base32 into out[from..]. */
  private static void write(byte[] out, int from, int length, long bits) {
    for (int i = from + length - 1; i >= from; i--) {
      out[i] = ALPHABET[(int) (bits & 31)];
      bits >>>= 5;
    }
  }
}
