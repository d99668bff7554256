package io.postline.mail.sendgrid.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postline.mail.spi.HttpFailures;
import io.postline.mail.spi.ProviderException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Classifies SendGrid's answers, with {@link HttpFailures}' mapping; what is SendGrid's own is the
 * advice for 401, 403 and 404, the field messages quoted from its body, and headers that come as a
 * map from sendgrid-java.
 *
 * <table>
 *   <caption>SendGrid answer to FailureKind</caption>
 *   <tr><th>answer</th><th>kind</th></tr>
 *   <tr><td>2xx</td><td>sent; message id from {@code X-Message-Id}</td></tr>
 *   <tr><td>400, 413, other 4xx</td><td>PERMANENT, with SendGrid's field messages</td></tr>
 *   <tr><td>401, 403, 404</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>408</td><td>TRANSIENT</td></tr>
 *   <tr><td>429</td><td>RATE_LIMITED, retry after {@code Retry-After} or {@code X-RateLimit-Reset}</td></tr>
 *   <tr><td>5xx, I/O error, timeout</td><td>TRANSIENT</td></tr>
 *   <tr><td>anything else (1xx, 3xx)</td><td>PROVIDER_UNAVAILABLE</td></tr>
 * </table>
 */
public final class SendGridErrors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpFailures FAILURES = HttpFailures.of("SendGrid", SendGridErrors::unavailableAdvice);

  private SendGridErrors() {}

  /**
   * The exception for a non-2xx answer.
   *
   * @param provider the provider's name
   * @param status the HTTP status
   * @param headers the response headers, names in any case
   * @param body the response body, if any
   * @param secret the API key, scrubbed from anything quoted
   * @param now the current time, for {@code X-RateLimit-Reset}
   */
  public static ProviderException failure(String provider, int status, Map<String, String> headers,
      @Nullable String body, String secret, Instant now) {
    return FAILURES.failure(provider, status, detail(body), retryAfter(headers, now), secret);
  }

  /** The exception for a request that got no answer: I/O error or timeout, both TRANSIENT. */
  public static ProviderException ioFailure(String provider, IOException e, String secret, Duration timeout) {
    return FAILURES.ioFailure(provider, e, secret, timeout);
  }

  /**
   * How long SendGrid asked to wait: {@code Retry-After} (seconds or an HTTP date) first, else
   * {@code X-RateLimit-Reset} (Unix seconds when the limit resets); null when neither says.
   */
  static @Nullable Duration retryAfter(Map<String, String> headers, Instant now) {
    return HttpFailures.retryAfter(name -> Optional.ofNullable(header(headers, name)), "X-RateLimit-Reset",
        Instant::ofEpochSecond, now).orElse(null);
  }

  /** A header's value, the name matched case-insensitively. */
  public static @Nullable String header(Map<String, String> headers, String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String unavailableAdvice(int status) {
    return status == 401 || status == 403
        ? "the API key is wrong, revoked or lacks the Mail Send permission: retrying will not help,"
            + " another provider may"
        : "the endpoint or account is not usable: retrying will not help, another provider may";
  }

  /** SendGrid's {@code errors[].field: message} list, or the start of a non-JSON body. */
  static String detail(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    try {
      JsonNode root = JSON.readTree(body);
      JsonNode errors = root == null ? null : root.get("errors");
      if (errors != null && errors.isArray()) {
        for (JsonNode error : errors) {
          String message = error.path("message").asText("");
          JsonNode field = error.get("field");
          String f = field == null || field.isNull() ? "" : field.asText("");
          parts.add(f.isEmpty() ? message : f + ": " + message);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: quote its start below
    }
    return HttpFailures.excerpt(parts.isEmpty() ? body : String.join("; ", parts));
  }
}
