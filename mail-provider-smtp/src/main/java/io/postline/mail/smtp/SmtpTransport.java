package io.postline.mail.smtp;

/** Which SMTP protocol engine a provider speaks with: DSN option {@code transport=postline|angus}. */
public enum SmtpTransport {
  /**
   * Postline's own engine (the default): PIPELINING (MAIL, every RCPT and DATA in one flight),
   * SIZE checked before sending, SMTPUTF8, 8BITMIME, RSET after a refused message so the connection
   * stays usable, and the message's MIME bytes written once.
   */
  POSTLINE,
  /**
   * Jakarta Mail's Angus SMTP transport, in lock step. Kept for one release as a way out for a
   * server that misbehaves with pipelining; it will be removed.
   */
  ANGUS
}
