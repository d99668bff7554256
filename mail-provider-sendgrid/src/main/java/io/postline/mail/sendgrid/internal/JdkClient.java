package io.postline.mail.sendgrid.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * POSTs SendGrid v3 request bodies with the JDK's {@link HttpClient}: a finite connect timeout and
 * a deadline per request, no automatic retries or redirects, and no header logging (Apache
 * HttpClient, which sendgrid-java's own client is built on, logs the {@code Authorization} header
 * at DEBUG). sendgrid-java is used for its request model only, so its HTTP client is not on the
 * class path at all.
 */
public final class JdkClient {
  private final HttpClient http;
  private final URI baseUrl;
  private final String authorization;
  private final Duration timeout;

  private JdkClient(HttpClient http, URI baseUrl, String apiKey, Duration timeout) {
    this.http = http;
    this.baseUrl = baseUrl;
    this.authorization = "Bearer " + apiKey;
    this.timeout = timeout;
  }

  /**
   * Creates a client.
   *
   * @param baseUrl the API's base URL, without a path ({@code https://api.sendgrid.com})
   * @param apiKey the API key, sent as a bearer token
   * @param timeout the deadline for one request, from sending it to receiving the answer
   * @param connectTimeout the limit for opening a connection
   */
  public static JdkClient create(URI baseUrl, String apiKey, Duration timeout, Duration connectTimeout) {
    boolean plainHttp = "http".equalsIgnoreCase(baseUrl.getScheme());
    HttpClient http = HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        // h2c upgrades over plain http get in the way of mock servers; https negotiates HTTP/2.
        .version(plainHttp ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
        .build();
    return new JdkClient(http, baseUrl, apiKey, timeout);
  }

  /**
   * POSTs a JSON body to {@code /v3/<endpoint>}.
   *
   * @throws IOException when no answer came: connection failure, timeout, interruption
   */
  public Answer post(String endpoint, String json) throws IOException {
    URI uri = URI.create(baseUrl.getScheme() + "://" + baseUrl.getRawAuthority() + "/v3/" + endpoint);
    HttpRequest post = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
        .header("Authorization", authorization)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("User-Agent", "postline-sendgrid")
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(post, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
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
    return new Answer(response.statusCode(), response.body(), Map.copyOf(headers));
  }

  /** {@code Authorization: Bearer <key>} is all this client holds; never printed. */
  @Override
  public String toString() {
    return "JdkClient[" + baseUrl + "]";
  }

  /**
   * SendGrid's answer.
   *
   * @param status the HTTP status
   * @param body the response body, empty when there was none
   * @param headers the first value of each response header, names as the server sent them
   */
  public record Answer(int status, String body, Map<String, String> headers) {}
}
