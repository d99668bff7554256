package io.postline.mail.smtp.internal;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * One open SMTP connection: an Angus transport with its session and the pool's bookkeeping. Used
 * by one thread at a time, handed over through the pool.
 */
public final class SmtpConnection {
  private final long id;
  private final Session session;
  private final SMTPTransport transport;
  private final long openedNanos;
  private long lastUsedNanos;
  private int messages;

  SmtpConnection(long id, Session session, SMTPTransport transport, long nowNanos) {
    this.id = id;
    this.session = session;
    this.transport = transport;
    this.openedNanos = nowNanos;
    this.lastUsedNanos = nowNanos;
  }

  /** The connection's number within its provider, for logs. */
  public long id() {
    return id;
  }

  /** The session the transport was made in. */
  public Session session() {
    return session;
  }

  /** The transport, connected. */
  public SMTPTransport transport() {
    return transport;
  }

  /** How many messages this connection has sent. */
  public int messages() {
    return messages;
  }

  long openedNanos() {
    return openedNanos;
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** Counts one sent message and marks the connection used now. */
  public void sent(long nowNanos) {
    messages++;
    lastUsedNanos = nowNanos;
  }

  void touched(long nowNanos) {
    lastUsedNanos = nowNanos;
  }

  /** Checks the connection with RSET; closes it and answers false when the server does not answer 250. */
  boolean check() {
    return transport.isConnected();
  }

  /** Sends QUIT (without waiting for the reply) and closes the socket; never throws. */
  void close() {
    try {
      transport.close();
    } catch (MessagingException | RuntimeException e) {
      // the socket is closed either way
    }
  }
}
