package io.postline.mail.core.internal;

import java.time.Instant;

/**
 * Event timestamps, to the millisecond: every event of one millisecond shares one {@link Instant},
 * so a busy mailer makes about a thousand a second rather than one per event. A pure function of
 * its argument, so one cache serves every mailer.
 */
final class Timestamps {
  /** The last millisecond asked for and its instant; replaced whole, so a reader sees a matching pair. */
  private record Stamp(long millis, Instant instant) {}

  private static volatile Stamp last = new Stamp(0, Instant.EPOCH);

  private Timestamps() {}

  /** The instant {@code millis} after the epoch. */
  static Instant ofMillis(long millis) {
    Stamp s = last;
    if (s.millis == millis) {
      return s.instant;
    }
    Instant instant = Instant.ofEpochMilli(millis);
    last = new Stamp(millis, instant);
    return instant;
  }
}
