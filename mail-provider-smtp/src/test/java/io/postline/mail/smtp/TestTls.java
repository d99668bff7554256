package io.postline.mail.smtp;

import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The test certificates in {@code src/test/resources/tls} (see the README there). */
final class TestTls {
  /** The self-signed certificate for {@code localhost} and {@code 127.0.0.1}, PEM. */
  static final Path LOCALHOST_PEM = resource("tls/localhost.pem");
  /** A self-signed certificate for {@code mail.other.example}, PEM. */
  static final Path OTHER_PEM = resource("tls/other.pem");
  /** A PKCS12 trust store (password {@code trustpass}) holding {@link #LOCALHOST_PEM}. */
  static final Path TRUSTSTORE = resource("tls/truststore.p12");

  private TestTls() {}

  /** A server-side context with the localhost key. */
  static SSLContext localhostServer() {
    return server("tls/localhost.p12");
  }

  /** A server-side context with the key for mail.other.example. */
  static SSLContext otherServer() {
    return server("tls/other.p12");
  }

  private static SSLContext server(String p12) {
    try (InputStream in = Objects.requireNonNull(TestTls.class.getClassLoader().getResourceAsStream(p12), p12)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      char[] pass = "changeit".toCharArray();
      ks.load(in, pass);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pass);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException("cannot load " + p12, e);
    }
  }

  private static Path resource(String name) {
    URL url = Objects.requireNonNull(TestTls.class.getClassLoader().getResource(name), name);
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
