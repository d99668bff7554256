package io.postline.mail.feedback.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Small checks the verifiers share. */
public final class Checks {
  private Checks() {}

  /** Unix seconds as sent in a header or field: 1 to 12 digits, nothing else. */
  public static Optional<Instant> unixSeconds(String text) {
    if (text.isEmpty() || text.length() > 12) {
      return Optional.empty();
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return Optional.empty();
      }
    }
    return Optional.of(Instant.ofEpochSecond(Long.parseLong(text)));
  }

  /** Whether {@code signedAt} is within {@code tolerance} of now, either way. */
  public static boolean fresh(Instant signedAt, Duration tolerance, Clock clock) {
    Instant now = clock.instant();
    return !signedAt.isBefore(now.minus(tolerance)) && !signedAt.isAfter(now.plus(tolerance));
  }

  /** Checks a builder's count or size setting: at least 1. */
  public static int positive(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be positive");
    }
    return value;
  }

  /** Checks a builder's tolerance: positive and at most a day. */
  public static Duration tolerance(Duration tolerance) {
    if (tolerance.isNegative() || tolerance.isZero() || tolerance.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("tolerance must be positive and at most one day");
    }
    return tolerance;
  }
}
