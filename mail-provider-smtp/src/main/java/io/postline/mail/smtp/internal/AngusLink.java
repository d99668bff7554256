package io.postline.mail.smtp.internal;

import io.postline.mail.Address;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.mime.MimeChannel;
import io.postline.mail.spi.ProviderException;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * A connection spoken by Angus Mail ({@code transport=angus}): lock-step SMTP, kept for one release
 * as a way out for servers that misbehave with Postline's pipelining engine.
 */
final class AngusLink implements SmtpLink {
  private final Session session;
  private final SMTPTransport transport;
  private final SmtpFailures failures;
  private boolean reusable = true;

  AngusLink(Session session, SMTPTransport transport, SmtpFailures failures) {
    this.session = session;
    this.transport = transport;
    this.failures = failures;
  }

  /** Angus is never asked for 8BITMIME or SMTPUTF8: 7-bit MIME, and internationalized addresses refused. */
  @Override
  public MimeChannel channel(boolean smtpUtf8) throws ProviderException {
    if (smtpUtf8) {
      throw failures.failure(FailureKind.PERMANENT, "the message has an internationalized address (a non-ASCII "
          + "local part), which needs SMTPUTF8; transport=angus does not send SMTPUTF8, transport=postline does."
          + " Nothing was sent", null);
    }
    return MimeChannel.SEVEN_BIT;
  }

  @Override
  public List<RecipientStatus> sendOne(Outgoing outgoing) throws ProviderException {
    List<Address> recipients = outgoing.recipients();
    byte[] mime = outgoing.mime();
    reusable = false;
    jakarta.mail.Address[] envelope = new jakarta.mail.Address[recipients.size()];
    try {
      for (int i = 0; i < envelope.length; i++) {
        InternetAddress ia = new InternetAddress();
        ia.setAddress(recipients.get(i).asciiEmail());
        envelope[i] = ia;
      }
      // Parsed, not built: Angus writes these bytes as they are; the envelope sender is the From header's.
      MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(mime));
      transport.sendMessage(message, envelope);
      List<RecipientStatus> statuses = new ArrayList<>(recipients.size());
      for (Address a : recipients) {
        statuses.add(RecipientStatus.accepted(a));
      }
      reusable = true;
      return statuses;
    } catch (MessagingException e) {
      Optional<List<RecipientStatus>> partial = failures.partialSuccess(e, recipients);
      if (partial.isEmpty()) {
        throw failures.sendFailure(e, recipients);
      }
      reusable = true;
      return partial.get();
    } catch (RuntimeException e) {
      throw failures.failure(FailureKind.TRANSIENT, "SMTP send failed unexpectedly ("
          + e.getClass().getName() + ")", e);
    }
  }

  @Override
  public boolean reusable() {
    return reusable;
  }

  @Override
  public boolean check() {
    return transport.isConnected();
  }

  @Override
  public void noop() throws ProviderException {
    try {
      if (transport.simpleCommand("NOOP") != 250) {
        throw failures.connectFailure(new MessagingException("NOOP refused"), transport);
      }
    } catch (MessagingException e) {
      throw failures.connectFailure(e, transport);
    }
  }

  @Override
  public void close() {
    try {
      transport.close();
    } catch (MessagingException | RuntimeException e) {
      // the socket is closed either way
    }
  }
}
