package io.postline.mail.smtp.internal;

import io.postline.mail.smtp.OAuth2TokenSupplier;
import io.postline.mail.smtp.SmtpTransport;
import io.postline.mail.smtp.TlsMode;
import java.time.Duration;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Everything an {@code SmtpProvider} was built with, checked. {@link #toString()} shows no secret.
 *
 * @param name the provider's name
 * @param host the server's host
 * @param port the server's port
 * @param tls how the connection is protected
 * @param tlsRequired for {@link TlsMode#STARTTLS}: fail when the server does not offer it
 * @param username the login, or null for no AUTH
 * @param password the password, or null (no AUTH, or XOAUTH2)
 * @param oauth2 the XOAUTH2 token supplier, or null
 * @param connectTimeout limit for opening a connection (TCP, TLS handshake)
 * @param readTimeout limit for each reply
 * @param writeTimeout limit for each write
 * @param poolSize the most connections open at once
 * @param messagesPerConnection the most messages one connection sends before it is closed
 * @param idleTimeout how long an unused connection stays open
 * @param acquireTimeout how long a send waits for a free connection
 * @param validateAfterIdle an idle connection unused for this long is checked with RSET first
 * @param ehloName the name sent in EHLO, or null for the local host name
 * @param sslSocketFactory the TLS sockets with the configured trust, or null for the JVM's default
 * @param tlsVerify whether certificates and host names are verified
 * @param maxMessageBytes the configured size limit, or {@link Long#MAX_VALUE}
 * @param tagHeaders whether tags and metadata are sent as {@code X-Postline-*} headers
 * @param messageIdDomain the Message-ID domain, or null for the sender's
 * @param transport the protocol engine
 * @param dsn the Delivery Status Notification parameters asked for, or null for none
 */
public record SmtpSettings(
    String name,
    String host,
    int port,
    TlsMode tls,
    boolean tlsRequired,
    @Nullable String username,
    @Nullable String password,
    @Nullable OAuth2TokenSupplier oauth2,
    Duration connectTimeout,
    Duration readTimeout,
    Duration writeTimeout,
    int poolSize,
    int messagesPerConnection,
    Duration idleTimeout,
    Duration acquireTimeout,
    Duration validateAfterIdle,
    @Nullable String ehloName,
    @Nullable SSLSocketFactory sslSocketFactory,
    boolean tlsVerify,
    long maxMessageBytes,
    boolean tagHeaders,
    @Nullable String messageIdDomain,
    SmtpTransport transport,
    @Nullable DsnRequest dsn) {

  /** Whether the provider logs in. */
  public boolean authenticates() {
    return username != null;
  }

  /** {@code host:port}. */
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** Names the server and settings, never the password or token. */
  @Override
  public String toString() {
    return "SmtpSettings[" + name + ", " + address() + ", tls=" + tls.name().toLowerCase(java.util.Locale.ROOT)
        + (tlsRequired ? "(required)" : "") + ", auth="
        + (oauth2 != null ? "xoauth2" : username != null ? "password" : "none")
        + ", poolSize=" + poolSize + ", messagesPerConnection=" + messagesPerConnection
        + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout
        + ", writeTimeout=" + writeTimeout + ", idleTimeout=" + idleTimeout
        + ", tlsVerify=" + tlsVerify + ", transport=" + transport.name().toLowerCase(java.util.Locale.ROOT) + "]";
  }
}
