package io.postline.mail.smtp.internal;

import io.postline.mail.mime.MimeChannel;
import io.postline.mail.spi.ProviderException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One open, logged-in SMTP connection, spoken by Postline's own engine ({@link SmtpClient}) or by
 * Angus Mail ({@link AngusLink}). Used by one thread at a time, handed over through the pool.
 */
public interface SmtpLink {
  /**
   * The richest MIME channel the server takes for a message: {@link MimeChannel#UTF8} when it
   * needs SMTPUTF8, {@link MimeChannel#EIGHT_BIT} when the server offers 8BITMIME.
   *
   * @param smtpUtf8 whether the message has an internationalized address
   * @throws ProviderException {@code PERMANENT} when it needs SMTPUTF8 and this connection cannot
   *     send that; nothing was sent
   */
  MimeChannel channel(boolean smtpUtf8) throws ProviderException;

  /**
   * Sends one message.
   *
   * @return each recipient's status; some may be rejected while others were accepted
   * @throws ProviderException classified; afterwards {@link #reusable()} says whether the
   *     connection may serve another message
   */
  default List<io.postline.mail.RecipientStatus> send(Outgoing message) throws ProviderException {
    SendAttempt attempt = sendAll(List.of(message)).get(0);
    if (attempt == null) {
      throw new IllegalStateException("the engine did not attempt the only message");
    }
    return attempt.orThrow();
  }

  /**
   * Sends several messages one after the other, as far as the connection lasts: each message's
   * outcome on its own, a failure of one never attributed to another.
   *
   * @return one entry per message, in order; null for a message not attempted because the
   *     connection was lost before it (it may be sent on another connection); the first message is
   *     always attempted
   */
  default List<@Nullable SendAttempt> sendAll(List<Outgoing> messages) {
    List<@Nullable SendAttempt> attempts = new ArrayList<>(messages.size());
    for (Outgoing m : messages) {
      if (!attempts.isEmpty() && !reusable()) {
        attempts.add(null);
        continue;
      }
      try {
        attempts.add(SendAttempt.sent(sendOne(m)));
      } catch (ProviderException e) {
        attempts.add(SendAttempt.failed(e));
      }
    }
    return attempts;
  }

  /** Sends one message in lock step; what {@link #sendAll} does for each by default. */
  List<io.postline.mail.RecipientStatus> sendOne(Outgoing message) throws ProviderException;

  /** Whether the connection may serve another message (after a refused message, it was reset). */
  boolean reusable();

  /** Checks an idle connection with RSET; false when the server does not answer 250. */
  boolean check();

  /** Sends NOOP, for a health probe. @throws ProviderException classified, when the reply is not 250 */
  void noop() throws ProviderException;

  /** Sends QUIT (without waiting long for the reply) and closes the socket; never throws. */
  void close();
}
