package io.postline.mail.smtp.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/** Builds the TLS socket factories the provider connects with. */
public final class TlsContexts {
  private TlsContexts() {}

  /**
   * Sockets that trust exactly the certificates of a trust store and of PEM files (not the JVM's
   * default authorities), or null when neither is given (the JVM's default trust).
   *
   * @throws IllegalArgumentException naming the file that cannot be read or holds no certificate
   */
  public static @Nullable SSLSocketFactory trusting(
      @Nullable Path trustStore, char @Nullable [] trustStorePassword, @Nullable String trustStoreType,
      List<Path> pemFiles) {
    if (trustStore == null && pemFiles.isEmpty()) {
      return null;
    }
    try {
      KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
      trusted.load(null, null);
      int n = 0;
      if (trustStore != null) {
        KeyStore store = loadStore(trustStore, trustStorePassword, trustStoreType);
        for (String alias : java.util.Collections.list(store.aliases())) {
          Certificate c = store.getCertificate(alias);
          if (c != null) {
            trusted.setCertificateEntry("store-" + n++, c);
          }
        }
        if (n == 0) {
          throw new IllegalArgumentException("trust store " + trustStore + " holds no certificate");
        }
      }
      for (Path pem : pemFiles) {
        Collection<? extends Certificate> certs = readPem(pem);
        for (Certificate c : certs) {
          trusted.setCertificateEntry("pem-" + n++, c);
        }
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot set up TLS trust: " + e.getMessage(), e);
    }
  }

  /** Sockets that accept any certificate: verification explicitly turned off. */
  public static SSLSocketFactory trustingEverything() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new TrustAll()}, null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS is not available in this JVM", e);
    }
  }

  private static KeyStore loadStore(Path path, char @Nullable [] password, @Nullable String type)
      throws IOException, GeneralSecurityException {
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException("trust store " + path + " cannot be read");
    }
    String t = type != null ? type : path.toString().toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
    KeyStore store = KeyStore.getInstance(t);
    try (InputStream in = Files.newInputStream(path)) {
      store.load(in, password);
    }
    return store;
  }

  private static Collection<? extends Certificate> readPem(Path pem) throws IOException, GeneralSecurityException {
    if (!Files.isReadable(pem)) {
      throw new IllegalArgumentException("trusted certificate file " + pem + " cannot be read");
    }
    Collection<? extends Certificate> certs;
    try (InputStream in = Files.newInputStream(pem)) {
      certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (certs.isEmpty()) {
      throw new IllegalArgumentException("trusted certificate file " + pem + " holds no certificate");
    }
    return certs;
  }

  /** Accepts every certificate. Used only when verification was explicitly turned off. */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
