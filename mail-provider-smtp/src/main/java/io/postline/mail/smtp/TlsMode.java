package io.postline.mail.smtp;

/**
 * How the connection to the SMTP server is protected. The DSN option is {@code tls}, written in
 * lower case: {@code tls=starttls}, {@code tls=implicit}, {@code tls=none}.
 */
public enum TlsMode {
  /**
   * Plain connect, then {@code STARTTLS} (RFC 3207), usually on port 587. It is required (the
   * provider never falls back to plain text) when credentials are set or when this mode was chosen
   * explicitly; otherwise (the {@code smtp://} default without credentials) it is used whenever the
   * server offers it.
   */
  STARTTLS,
  /** TLS from the first byte (RFC 8314 "implicit TLS"), usually on port 465: {@code smtps://}. */
  IMPLICIT,
  /**
   * No TLS at all. Only for local relays and tests; with credentials it sends them in plain text,
   * and the provider logs a warning saying so when it is built.
   */
  NONE
}
