package io.postline.mail.sendgrid.internal;

import com.sendgrid.Client;
import com.sendgrid.Request;
import com.sendgrid.Response;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.http.impl.client.HttpClients;

/**
 * sendgrid-java's {@link Client} with its POSTs made by the JDK's {@link HttpClient}: a finite
 * connect timeout and a deadline per request, no automatic retries or redirects, and no header
 * logging (Apache HttpClient logs the {@code Authorization} header at DEBUG, which would put the
 * API key into an application's logs).
 */
public final class JdkClient extends Client {
  /** Headers the JDK client sets itself and refuses to be given. */
  private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

  private final HttpClient http;
  private final Duration timeout;

  private JdkClient(HttpClient http, boolean plainHttp, Duration timeout) {
    // The Apache client sendgrid-java insists on is never used for requests; close() closes it.
    super(HttpClients.createMinimal(), plainHttp);
    this.http = http;
    this.timeout = timeout;
  }

  /**
   * Creates a client.
   *
   * @param plainHttp true to talk {@code http} instead of {@code https} (tests)
   * @param timeout the deadline for one request, from sending it to receiving the answer
   * @param connectTimeout the limit for opening a connection
   */
  public static JdkClient create(boolean plainHttp, Duration timeout, Duration connectTimeout) {
    HttpClient http = HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        // h2c upgrades over plain http get in the way of mock servers; https negotiates HTTP/2.
        .version(plainHttp ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
        .build();
    return new JdkClient(http, plainHttp, timeout);
  }

  @Override
  public Response post(Request request) throws URISyntaxException, IOException {
    URI uri = buildUri(request.getBaseUri(), request.getEndpoint(), request.getQueryParams());
    HttpRequest.Builder post = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofString(request.getBody(), StandardCharsets.UTF_8))
        .header("Content-Type", "application/json");
    for (Map.Entry<String, String> h : request.getHeaders().entrySet()) {
      String lower = h.getKey().toLowerCase(Locale.ROOT);
      if (!RESTRICTED.contains(lower) && !lower.equals("content-type")) {
        post.header(h.getKey(), h.getValue());
      }
    }
    HttpResponse<String> response;
    try {
      response = http.send(post.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted = new InterruptedIOException("interrupted while waiting for SendGrid");
      interrupted.initCause(e);
      throw interrupted;
    }
    Map<String, String> headers = new HashMap<>();
    for (Map.Entry<String, List<String>> h : response.headers().map().entrySet()) {
      if (!h.getValue().isEmpty()) {
        headers.put(h.getKey(), h.getValue().get(0));
      }
    }
    return new Response(response.statusCode(), response.body(), headers);
  }
}
