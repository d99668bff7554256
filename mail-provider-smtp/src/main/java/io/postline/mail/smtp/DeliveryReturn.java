package io.postline.mail.smtp;

/**
 * How much of the message a failure notification carries back (RFC 3461 {@code RET}); see
 * {@link SmtpProvider.Builder#deliveryReturn}.
 */
public enum DeliveryReturn {
  /** The whole message ({@code RET=FULL}). */
  FULL,
  /** Its headers only ({@code RET=HDRS}). */
  HEADERS
}
