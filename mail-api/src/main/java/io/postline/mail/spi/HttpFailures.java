package io.postline.mail.spi;

import io.postline.mail.FailureKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Classifies the failures of a provider that sends through an HTTP API, so that every such
 * provider maps statuses, rate-limit headers and I/O errors the same way and says so in the same
 * words.
 *
 * <table>
 *   <caption>HTTP answer to FailureKind</caption>
 *   <tr><th>answer</th><th>kind</th></tr>
 *   <tr><td>400, 413, 422 and every other 4xx not named below</td><td>PERMANENT</td></tr>
 *   <tr><td>401, 403, 404</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>408</td><td>TRANSIENT</td></tr>
 *   <tr><td>429</td><td>RATE_LIMITED, retry after {@code Retry-After} (seconds or an HTTP date) or a
 *       rate-limit reset header</td></tr>
 *   <tr><td>5xx</td><td>TRANSIENT</td></tr>
 *   <tr><td>anything else (1xx, 3xx: redirects are not followed)</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>unreachable: connection refused, unknown host, no route, TLS handshake or untrusted
 *       certificate (see {@link NetworkFailures})</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>no answer: timeout (connect timeout included), dropped connection, other I/O
 *       error</td><td>TRANSIENT</td></tr>
 * </table>
 *
 * <p>An instance stands for one service: its display name, which starts every message, and what
 * to advise when a status makes the service unusable (what 401, 403 and 404 mean differs between
 * APIs). What the service said is the provider's to extract from the body; the static helpers
 * cover the rest:
 *
 * <pre>{@code
 * private static final HttpFailures FAILURES = HttpFailures.of("Acme", status -> status == 401 || status == 403
 *     ? "the API key is wrong: retrying will not help, another provider may"
 *     : "the endpoint is not usable: retrying will not help, another provider may");
 *
 * Duration wait = HttpFailures.retryAfter(response.headers()::firstValue, "X-RateLimit-Reset",
 *     Instant::ofEpochSecond, clock.instant()).orElse(null);
 * throw FAILURES.failure(name, response.statusCode(), HttpFailures.excerpt(response.body()), wait, apiKey);
 * }</pre>
 *
 * <p>Immutable and thread-safe; an instance holds no secret. Every message has the secret the
 * caller names replaced by {@code ****}.
 */
public final class HttpFailures {
  /** What a secret is replaced with. */
  private static final String MASK = "****";
  /** The most characters of an answer quoted in a message. */
  private static final int MAX_EXCERPT = 400;
  /** The standard header, read before any rate-limit reset header. */
  private static final String RETRY_AFTER = "Retry-After";
  /** Where the HTTP providers' TLS trust comes from, for the advice on an untrusted certificate. */
  private static final String JVM_TRUST = "the JVM's trust store (javax.net.ssl.trustStore)";

  private final String service;
  private final IntFunction<String> unavailableAdvice;

  private HttpFailures(String service, IntFunction<String> unavailableAdvice) {
    this.service = service;
    this.unavailableAdvice = unavailableAdvice;
  }

  /**
   * The failures of one service.
   *
   * @param service the service's display name, such as {@code SendGrid}; every message starts
   *     with {@code "SendGrid provider 'NAME': "}
   * @param unavailableAdvice what to advise for a status that makes the service unusable (401, 403,
   *     404, 1xx, 3xx), given the status; for example {@code "the API key is wrong: retrying will
   *     not help, another provider may"}
   * @throws IllegalArgumentException if the service name is blank
   */
  public static HttpFailures of(String service, IntFunction<String> unavailableAdvice) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(unavailableAdvice, "unavailableAdvice");
    if (service.isBlank()) {
      throw new IllegalArgumentException("service name is blank");
    }
    return new HttpFailures(service, unavailableAdvice);
  }

  /** The service's display name, as it starts every message. */
  public String service() {
    return service;
  }

  /**
   * The classified exception for an answer outside 2xx: its kind from {@link #kindOf(int)}, code
   * {@code HTTP <status>}, and a message that says what the service answered and whether retrying
   * can help, such as {@code SendGrid provider 'sg': SendGrid answered HTTP 429; rate limited,
   * retrying after 7s may help}.
   *
   * @param provider the provider's name
   * @param status the HTTP status
   * @param detail what the service said, quoted in parentheses unless empty; see
   *     {@link #excerpt(String)}
   * @param retryAfter how long the service asked to wait (see {@link #retryAfter}); used only when
   *     the status means {@link FailureKind#RATE_LIMITED}
   * @param secret a credential to scrub from the detail, or empty
   */
  public ProviderException failure(String provider, int status, String detail, @Nullable Duration retryAfter,
      String secret) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(secret, "secret");
    FailureKind kind = kindOf(status);
    Duration wait = kind == FailureKind.RATE_LIMITED ? retryAfter : null;
    String quoted = scrub(detail, secret);
    StringBuilder m = new StringBuilder(service).append(" provider '").append(provider)
        .append("': ").append(service).append(" answered HTTP ").append(status);
    if (!quoted.isEmpty()) {
      m.append(" (").append(quoted).append(')');
    }
    m.append("; ").append(advice(kind, status, wait));
    return ProviderException.builder(kind, provider, m.toString())
        .code("HTTP " + status)
        .retryAfter(wait)
        .build();
  }

  /**
   * The exception for a request that got no answer, with code {@code I/O} and the exception as
   * its cause. A server that cannot be reached at all (refused connection, unknown host, no route,
   * TLS handshake or untrusted certificate; see {@link NetworkFailures}) is
   * {@link FailureKind#PROVIDER_UNAVAILABLE}, with what to check, such as {@code SendGrid provider
   * 'sg': connection refused (Connection refused): check the host and port and that the server
   * is running; another provider may help}. Anything else is {@link FailureKind#TRANSIENT}: could
   * not connect in time, no answer within the timeout, interrupted, or another I/O error by class
   * and message, such as {@code Mailgun provider 'mg': no answer within the timeout of 1500 ms;
   * retrying may help}.
   *
   * @param provider the provider's name
   * @param e what the HTTP client threw (pass an {@link InterruptedIOException} for an interrupt);
   *     it becomes the cause as it is, so only its message in the description is scrubbed
   * @param secret a credential to scrub from the exception's message, or empty
   * @param timeout the request timeout, for the message
   */
  public ProviderException ioFailure(String provider, IOException e, String secret, Duration timeout) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(e, "e");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(timeout, "timeout");
    Optional<String> unreachable = NetworkFailures.unreachable(e, JVM_TRUST);
    if (unreachable.isPresent()) {
      return ProviderException.builder(FailureKind.PROVIDER_UNAVAILABLE, provider,
              service + " provider '" + provider + "': " + scrub(unreachable.get(), secret)
                  + "; retrying will not help soon, another provider may")
          .code("I/O")
          .cause(e)
          .build();
    }
    return ProviderException.builder(FailureKind.TRANSIENT, provider,
            service + " provider '" + provider + "': " + describe(e, secret, timeout) + "; retrying may help")
        .code("I/O")
        .cause(e)
        .build();
  }

  /**
   * The kind an HTTP status outside 2xx means: 429 {@link FailureKind#RATE_LIMITED}; 401, 403 and
   * 404 {@link FailureKind#PROVIDER_UNAVAILABLE}; 408 and 5xx {@link FailureKind#TRANSIENT}; other
   * 4xx {@link FailureKind#PERMANENT}; anything else (1xx, 3xx) {@link FailureKind#PROVIDER_UNAVAILABLE}.
   */
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
   * How long a rate-limited answer asks to wait: {@code Retry-After} first (see
   * {@link #parseRetryAfter(String, Instant)}), else the time until the reset header's Unix time;
   * empty when neither header is there or can be read. A reset already past is {@link Duration#ZERO}.
   *
   * @param headers looks a header up by name, case-insensitively (for the JDK client,
   *     {@code response.headers()::firstValue})
   * @param resetHeader the header with the time the limit resets, such as {@code X-RateLimit-Reset}
   * @param resetTime turns the reset header's number into an instant: {@code Instant::ofEpochSecond}
   *     for Unix seconds, or a function that also accepts milliseconds
   * @param now the current time
   */
  public static Optional<Duration> retryAfter(Function<String, Optional<String>> headers, String resetHeader,
      LongFunction<Instant> resetTime, Instant now) {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(resetHeader, "resetHeader");
    Objects.requireNonNull(resetTime, "resetTime");
    Objects.requireNonNull(now, "now");
    Optional<Duration> retryAfter = headers.apply(RETRY_AFTER).flatMap(value -> parseRetryAfter(value, now));
    if (retryAfter.isPresent()) {
      return retryAfter;
    }
    return headers.apply(resetHeader).flatMap(value -> {
      try {
        return Optional.of(notNegative(Duration.between(now, resetTime.apply(Long.parseLong(value.strip())))));
      } catch (NumberFormatException | DateTimeException e) {
        return Optional.empty();
      }
    });
  }

  /**
   * Reads a {@code Retry-After} value: delay seconds ({@code 120}) or an HTTP date
   * ({@code Wed, 21 Oct 2015 07:28:00 GMT}, the wait until then, {@link Duration#ZERO} if past);
   * empty for negative seconds or anything else.
   *
   * @param value the header's value; surrounding white space is ignored
   * @param now the current time, for an HTTP date
   */
  public static Optional<Duration> parseRetryAfter(String value, Instant now) {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(now, "now");
    String v = value.strip();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        return Optional.of(notNegative(Duration.between(now, at)));
      } catch (DateTimeParseException notDate) {
        return Optional.empty();
      }
    }
  }

  /**
   * The start of a text fit to quote in a message: at most 400 characters, control characters
   * (line breaks included) as spaces, {@code ...} when cut, surrounding white space stripped.
   * Scrub secrets from the result (or let {@link #failure} do it).
   */
  public static String excerpt(String text) {
    Objects.requireNonNull(text, "text");
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < MAX_EXCERPT; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    if (out.length() < text.length()) {
      out.append("...");
    }
    return out.toString().strip();
  }

  /** The text with every occurrence of the secret replaced by {@code ****}; unchanged for an empty secret. */
  public static String scrub(String text, String secret) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(secret, "secret");
    return secret.isEmpty() ? text : text.replace(secret, MASK);
  }

  /**
   * The text with every occurrence of each secret replaced by {@code ****}, in the order given
   * (name a secret before a shorter one it contains); empty secrets are skipped.
   */
  public static String scrub(String text, List<String> secrets) {
    Objects.requireNonNull(secrets, "secrets");
    String scrubbed = text;
    for (String secret : secrets) {
      scrubbed = scrub(scrubbed, secret);
    }
    return scrubbed;
  }

  private String advice(FailureKind kind, int status, @Nullable Duration retryAfter) {
    return switch (kind) {
      case TRANSIENT -> "retrying may help";
      case RATE_LIMITED -> retryAfter == null
          ? "rate limited, retrying later may help"
          : "rate limited, retrying after " + retryAfter.toSeconds() + "s may help";
      case PROVIDER_UNAVAILABLE -> Objects.requireNonNull(unavailableAdvice.apply(status), "unavailableAdvice");
      case PERMANENT, RECIPIENTS_REJECTED -> "the message was refused: retrying will not help";
    };
  }

  private static String describe(IOException e, String secret, Duration timeout) {
    if (e instanceof HttpConnectTimeoutException) {
      return "could not connect in time";
    }
    if (e instanceof HttpTimeoutException) {
      return "no answer within the timeout of " + timeout.toMillis() + " ms";
    }
    if (e instanceof InterruptedIOException) {
      return "interrupted while waiting for an answer";
    }
    String message = scrub(String.valueOf(e.getMessage()), secret);
    return "I/O error " + e.getClass().getSimpleName() + " (" + message + ")";
  }

  private static Duration notNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
