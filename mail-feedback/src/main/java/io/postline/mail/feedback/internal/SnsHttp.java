package io.postline.mail.feedback.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The only way the SNS verifier talks to the network: HTTPS GETs to an {@code
 * sns.<region>.amazonaws.com} host (or the one host a test names explicitly), no redirects,
 * bounded time and size. Signing certificates are cached by URL.
 */
public final class SnsHttp {
  private static final Pattern SNS_HOST = Pattern.compile("sns\\.[a-z0-9]+(-[a-z0-9]+)*\\.amazonaws\\.com");
  private static final int MAX_CERT_BYTES = 64 * 1024;
  private static final int MAX_CACHED = 64;

  private final HttpClient http;
  private final @Nullable String testHost;
  private final int testPort;
  private final Clock clock;
  private final Map<URI, X509Certificate> certificates = new ConcurrentHashMap<>();

  /**
   * Production settings: only {@code https://sns.<region>.amazonaws.com/...} on the default port,
   * trusted through the JDK's default trust store.
   */
  public static SnsHttp production(Clock clock) {
    return new SnsHttp(null, -1, null, clock);
  }

  /** Test settings: additionally {@code https://host:port/...}, trusted through {@code trust}. */
  public static SnsHttp forTesting(String host, int port, SSLContext trust, Clock clock) {
    return new SnsHttp(host, port, trust, clock);
  }

  private SnsHttp(@Nullable String testHost, int testPort, @Nullable SSLContext trust, Clock clock) {
    HttpClient.Builder b = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5));
    if (trust != null) {
      b.sslContext(trust);
    }
    this.http = b.build();
    this.testHost = testHost;
    this.testPort = testPort;
    this.clock = clock;
  }

  /** {@code url} as a URI if it is HTTPS on a trusted host, without user info or fragment. */
  public Optional<URI> trusted(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
    if (!"https".equals(uri.getScheme()) || uri.getRawUserInfo() != null || uri.getRawFragment() != null
        || uri.getHost() == null || uri.getRawAuthority() == null) {
      return Optional.empty();
    }
    String host = uri.getHost();
    boolean real = SNS_HOST.matcher(host).matches() && (uri.getPort() == -1 || uri.getPort() == 443);
    boolean test = testHost != null && testHost.equals(host) && uri.getPort() == testPort;
    return real || test ? Optional.of(uri) : Optional.empty();
  }

  /** Whether {@code uri} (already {@link #trusted}) has a {@code .pem} path and no query. */
  public static boolean pemPath(URI uri) {
    String path = uri.getRawPath();
    return path != null && path.endsWith(".pem") && uri.getRawQuery() == null && !path.contains("..");
  }

  /** The certificate at {@code uri}, cached; empty if it cannot be fetched, read or is not valid now. */
  public Optional<X509Certificate> certificate(URI uri) {
    X509Certificate cached = certificates.get(uri);
    if (cached != null && valid(cached)) {
      return Optional.of(cached);
    }
    Optional<X509Certificate> fetched = get(uri, MAX_CERT_BYTES).flatMap(SnsHttp::parse).filter(this::valid);
    fetched.ifPresent(c -> {
      if (certificates.size() >= MAX_CACHED) {
        certificates.clear(); // SNS rotates rarely; a full cache means junk URLs, start over
      }
      certificates.put(uri, c);
    });
    return fetched;
  }

  /** GETs {@code uri} (already {@link #trusted}); whether it answered 200. */
  public boolean confirm(URI uri) {
    return get(uri, MAX_CERT_BYTES).isPresent();
  }

  private Optional<byte[]> get(URI uri, int maxBytes) {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        if (response.statusCode() != 200) {
          return Optional.empty();
        }
        byte[] bytes = in.readNBytes(maxBytes + 1);
        return bytes.length > maxBytes ? Optional.empty() : Optional.of(bytes);
      }
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static Optional<X509Certificate> parse(byte[] pem) {
    try {
      return Optional.of((X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(pem)));
    } catch (CertificateException | ClassCastException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private boolean valid(X509Certificate c) {
    try {
      c.checkValidity(Date.from(clock.instant()));
      return true;
    } catch (CertificateException e) {
      return false;
    }
  }
}
