package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.postline.mail.FailureKind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HttpFailuresTest {
  private static final String KEY = "key-0123456789-SECRET";
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
  private static final HttpFailures ACME = HttpFailures.of("Acme", status -> "unusable after HTTP " + status);

  @ParameterizedTest(name = "HTTP {0} -> {1}")
  @CsvSource({
      "400, PERMANENT", "413, PERMANENT", "422, PERMANENT", "409, PERMANENT", "499, PERMANENT",
      "401, PROVIDER_UNAVAILABLE", "403, PROVIDER_UNAVAILABLE", "404, PROVIDER_UNAVAILABLE",
      "429, RATE_LIMITED",
      "408, TRANSIENT", "500, TRANSIENT", "502, TRANSIENT", "503, TRANSIENT", "599, TRANSIENT",
      "301, PROVIDER_UNAVAILABLE", "302, PROVIDER_UNAVAILABLE", "304, PROVIDER_UNAVAILABLE", "101, PROVIDER_UNAVAILABLE",
  })
  void kindOfFollowsTheTable(int status, FailureKind kind) {
    assertThat(HttpFailures.kindOf(status)).isEqualTo(kind);
  }

  @Test
  void failureSaysWhoAnsweredWhatAndWhetherRetryingHelps() {
    ProviderException e = ACME.failure("primary", 400, "'to' is not a valid address", null, KEY);

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.provider()).isEqualTo("primary");
    assertThat(e.code()).contains("HTTP 400");
    assertThat(e.retryAfter()).isEmpty();
    assertThat(e).hasNoCause().hasMessage("Acme provider 'primary': Acme answered HTTP 400"
        + " ('to' is not a valid address); the message was refused: retrying will not help");
  }

  @Test
  void anEmptyDetailIsLeftOut() {
    assertThat(ACME.failure("p", 503, "", null, KEY))
        .hasMessage("Acme provider 'p': Acme answered HTTP 503; retrying may help");
  }

  @Test
  void theSecretIsScrubbedFromTheDetail() {
    ProviderException e = ACME.failure("p", 401, "API key " + KEY + " is invalid", null, KEY);

    assertThat(e.getMessage()).doesNotContain(KEY).contains("(API key **** is invalid)");
  }

  @ParameterizedTest(name = "HTTP {0}")
  @ValueSource(ints = {401, 403, 404, 302})
  void unusableStatusesGetTheServicesOwnAdvice(int status) {
    ProviderException e = ACME.failure("p", status, "", null, "");

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).endsWith("; unusable after HTTP " + status);
  }

  @Test
  void rateLimitedCarriesTheWaitAndSaysIt() {
    ProviderException e = ACME.failure("p", 429, "", Duration.ofSeconds(20), KEY);

    assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(20));
    assertThat(e).hasMessage("Acme provider 'p': Acme answered HTTP 429; rate limited, retrying after 20s may help");
  }

  @Test
  void rateLimitedWithoutAWaitSaysLater() {
    ProviderException e = ACME.failure("p", 429, "", null, KEY);

    assertThat(e.retryAfter()).isEmpty();
    assertThat(e.getMessage()).endsWith("; rate limited, retrying later may help");
  }

  @Test
  void aWaitIsKeptOnlyForRateLimiting() {
    assertThat(ACME.failure("p", 503, "", Duration.ofSeconds(20), KEY).retryAfter()).isEmpty();
  }

  @Test
  void ioFailuresAreTransientWithTheCause() {
    IOException cause = new IOException("reset");

    ProviderException e = ACME.ioFailure("p", cause, KEY, Duration.ofSeconds(30));

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.provider()).isEqualTo("p");
    assertThat(e.code()).contains("I/O");
    assertThat(e.retryAfter()).isEmpty();
    assertThat(e).hasCause(cause).hasMessage("Acme provider 'p': I/O error IOException (reset); retrying may help");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "connect timeout | could not connect in time",
      "timeout         | no answer within the timeout of 1500 ms",
      "interrupted     | interrupted while waiting for an answer",
      "other           | I/O error EOFException (unexpected end of stream)",
  })
  void ioFailuresSayWhatHappened(String what, String description) {
    IOException e = switch (what) {
      case "connect timeout" -> new HttpConnectTimeoutException("HTTP connect timed out");
      case "timeout" -> new HttpTimeoutException("request timed out");
      case "interrupted" -> new InterruptedIOException("interrupted");
      default -> new EOFException("unexpected end of stream");
    };

    assertThat(ACME.ioFailure("p", e, KEY, Duration.ofMillis(1500)))
        .hasMessage("Acme provider 'p': " + description + "; retrying may help");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "unknown host | unknown host api.acme.invalid: check the host name",
      "refused      | connection refused (Connection refused): check the host and port",
      "no route     | no route to host (No route to host): check the host and the network",
      "handshake    | the TLS handshake failed (Received fatal alert: handshake_failure): check that the server"
          + " speaks TLS on this port, and the trust settings, the JVM's trust store (javax.net.ssl.trustStore)",
  })
  void unreachableServersAreProviderUnavailableWithWhatToCheck(String what, String description) {
    IOException e = switch (what) {
      case "unknown host" -> new UnknownHostException("api.acme.invalid");
      case "refused" -> new ConnectException("Connection refused");
      case "no route" -> new NoRouteToHostException("No route to host");
      default -> new SSLHandshakeException("Received fatal alert: handshake_failure");
    };

    ProviderException failure = ACME.ioFailure("p", e, KEY, Duration.ofMillis(1500));

    assertThat(failure.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(failure.code()).contains("I/O");
    assertThat(failure).hasCause(e).hasMessageStartingWith("Acme provider 'p': " + description)
        .hasMessageEndingWith("; retrying will not help soon, another provider may");
  }

  @Test
  void ioFailuresScrubTheSecretFromWhatTheyQuote() {
    assertThat(ACME.ioFailure("p", new UnknownHostException(KEY + ".acme.invalid"), KEY, Duration.ofSeconds(1)))
        .hasMessageNotContaining(KEY).hasMessageContaining("unknown host ****.acme.invalid");
    assertThat(ACME.ioFailure("p", new ConnectException("refused by " + KEY), KEY, Duration.ofSeconds(1)))
        .hasMessageNotContaining(KEY).hasMessageContaining("connection refused (refused by ****)");
    assertThat(ACME.ioFailure("p", new IOException("Bearer " + KEY), KEY, Duration.ofSeconds(1)))
        .hasMessageNotContaining(KEY).hasMessageContaining("(Bearer ****)");
  }

  @Test
  void retryAfterReadsSeconds() {
    assertThat(retryAfter("Retry-After", " 20 ")).contains(Duration.ofSeconds(20));
    assertThat(retryAfter("Retry-After", "0")).contains(Duration.ZERO);
  }

  @Test
  void retryAfterReadsAnHttpDate() {
    String inOneMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(60).atZone(ZoneOffset.UTC));
    String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.minusSeconds(60).atZone(ZoneOffset.UTC));

    assertThat(retryAfter("Retry-After", inOneMinute)).contains(Duration.ofSeconds(60));
    assertThat(retryAfter("Retry-After", past)).contains(Duration.ZERO);
  }

  @Test
  void retryAfterFallsBackToTheResetHeader() {
    String reset = String.valueOf(NOW.plusSeconds(42).getEpochSecond());

    assertThat(retryAfter("X-RateLimit-Reset", reset)).contains(Duration.ofSeconds(42));
    assertThat(retryAfter("Retry-After", "soon", "X-RateLimit-Reset", reset)).contains(Duration.ofSeconds(42));
    assertThat(retryAfter("Retry-After", "-5", "X-RateLimit-Reset", reset)).contains(Duration.ofSeconds(42));
  }

  @Test
  void retryAfterComesBeforeTheResetHeader() {
    String reset = String.valueOf(NOW.plusSeconds(42).getEpochSecond());

    assertThat(retryAfter("Retry-After", "7", "X-RateLimit-Reset", reset)).contains(Duration.ofSeconds(7));
  }

  @Test
  void aResetAlreadyPastMeansNoWait() {
    assertThat(retryAfter("X-RateLimit-Reset", String.valueOf(NOW.minusSeconds(5).getEpochSecond())))
        .contains(Duration.ZERO);
  }

  @Test
  void theResetIsReadByTheProvidersFunction() {
    Function<String, Optional<String>> headers =
        lookup("X-RateLimit-Reset", String.valueOf(NOW.plusSeconds(9).toEpochMilli()));

    assertThat(HttpFailures.retryAfter(headers, "X-RateLimit-Reset", Instant::ofEpochMilli, NOW))
        .contains(Duration.ofSeconds(9));
  }

  @Test
  void unreadableOrMissingHeadersGiveNoWait() {
    assertThat(retryAfter()).isEmpty();
    assertThat(retryAfter("Retry-After", "soon")).isEmpty();
    assertThat(retryAfter("Retry-After", "-1")).isEmpty();
    assertThat(retryAfter("X-RateLimit-Reset", "tomorrow")).isEmpty();
    assertThat(retryAfter("X-RateLimit-Reset", String.valueOf(Long.MAX_VALUE))).isEmpty();
  }

  @Test
  void headerNamesAreLookedUpAsTheCallerSays() {
    HttpHeaders headers = HttpHeaders.of(Map.of("retry-after", List.of("3")), (name, value) -> true);

    assertThat(HttpFailures.retryAfter(headers::firstValue, "X-RateLimit-Reset", Instant::ofEpochSecond, NOW))
        .contains(Duration.ofSeconds(3));
  }

  @Test
  void parseRetryAfterAcceptsSecondsAndHttpDatesOnly() {
    assertThat(HttpFailures.parseRetryAfter("120", NOW)).contains(Duration.ofSeconds(120));
    assertThat(HttpFailures.parseRetryAfter(" Sat, 01 Mar 2025 12:00:30 GMT ", NOW)).contains(Duration.ofSeconds(30));
    assertThat(HttpFailures.parseRetryAfter("2025-03-01T12:00:30Z", NOW)).isEmpty();
    assertThat(HttpFailures.parseRetryAfter("1.5", NOW)).isEmpty();
    assertThat(HttpFailures.parseRetryAfter("", NOW)).isEmpty();
  }

  @Test
  void excerptKeepsAShortTextAndFlattensControls() {
    assertThat(HttpFailures.excerpt("  Domain not found\r\n")).isEqualTo("Domain not found");
    assertThat(HttpFailures.excerpt("line one\nline two\ttabbed")).isEqualTo("line one line two tabbed");
    assertThat(HttpFailures.excerpt("")).isEmpty();
  }

  @Test
  void excerptCutsALongTextAt400Characters() {
    char[] long500 = new char[500];
    Arrays.fill(long500, 'x');

    assertThat(HttpFailures.excerpt(new String(long500))).hasSize(403).endsWith("x...");
    assertThat(HttpFailures.excerpt(new String(long500, 0, 400))).hasSize(400).doesNotEndWith("...");
  }

  @Test
  void scrubReplacesEveryOccurrence() {
    assertThat(HttpFailures.scrub(KEY + " and again " + KEY, KEY)).isEqualTo("**** and again ****");
    assertThat(HttpFailures.scrub("nothing to hide", KEY)).isEqualTo("nothing to hide");
    assertThat(HttpFailures.scrub("an empty secret changes nothing", "")).isEqualTo("an empty secret changes nothing");
  }

  @Test
  void scrubReplacesSeveralSecretsInOrder() {
    String text = "secret s3cr3t-LONG, token t0k, key id AKIA1";

    assertThat(HttpFailures.scrub(text, List.of("s3cr3t-LONG", "", "t0k", "AKIA1")))
        .isEqualTo("secret ****, token ****, key id ****");
    assertThat(HttpFailures.scrub("s3cr3t-LONG", List.of("s3cr3t", "s3cr3t-LONG"))).isEqualTo("****-LONG");
  }

  @Test
  void theServiceNeedsAName() {
    assertThat(ACME.service()).isEqualTo("Acme");
    assertThatIllegalArgumentException().isThrownBy(() -> HttpFailures.of(" ", status -> ""))
        .withMessage("service name is blank");
    assertThatNullPointerException().isThrownBy(() -> HttpFailures.of("Acme", null))
        .withMessage("unavailableAdvice");
  }

  /** {@link HttpFailures#retryAfter} with the given header names and values, reset in Unix seconds. */
  private static Optional<Duration> retryAfter(String... namesAndValues) {
    return HttpFailures.retryAfter(lookup(namesAndValues), "X-RateLimit-Reset", Instant::ofEpochSecond, NOW);
  }

  private static Function<String, Optional<String>> lookup(String... namesAndValues) {
    Map<String, String> headers = new HashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return name -> Optional.ofNullable(headers.get(name));
  }
}
