package io.postline.mail.sendgrid;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.matching.RequestPattern;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.ProviderException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of SendGrid's error mapping, against WireMock. */
class SendGridErrorMappingTest {
  private static final String KEY = "SG.error-mapping.key";
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private static final String FIELD_ERRORS = """
      {"errors":[{"field":"personalizations.0.to.0.email","message":"Does not contain a valid address.","help":null},
                 {"field":"subject","message":"The subject is required."}]}""";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  /** HTTPS only, with WireMock's own self-signed certificate, which the JVM does not trust. */
  @RegisterExtension
  static WireMockExtension untrusted = WireMockExtension.newInstance()
      .options(wireMockConfig().httpDisabled(true).dynamicHttpsPort()).build();

  private SendGridProvider provider;

  /** One send with a generous timeout, so the first row does not pay for a cold JVM. */
  @BeforeAll
  static void warmUp() throws Exception {
    wire.stubFor(post("/v3/mail/send").willReturn(aResponse().withStatus(202)));
    try (SendGridProvider warm = SendGridProvider.builder(KEY).baseUrl(URI.create(wire.baseUrl())).build()) {
      warm.send(email());
    }
  }

  @BeforeEach
  void setUp() {
    provider = SendGridProvider.builder(KEY).name("sg").baseUrl(URI.create(wire.baseUrl()))
        .timeout(Duration.ofMillis(1500)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  static Stream<Arguments> rows() {
    return Stream.of(
        row("400 with field errors", aResponse().withStatus(400).withBody(FIELD_ERRORS),
            FailureKind.PERMANENT, "HTTP 400", null,
            "personalizations.0.to.0.email: Does not contain a valid address.; subject: The subject is required."),
        row("413 payload too large", aResponse().withStatus(413).withBody("{\"errors\":[{\"message\":\"too big\"}]}"),
            FailureKind.PERMANENT, "HTTP 413", null, "too big"),
        row("422 other 4xx", aResponse().withStatus(422), FailureKind.PERMANENT, "HTTP 422", null, "will not help"),
        row("401 bad key", aResponse().withStatus(401)
                .withBody("{\"errors\":[{\"field\":null,\"message\":\"The provided authorization grant is invalid\"}]}"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 401", null, "authorization grant is invalid"),
        row("403 no permission", aResponse().withStatus(403)
                .withBody("{\"errors\":[{\"message\":\"access forbidden\"}]}"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 403", null, "Mail Send permission"),
        row("404 wrong endpoint", aResponse().withStatus(404), FailureKind.PROVIDER_UNAVAILABLE, "HTTP 404", null,
            "another provider may"),
        row("429 with X-RateLimit-Reset", aResponse().withStatus(429)
                .withHeader("X-RateLimit-Limit", "600").withHeader("X-RateLimit-Remaining", "0")
                .withHeader("X-RateLimit-Reset", String.valueOf(NOW.plusSeconds(42).getEpochSecond())),
            FailureKind.RATE_LIMITED, "HTTP 429", Duration.ofSeconds(42), "retrying after 42s"),
        row("429 with Retry-After", aResponse().withStatus(429).withHeader("Retry-After", "7"),
            FailureKind.RATE_LIMITED, "HTTP 429", Duration.ofSeconds(7), "retrying after 7s"),
        row("429 with a reset already past", aResponse().withStatus(429)
                .withHeader("X-RateLimit-Reset", String.valueOf(NOW.minusSeconds(5).getEpochSecond())),
            FailureKind.RATE_LIMITED, "HTTP 429", Duration.ZERO, "rate limited"),
        row("408 request timeout", aResponse().withStatus(408), FailureKind.TRANSIENT, "HTTP 408", null, "may help"),
        row("500", aResponse().withStatus(500).withBody("oops"), FailureKind.TRANSIENT, "HTTP 500", null, "oops"),
        row("502", aResponse().withStatus(502), FailureKind.TRANSIENT, "HTTP 502", null, "may help"),
        row("503", aResponse().withStatus(503), FailureKind.TRANSIENT, "HTTP 503", null, "may help"),
        row("301 redirect", aResponse().withStatus(301).withHeader("Location", "http://elsewhere.invalid/"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 301", null, "HTTP 301"),
        row("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        row("empty response", aResponse().withFault(Fault.EMPTY_RESPONSE),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        row("garbage response", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        row("slow answer hits the timeout", aResponse().withStatus(202).withFixedDelay(5000),
            FailureKind.TRANSIENT, "I/O", null, "no answer within the timeout of 1500 ms"));
  }

  private static Arguments row(String name, ResponseDefinitionBuilder response, FailureKind kind, String code,
      @Nullable Duration retryAfter, String messagePart) {
    return Arguments.of(name, response, kind, code, retryAfter, messagePart);
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("rows")
  void classifies(String name, ResponseDefinitionBuilder response, FailureKind kind, String code,
      @Nullable Duration retryAfter, String messagePart) {
    wire.stubFor(post("/v3/mail/send").willReturn(response));
    long started = System.nanoTime();

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> provider.send(email()));

    assertThat(e).as("thrown").isNotNull();
    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.provider()).isEqualTo("sg");
    assertThat(e.code()).contains(code);
    if (retryAfter == null) {
      assertThat(e.retryAfter()).isEmpty();
    } else {
      assertThat(e.retryAfter()).contains(retryAfter);
    }
    assertThat(e.getMessage()).startsWith("SendGrid provider 'sg': ").contains(messagePart).doesNotContain(KEY);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time to fail").isLessThan(Duration.ofSeconds(4));
  }

  /** Servers that cannot be reached at all: the next provider should be tried at once. */
  static Stream<Arguments> unreachableServers() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    return Stream.of(
        Arguments.of("closed port", "http://127.0.0.1:" + closedPort,
            "connection refused", "check the host and port"),
        Arguments.of("unknown host", "http://api.postline-test.invalid",
            "unknown host", "check the host name"),
        Arguments.of("untrusted certificate", untrusted.getRuntimeInfo().getHttpsBaseUrl(),
            "TLS certificate is not trusted", "check the trust settings, the JVM's trust store"));
  }

  @ParameterizedTest(name = "{0} -> PROVIDER_UNAVAILABLE")
  @MethodSource("unreachableServers")
  void anUnreachableServerIsProviderUnavailableAndSaysWhatToCheck(String what, String baseUrl, String said,
      String advice) {
    try (SendGridProvider unreachable = SendGridProvider.builder(KEY).name("sg").baseUrl(URI.create(baseUrl)).build()) {

      ProviderException e = catchThrowableOfType(ProviderException.class, () -> unreachable.send(email()));

      assertThat(e).as("thrown").isNotNull();
      assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
      assertThat(e.code()).contains("I/O");
      assertThat(e.getMessage()).startsWith("SendGrid provider 'sg': ").contains(said).contains(advice)
          .endsWith("another provider may").doesNotContain(KEY);
    }
    assertThat(wire.countRequestsMatching(RequestPattern.everything()).getCount()
        + untrusted.countRequestsMatching(RequestPattern.everything()).getCount()).as("requests that arrived").isZero();
  }

  private static Email email() {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x").build();
  }
}
