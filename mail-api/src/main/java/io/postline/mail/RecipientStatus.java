package io.postline.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * What became of one recipient of a message: what a provider said, or that the {@code Mailer}
 * left the recipient out because its suppression list names the address.
 *
 * @param address the recipient
 * @param status accepted, rejected or suppressed
 * @param reason the provider's answer for a rejection (an SMTP reply, an API message); for a
 *     suppressed recipient, why ({@link #SUPPRESSION_REASONS}); empty when accepted
 */
public record RecipientStatus(Address address, Status status, Optional<String> reason) {
  /** Whether the provider took the message for this recipient. */
  public enum Status {
    /** The provider accepted the message for this recipient. */
    ACCEPTED,
    /** The provider refused this recipient; the message went to the others. */
    REJECTED,
    /**
     * The {@code Mailer}'s suppression list names this address (a bounce, a complaint, an
     * unsubscribe): the message was not sent to it, and no provider saw it.
     */
    SUPPRESSED
  }

  /**
   * The reasons a suppressed recipient's {@link #reason()} may give, the same words as the
   * {@code reason} tag of the {@code postline.mail.suppressed} counter.
   */
  public static final java.util.Set<String> SUPPRESSION_REASONS =
      java.util.Set.of("hard_bounce", "soft_bounces", "complaint", "unsubscribe", "manual");

  /** Checks the components. */
  public RecipientStatus {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reason, "reason");
  }

  /** The provider accepted the message for {@code address}. */
  public static RecipientStatus accepted(Address address) {
    return new RecipientStatus(address, Status.ACCEPTED, Optional.empty());
  }

  /** The provider refused {@code address}, saying {@code reason}. */
  public static RecipientStatus rejected(Address address, String reason) {
    return new RecipientStatus(address, Status.REJECTED, Optional.of(reason));
  }

  /**
   * The {@code Mailer} left {@code address} out: its suppression list names it, for
   * {@code reason} (one of {@link #SUPPRESSION_REASONS}).
   *
   * @throws IllegalArgumentException if the reason is not one of them
   */
  public static RecipientStatus suppressed(Address address, String reason) {
    if (!SUPPRESSION_REASONS.contains(reason)) {
      throw new IllegalArgumentException("a suppression reason is one of " + new java.util.TreeSet<>(SUPPRESSION_REASONS)
          + ", was '" + reason + "'");
    }
    return new RecipientStatus(address, Status.SUPPRESSED, Optional.of(reason));
  }

  /** Whether this recipient was left out because the suppression list names it. */
  public boolean isSuppressed() {
    return status == Status.SUPPRESSED;
  }

  /** Whether this recipient was accepted. */
  public boolean isAccepted() {
    return status == Status.ACCEPTED;
  }

  /** Masks the address. */
  @Override
  public String toString() {
    return address.masked() + " " + status + reason.map(r -> " (" + r + ")").orElse("");
  }
}
