package io.postline.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * What a provider said about one recipient of a sent message.
 *
 * @param address the recipient
 * @param status accepted or rejected
 * @param reason the provider's answer for a rejection (an SMTP reply, an API message); empty
 *     when accepted
 */
public record RecipientStatus(Address address, Status status, Optional<String> reason) {
  /** Whether the provider took the message for this recipient. */
  public enum Status {
    /** The provider accepted the message for this recipient. */
    ACCEPTED,
    /** The provider refused this recipient; the message went to the others. */
    REJECTED
  }

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
