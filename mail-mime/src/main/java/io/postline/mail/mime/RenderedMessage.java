package io.postline.mail.mime;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;

/** A message that keeps the Message-ID it was given when it is saved again. */
final class RenderedMessage extends MimeMessage {
  /** The message parsed from bytes that {@link MessageWriter} wrote. */
  RenderedMessage(Session session, InputStream bytes) throws MessagingException {
    super(session, bytes);
  }

  /** Keeps a Message-ID that is already there; Jakarta Mail would replace it with its own. */
  @Override
  protected void updateMessageID() throws MessagingException {
    if (getHeader("Message-ID") == null) {
      super.updateMessageID();
    }
  }
}
