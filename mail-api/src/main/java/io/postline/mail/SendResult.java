package io.postline.mail;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of a message a provider accepted.
 *
 * @param provider the name of the provider that accepted it
 * @param messageId the provider's id for the message (the SMTP Message-ID, an API's message id)
 * @param recipients one status per recipient; some may be rejected while the rest were accepted,
 *     and a {@code Mailer} adds those it left out as {@link RecipientStatus.Status#SUPPRESSED}
 * @param attempts how many attempts it took, across providers (1 when the first one succeeded)
 * @param duration the time from the first attempt to the provider's answer
 * @param mailId the id the {@code Mailer} gave the message, to find its events with
 *     {@code mailer.audit().find(mailId)}; empty in a provider's own result
 */
public record SendResult(String provider, String messageId, List<RecipientStatus> recipients, int attempts,
    Duration duration, Optional<String> mailId) {

  /** Checks and copies the components. */
  public SendResult {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(messageId, "messageId");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(mailId, "mailId");
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
    }
  }

  /** A provider's result, before the {@code Mailer} gives it the message's id. */
  public SendResult(String provider, String messageId, List<RecipientStatus> recipients, int attempts, Duration duration) {
    this(provider, messageId, recipients, attempts, duration, Optional.empty());
  }

  /** A provider's result for one attempt where every recipient was accepted. */
  public static SendResult accepted(String provider, String messageId, List<Address> recipients, Duration took) {
    return new SendResult(provider, messageId,
        recipients.stream().map(RecipientStatus::accepted).toList(), 1, took);
  }

  /** The same result with the attempt count and total duration of the whole send. */
  public SendResult withAttempts(int attempts, Duration duration) {
    return new SendResult(provider, messageId, recipients, attempts, duration, mailId);
  }

  /** The same result carrying the id the {@code Mailer} gave the message. */
  public SendResult withMailId(String mailId) {
    return new SendResult(provider, messageId, recipients, attempts, duration, Optional.of(mailId));
  }

  /** The recipients the provider accepted. */
  public List<Address> accepted() {
    return recipients.stream().filter(RecipientStatus::isAccepted).map(RecipientStatus::address).toList();
  }

  /** The recipients the provider rejected, with its reasons. */
  public List<RecipientStatus> rejected() {
    return recipients.stream().filter(r -> r.status() == RecipientStatus.Status.REJECTED).toList();
  }

  /** The recipients the {@code Mailer} left out because its suppression list names them, with why. */
  public List<RecipientStatus> suppressed() {
    return recipients.stream().filter(RecipientStatus::isSuppressed).toList();
  }
}
