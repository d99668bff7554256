package io.postline.mail.feedback;

import io.postline.mail.Address;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One thing a provider reported about one recipient of one message, the same shape for every
 * provider.
 *
 * @param provider the provider that reported it ({@code sendgrid}, {@code mailgun}, {@code ses})
 * @param type what happened
 * @param recipient the recipient it happened to
 * @param mailId the id Postline gave the message, when the provider echoed it back (metadata key
 *     {@link #MAIL_ID_KEY}: SendGrid custom args, Mailgun user variables, SES message tags)
 * @param list the mailing list the message belonged to (metadata key {@link #LIST_KEY}), if any
 * @param providerMessageId the provider's own message id, if it sent one
 * @param occurredAt when the provider says it happened
 * @param smtpStatus the SMTP status (enhanced code such as {@code 5.1.1} when known, else the
 *     reply code) for bounces, deferrals and deliveries, when reported
 * @param diagnostic the remote server's or provider's explanation, when reported; it may quote the
 *     recipient, so it is kept out of {@link #toString()}
 */
public record DeliveryEvent(
    String provider,
    Type type,
    Address recipient,
    Optional<String> mailId,
    Optional<String> list,
    Optional<String> providerMessageId,
    Instant occurredAt,
    Optional<String> smtpStatus,
    Optional<String> diagnostic) {

  /** The metadata key under which a message carries Postline's mail id to the provider. */
  public static final String MAIL_ID_KEY = io.postline.mail.core.Mailer.MAIL_ID_METADATA_KEY;

  /** The metadata key under which a message carries the mailing list it belongs to. */
  public static final String LIST_KEY = io.postline.mail.core.SuppressionList.LIST_METADATA_KEY;

  /** What happened to the message for this recipient. */
  public enum Type {
    /** The receiving server accepted the message. */
    DELIVERED,
    /** Delivery was delayed; the provider is still trying. */
    DEFERRED,
    /** A permanent failure: the address does not take mail. */
    HARD_BOUNCE,
    /** A temporary failure the provider gave up on (mailbox full, greylisting, ...). */
    SOFT_BOUNCE,
    /** The recipient marked the message as spam. */
    COMPLAINED,
    /** The recipient unsubscribed (from {@link DeliveryEvent#list()} when one is known). */
    UNSUBSCRIBED,
    /** The provider refused or dropped the message before sending it. */
    REJECTED,
    /** The recipient opened the message (tracking pixel). */
    OPENED,
    /** The recipient clicked a tracked link. */
    CLICKED
  }

  /** Checks the components. */
  public DeliveryEvent {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(mailId, "mailId");
    Objects.requireNonNull(list, "list");
    Objects.requireNonNull(providerMessageId, "providerMessageId");
    Objects.requireNonNull(occurredAt, "occurredAt");
    Objects.requireNonNull(smtpStatus, "smtpStatus");
    Objects.requireNonNull(diagnostic, "diagnostic");
  }

  /** Masks the recipient and leaves out the diagnostic, which may quote the address. */
  @Override
  public String toString() {
    return "DeliveryEvent[" + provider + " " + type + " " + recipient.masked()
        + mailId.map(id -> " mail " + id).orElse("")
        + list.map(l -> " list " + l).orElse("")
        + smtpStatus.map(s -> " status " + s).orElse("")
        + " at " + occurredAt + "]";
  }
}
