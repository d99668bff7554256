package io.postline.mail.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Why mail to one address is not sent.
 *
 * @param address the keyed hash of the address (never the address itself)
 * @param list the mailing list the suppression applies to; empty for all mail to the address
 * @param reason why
 * @param source who said so (a provider name, {@code one-click}, an operator)
 * @param createdAt when it was added
 * @param expiresAt when it stops applying; empty for never
 */
public record SuppressionEntry(
    AddressHash address, Optional<String> list, Reason reason, String source, Instant createdAt,
    Optional<Instant> expiresAt) {

  /** Why an address is suppressed. */
  public enum Reason {
    /** A permanent bounce: the address does not take mail. */
    HARD_BOUNCE,
    /** Temporary bounces, repeatedly. */
    SOFT_BOUNCES,
    /** The recipient marked mail as spam. */
    COMPLAINT,
    /** The recipient unsubscribed. */
    UNSUBSCRIBE,
    /** Added by hand. */
    MANUAL
  }

  /** Checks the components. */
  public SuppressionEntry {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(list, "list");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    list.ifPresent(SuppressionEntry::checkList);
  }

  /** An entry for all mail to {@code address}, for good. */
  public static SuppressionEntry of(AddressHash address, Reason reason, String source, Instant createdAt) {
    return new SuppressionEntry(address, Optional.empty(), reason, source, createdAt, Optional.empty());
  }

  /** This entry, for mailing list {@code list} only. */
  public SuppressionEntry forList(String list) {
    return new SuppressionEntry(address, Optional.of(list), reason, source, createdAt, expiresAt);
  }

  /** This entry, ending at {@code expiresAt}. */
  public SuppressionEntry until(Instant expiresAt) {
    return new SuppressionEntry(address, list, reason, source, createdAt, Optional.of(expiresAt));
  }

  /** Whether it applies at {@code now}. */
  public boolean activeAt(Instant now) {
    return expiresAt.map(now::isBefore).orElse(true);
  }

  /**
   * Checks a list id: 1 to 64 letters, digits, {@code _} or {@code -} (what every provider echoes
   * back unchanged, SES message tags included).
   *
   * @throws IllegalArgumentException if it is not one
   */
  public static String checkList(String list) {
    if (!list.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("a list id is 1 to 64 letters, digits, '_' or '-'");
    }
    return list;
  }
}
