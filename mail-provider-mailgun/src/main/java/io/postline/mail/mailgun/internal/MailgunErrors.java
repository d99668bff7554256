package io.postline.mail.mailgun.internal;

import io.postline.mail.FailureKind;
import io.postline.mail.spi.ProviderException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Classifies Mailgun's answers.
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
  private static final int MAX_DETAIL = 400;

  private MailgunErrors() {}

  /** The kind a non-2xx HTTP status means. */
  public static FailureKind kindOf(int status) {
    if (status == 429) {
      return FailureKind.RATE_LIMITED;
    }
    if (status == 401 || status == 403 || status == 404) {
      return FailureKind.PROVIDER_UNAVAILABLE;
    }
    if (status == 408 || status >= 500) {
      return FailureKind.TRANSIENT;
    }
    if (status >= 400) {
      return FailureKind.PERMANENT;
    }
    return FailureKind.PROVIDER_UNAVAILABLE;
  }

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
    FailureKind kind = kindOf(status);
    String detail = scrub(detail(body), secret);
    Duration retryAfter = kind == FailureKind.RATE_LIMITED ? retryAfter(headers, now) : null;
    StringBuilder m = new StringBuilder("Mailgun provider '").append(provider)
        .append("': Mailgun answered HTTP ").append(status);
    if (!detail.isEmpty()) {
      m.append(" (").append(detail).append(')');
    }
    m.append("; ").append(advice(kind, status, retryAfter));
    return ProviderException.builder(kind, provider, m.toString())
        .code("HTTP " + status)
        .retryAfter(retryAfter)
        .build();
  }

  /** The exception for a request that got no answer: I/O error or timeout, both TRANSIENT. */
  public static ProviderException ioFailure(String provider, IOException e, String secret, Duration timeout) {
    String what;
    if (e instanceof HttpConnectTimeoutException) {
      what = "could not connect in time";
    } else if (e instanceof HttpTimeoutException) {
      what = "no answer within the timeout of " + timeout.toMillis() + " ms";
    } else if (e instanceof InterruptedIOException) {
      what = "interrupted while waiting for an answer";
    } else if (e instanceof UnknownHostException) {
      what = "unknown host " + scrub(String.valueOf(e.getMessage()), secret);
    } else if (e instanceof ConnectException) {
      what = "could not connect (" + scrub(String.valueOf(e.getMessage()), secret) + ")";
    } else {
      what = "I/O error " + e.getClass().getSimpleName() + " (" + scrub(String.valueOf(e.getMessage()), secret) + ")";
    }
    return ProviderException.builder(FailureKind.TRANSIENT, provider,
            "Mailgun provider '" + provider + "': " + what + "; retrying may help")
        .code("I/O")
        .cause(e)
        .build();
  }

  /**
   * How long Mailgun asked to wait: {@code Retry-After} (seconds or an HTTP date) first, else
   * {@code X-RateLimit-Reset} (Unix time, in seconds or milliseconds); null when neither says.
   */
  static @Nullable Duration retryAfter(HttpHeaders headers, Instant now) {
    String retryAfter = headers.firstValue("Retry-After").orElse(null);
    if (retryAfter != null) {
      Duration d = parseRetryAfter(retryAfter.strip(), now);
      if (d != null) {
        return d;
      }
    }
    String reset = headers.firstValue("X-RateLimit-Reset").orElse(null);
    if (reset != null) {
      try {
        long value = Long.parseLong(reset.strip());
        Instant at = value > 100_000_000_000L ? Instant.ofEpochMilli(value) : Instant.ofEpochSecond(value);
        Duration d = Duration.between(now, at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (NumberFormatException | DateTimeException e) {
        return null;
      }
    }
    return null;
  }

  private static @Nullable Duration parseRetryAfter(String value, Instant now) {
    try {
      long seconds = Long.parseLong(value);
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException e) {
      try {
        Duration d = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  private static String advice(FailureKind kind, int status, @Nullable Duration retryAfter) {
    return switch (kind) {
      case TRANSIENT -> "retrying may help";
      case RATE_LIMITED -> retryAfter == null
          ? "rate limited, retrying later may help"
          : "rate limited, retrying after " + retryAfter.toSeconds() + "s may help";
      case PROVIDER_UNAVAILABLE -> status == 401 || status == 403
          ? "the API key is wrong or not allowed to send for this domain: retrying will not help,"
              + " another provider may"
          : status == 404
              ? "the sending domain or endpoint is unknown to Mailgun (check the domain and region):"
                  + " retrying will not help, another provider may"
              : "the endpoint is not usable: retrying will not help, another provider may";
      case PERMANENT, RECIPIENTS_REJECTED -> "the message was refused: retrying will not help";
    };
  }

  /** Mailgun's {@code message}, or the start of a non-JSON body. */
  static String detail(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    Map<String, String> json = Json.topLevelStrings(body);
    String text = json.getOrDefault("message", body);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < MAX_DETAIL; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    if (out.length() < text.length()) {
      out.append("...");
    }
    return out.toString().strip();
  }

  /** Replaces every occurrence of the secret. */
  public static String scrub(String text, String secret) {
    return secret.isEmpty() ? text : text.replace(secret, "****");
  }
}
