package io.postline.mail.smtp.internal;

/**
 * One open SMTP connection: its {@link SmtpLink} and the pool's bookkeeping. Used by one thread at
 * a time, handed over through the pool.
 */
public final class SmtpConnection {
  private final long id;
  private final SmtpLink link;
  private final long openedNanos;
  private long lastUsedNanos;
  private int messages;

  SmtpConnection(long id, SmtpLink link, long nowNanos) {
    this.id = id;
    this.link = link;
    this.openedNanos = nowNanos;
    this.lastUsedNanos = nowNanos;
  }

  /** The connection's number within its provider, for logs. */
  public long id() {
    return id;
  }

  /** The connection's protocol engine, connected and logged in. */
  public SmtpLink link() {
    return link;
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
    return link.check();
  }

  /** Sends QUIT (without waiting for the reply) and closes the socket; never throws. */
  void close() {
    link.close();
  }
}
