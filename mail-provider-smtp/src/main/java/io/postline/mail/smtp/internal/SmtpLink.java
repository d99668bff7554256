package io.postline.mail.smtp.internal;

import io.postline.mail.Address;
import io.postline.mail.RecipientStatus;
import io.postline.mail.spi.ProviderException;
import java.util.List;

/**
 * One open, logged-in SMTP connection, spoken by Postline's own engine ({@link SmtpClient}) or by
 * Angus Mail ({@link AngusLink}). Used by one thread at a time, handed over through the pool.
 */
public interface SmtpLink {
  /**
   * Sends one message.
   *
   * @param from the envelope sender
   * @param recipients the envelope recipients, bcc included
   * @param mime the message, CRLF line ends
   * @return each recipient's status; some may be rejected while others were accepted
   * @throws ProviderException classified; afterwards {@link #reusable()} says whether the
   *     connection may serve another message
   */
  List<RecipientStatus> send(Address from, List<Address> recipients, byte[] mime) throws ProviderException;

  /** Whether the connection may serve another message (after a refused message, it was reset). */
  boolean reusable();

  /** Checks an idle connection with RSET; false when the server does not answer 250. */
  boolean check();

  /** Sends NOOP, for a health probe. @throws ProviderException classified, when the reply is not 250 */
  void noop() throws ProviderException;

  /** Sends QUIT (without waiting long for the reply) and closes the socket; never throws. */
  void close();
}
