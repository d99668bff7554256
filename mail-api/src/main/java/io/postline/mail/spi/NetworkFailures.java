package io.postline.mail.spi;

import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.jspecify.annotations.Nullable;

/**
 * Recognises the failures that mean a server cannot be reached at all, as opposed to a server
 * that was reached and was slow or dropped the connection. Every provider classifies them the
 * same way, {@link io.postline.mail.FailureKind#PROVIDER_UNAVAILABLE}: retrying the same server
 * in a moment will not help, the next provider should be tried at once.
 *
 * <table>
 *   <caption>what the cause chain holds, in this order</caption>
 *   <tr><th>cause</th><th>unreachable?</th></tr>
 *   <tr><td>a timeout ({@code SocketTimeoutException}, any {@link InterruptedIOException},
 *       {@link HttpTimeoutException}), connect timeouts included</td><td>no: a slow or busy server
 *       may answer the next attempt</td></tr>
 *   <tr><td>{@link UnknownHostException}, {@link UnresolvedAddressException}</td><td>yes, unknown host</td></tr>
 *   <tr><td>{@link NoRouteToHostException}</td><td>yes, no route</td></tr>
 *   <tr><td>{@link ConnectException}</td><td>yes, connection refused</td></tr>
 *   <tr><td>a certificate path failure, {@link SSLPeerUnverifiedException}, a host name not in the
 *       certificate, any other {@link SSLHandshakeException}</td><td>yes, TLS</td></tr>
 * </table>
 */
public final class NetworkFailures {
  private static final int MAX_DEPTH = 20;

  private NetworkFailures() {}

  /**
   * What makes the server unreachable and what to check, such as {@code connection refused
   * (Connection refused): check the host and port and that the server is running}; empty when
   * {@code e} is no such failure (a timeout, a dropped connection, anything else).
   *
   * @param e what the client threw; its causes are searched too
   * @param trustSettings where the trust comes from, named in the advice for TLS failures, such
   *     as {@code "the JVM's trust store (javax.net.ssl.trustStore)"}
   */
  public static Optional<String> unreachable(Throwable e, String trustSettings) {
    Objects.requireNonNull(e, "e");
    Objects.requireNonNull(trustSettings, "trustSettings");
    if (find(e, InterruptedIOException.class) != null || find(e, HttpTimeoutException.class) != null) {
      return Optional.empty();
    }
    Throwable t = find(e, UnknownHostException.class);
    if (t != null) {
      return Optional.of("unknown host" + (t.getMessage() == null ? "" : " " + t.getMessage()) + ": check the host name (and DNS)");
    }
    if (find(e, UnresolvedAddressException.class) != null) {
      return Optional.of("unknown host: check the host name (and DNS)");
    }
    t = find(e, NoRouteToHostException.class);
    if (t != null) {
      return Optional.of("no route to host" + said(t) + ": check the host and the network path to it");
    }
    Throwable path = find(e, CertPathBuilderException.class);
    if (path == null) {
      path = find(e, CertPathValidatorException.class);
    }
    if (path != null) {
      return Optional.of("the server's TLS certificate is not trusted" + said(path)
          + ": check the trust settings, " + trustSettings);
    }
    Throwable cert = find(e, CertificateException.class);
    if (cert != null || find(e, SSLPeerUnverifiedException.class) != null) {
      Throwable c = cert != null ? cert : Objects.requireNonNull(find(e, SSLPeerUnverifiedException.class));
      return Optional.of("the server's TLS certificate was refused" + said(c)
          + ": check that the host name is the one in the certificate, and the trust settings, " + trustSettings);
    }
    t = find(e, SSLHandshakeException.class);
    if (t != null) {
      return Optional.of("the TLS handshake failed" + said(t)
          + ": check that the server speaks TLS on this port, and the trust settings, " + trustSettings);
    }
    t = find(e, ConnectException.class);
    if (t != null) {
      return Optional.of("connection refused" + said(t)
          + ": check the host and port and that the server is running");
    }
    return Optional.empty();
  }

  /** The exception's message in parentheses after a space, or nothing when it has none. */
  private static String said(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? "" : " (" + m + ")";
  }

  private static <T extends Throwable> @Nullable T find(Throwable e, Class<T> type) {
    Throwable t = e;
    for (int i = 0; t != null && i < MAX_DEPTH; i++) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      t = t.getCause() == t ? null : t.getCause();
    }
    return null;
  }
}
