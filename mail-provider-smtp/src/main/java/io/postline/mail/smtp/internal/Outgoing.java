package io.postline.mail.smtp.internal;

import io.postline.mail.Address;
import java.util.List;

/**
 * One message ready for the wire.
 *
 * @param from the envelope sender
 * @param recipients the envelope recipients, bcc included
 * @param mime the message, CRLF line ends, rendered for the connection's {@code MimeChannel}
 * @param smtpUtf8 whether an address is internationalized, so the message needs SMTPUTF8
 * @param messageId the Message-ID, for the DSN envelope id
 */
public record Outgoing(Address from, List<Address> recipients, byte[] mime, boolean smtpUtf8, String messageId) {
  /** Names the message by its size only: no address or content. */
  @Override
  public String toString() {
    return "Outgoing[" + recipients.size() + " recipients, " + mime.length + " bytes]";
  }
}
