package io.postline.mail.smtp;

/**
 * When the receiving servers should send the envelope sender a Delivery Status Notification for a
 * recipient (RFC 3461 {@code NOTIFY}); see {@link SmtpProvider.Builder#deliveryNotify}.
 */
public enum DeliveryNotify {
  /** When the message was delivered. */
  SUCCESS,
  /** When delivery failed. */
  FAILURE,
  /** When delivery is delayed. */
  DELAY,
  /** Never, not even on failure; cannot be combined with the others. */
  NEVER
}
