package io.postline.mail.mailgun.internal;

import io.postline.mail.spi.HttpFailures;
import io.postline.mail.spi.ProviderException;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Classifies Mailgun's answers, with {@link HttpFailures}' mapping; what is Mailgun's own is the
 * advice for 401, 403 and 404, the {@code message} quoted from its body, and a
 * {@code X-RateLimit-Reset} in seconds or milliseconds.
 *
 * <table>
 *   <caption>Mailgun answer to FailureKind</caption>
 *   <tr><th>answer</th><th>kind</th></tr>
 *   <tr><td>200 {@code {id, message}}</td><td>sent; the message id is {@code id}</td></tr>
 *   <tr><td>400, 413, other 4xx</td><td>PERMANENT, with Mailgun's {@code message}</td></tr>
 *   <tr><td>401, 403, 404 (domain not found)</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>408</td><td>TRANSIENT</td></tr>
 *   <tr><td>429</td><td>RATE_LIMITED, retry after {@code Retry-After} or {@code X-RateLimit-Reset}</td></tr>
 *   <tr><td>5xx, I/O error, timeout</td><td>TRANSIENT</td></tr>
 *   <tr><td>anything else (1xx, 3xx)</td><td>PROVIDER_UNAVAILABLE</td></tr>
 * </table>
 */
public final class MailgunErrors {
  /** A reset time this large is in milliseconds: in seconds it would be after the year 5000. */
  private static final long MILLIS_FROM = 100_000_000_000L;
  private static final HttpFailures FAILURES = HttpFailures.of("Mailgun", MailgunErrors::unavailableAdvice);

  private MailgunErrors() {}

  /**
   * The exception for a non-2xx answer.
   *
   * @param provider the provider's name
   * @param status the HTTP status
   * @param headers the response headers
   * @param body the response body, if any
   * @param secret the API key, scrubbed from anything quoted
   * @param now the current time, for rate-limit resets
   */
  public static ProviderException failure(String provider, int status, HttpHeaders headers, @Nullable String body,
      String secret, Instant now) {
    return FAILURES.failure(provider, status, detail(body), retryAfter(headers, now), secret);
  }

  /** The exception for a request that got no answer: I/O error or timeout, both TRANSIENT. */
  public static ProviderException ioFailure(String provider, IOException e, String secret, Duration timeout) {
    return FAILURES.ioFailure(provider, e, secret, timeout);
  }

  /**
   * How long Mailgun asked to wait: {@code Retry-After} (seconds or an HTTP date) first, else
   * {@code X-RateLimit-Reset} (Unix time, in seconds or milliseconds); null when neither says.
   */
  static @Nullable Duration retryAfter(HttpHeaders headers, Instant now) {
    return HttpFailures.retryAfter(headers::firstValue, "X-RateLimit-Reset", MailgunErrors::resetTime, now)
        .orElse(null);
  }

  private static Instant resetTime(long value) {
    return value > MILLIS_FROM ? Instant.ofEpochMilli(value) : Instant.ofEpochSecond(value);
  }

  private static String unavailableAdvice(int status) {
    if (status == 401 || status == 403) {
      return "the API key is wrong or not allowed to send for this domain: retrying will not help,"
          + " another provider may";
    }
    if (status == 404) {
      return "the sending domain or endpoint is unknown to Mailgun (check the domain and region):"
          + " retrying will not help, another provider may";
    }
    return "the endpoint is not usable: retrying will not help, another provider may";
  }

  /** Mailgun's {@code message}, or the start of a non-JSON body. */
  static String detail(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    Map<String, String> json = Json.topLevelStrings(body);
    return HttpFailures.excerpt(json.getOrDefault("message", body));
  }
}
