package io.postline.mail;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of a message a provider accepted.
 *
 * @param provider the name of the provider that accepted it
 * @param messageId the provider's id for the message (the SMTP Message-ID, an API's message id)
 * @param recipients one status per recipient; some may be rejected while the rest were accepted
 * @param attempts how many attempts it took, across providers (1 when the first one succeeded)
 * @param duration the time from the first attempt to the provider's answer
 */
public record SendResult(
    String provider, String messageId, List<RecipientStatus> recipients, int attempts, Duration duration) {

  /** Checks and copies the components. */
  public SendResult {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(messageId, "messageId");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(duration, "duration");
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
    }
  }

  /** A provider's result for one attempt where every recipient was accepted. */
  public static SendResult accepted(String provider, String messageId, List<Address> recipients, Duration took) {
    return new SendResult(provider, messageId,
        recipients.stream().map(RecipientStatus::accepted).toList(), 1, took);
  }

  /** The same result with the attempt count and total duration of the whole send. */
  public SendResult withAttempts(int attempts, Duration duration) {
    return new SendResult(provider, messageId, recipients, attempts, duration);
  }

  /** The recipients the provider accepted. */
  public List<Address> accepted() {
    return recipients.stream().filter(RecipientStatus::isAccepted).map(RecipientStatus::address).toList();
  }

  /** The recipients the provider rejected, with its reasons. */
  public List<RecipientStatus> rejected() {
    return recipients.stream().filter(r -> !r.isAccepted()).toList();
  }
}
