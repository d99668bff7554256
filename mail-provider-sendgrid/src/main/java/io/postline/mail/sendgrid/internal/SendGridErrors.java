package io.postline.mail.sendgrid.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.ProviderException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Classifies SendGrid's answers.
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
  private static final int MAX_DETAIL = 400;

  private SendGridErrors() {}

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
   * @param headers the response headers, names in any case
   * @param body the response body, if any
   * @param secret the API key, scrubbed from anything quoted
   * @param now the current time, for {@code X-RateLimit-Reset}
   */
  public static ProviderException failure(String provider, int status, Map<String, String> headers,
      @Nullable String body, String secret, Instant now) {
    FailureKind kind = kindOf(status);
    String detail = scrub(detail(body), secret);
    Duration retryAfter = kind == FailureKind.RATE_LIMITED ? retryAfter(headers, now) : null;
    StringBuilder m = new StringBuilder("SendGrid provider '").append(provider)
        .append("': SendGrid answered HTTP ").append(status);
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
            "SendGrid provider '" + provider + "': " + what + "; retrying may help")
        .code("I/O")
        .cause(e)
        .build();
  }

  /**
   * How long SendGrid asked to wait: {@code Retry-After} (seconds or an HTTP date) first, else
   * {@code X-RateLimit-Reset} (Unix seconds when the limit resets); null when neither says.
   */
  static @Nullable Duration retryAfter(Map<String, String> headers, Instant now) {
    String retryAfter = header(headers, "Retry-After");
    if (retryAfter != null) {
      Duration d = parseRetryAfter(retryAfter.strip(), now);
      if (d != null) {
        return d;
      }
    }
    String reset = header(headers, "X-RateLimit-Reset");
    if (reset != null) {
      try {
        long epoch = Long.parseLong(reset.strip());
        Duration d = Duration.between(now, Instant.ofEpochSecond(epoch));
        return d.isNegative() ? Duration.ZERO : d;
      } catch (NumberFormatException | java.time.DateTimeException e) {
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

  /** A header's value, the name matched case-insensitively. */
  public static @Nullable String header(Map<String, String> headers, String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String advice(FailureKind kind, int status, @Nullable Duration retryAfter) {
    return switch (kind) {
      case TRANSIENT -> "retrying may help";
      case RATE_LIMITED -> retryAfter == null
          ? "rate limited, retrying later may help"
          : "rate limited, retrying after " + retryAfter.toSeconds() + "s may help";
      case PROVIDER_UNAVAILABLE -> status == 401 || status == 403
          ? "the API key is wrong, revoked or lacks the Mail Send permission: retrying will not help,"
              + " another provider may"
          : "the endpoint or account is not usable: retrying will not help, another provider may";
      case PERMANENT, RECIPIENTS_REJECTED -> "the message was refused: retrying will not help";
    };
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
    String text = parts.isEmpty() ? body : String.join("; ", parts);
    return clip(text);
  }

  private static String clip(String text) {
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
