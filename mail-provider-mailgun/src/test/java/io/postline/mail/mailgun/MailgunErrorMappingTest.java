package io.postline.mail.mailgun;

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

/** Every row of Mailgun's error mapping, against WireMock. */
class MailgunErrorMappingTest {
  private static final String KEY = "key-error-mapping-0001";
  private static final String PATH = "/v3/mg.example.org/messages";
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  /** HTTPS only, with WireMock's own self-signed certificate, which the JVM does not trust. */
  @RegisterExtension
  static WireMockExtension untrusted = WireMockExtension.newInstance()
      .options(wireMockConfig().httpDisabled(true).dynamicHttpsPort()).build();

  private MailgunProvider provider;

  /** One send with a generous timeout, so the first row does not pay for a cold JVM. */
  @BeforeAll
  static void warmUp() throws Exception {
    wire.stubFor(post(PATH).willReturn(aResponse().withStatus(200).withBody("{\"id\":\"warm\"}")));
    try (MailgunProvider warm = MailgunProvider.builder(KEY, "mg.example.org").baseUrl(URI.create(wire.baseUrl())).build()) {
      warm.send(email());
    }
  }

  @BeforeEach
  void setUp() {
    provider = MailgunProvider.builder(KEY, "mg.example.org").name("mg").baseUrl(URI.create(wire.baseUrl()))
        .timeout(Duration.ofMillis(1500)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  static Stream<Arguments> rows() {
    return Stream.of(
        row("400 bad parameter", aResponse().withStatus(400)
                .withBody("{\"message\": \"'to' parameter is not a valid address. please check documentation\"}"),
            FailureKind.PERMANENT, "HTTP 400", null, "'to' parameter is not a valid address"),
        row("413 too large", aResponse().withStatus(413), FailureKind.PERMANENT, "HTTP 413", null, "will not help"),
        row("422 other 4xx", aResponse().withStatus(422), FailureKind.PERMANENT, "HTTP 422", null, "will not help"),
        row("401 bad key", aResponse().withStatus(401).withBody("Forbidden"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 401", null, "(Forbidden)"),
        row("403 not allowed", aResponse().withStatus(403)
                .withBody("{\"message\":\"Domain mg.example.org is not allowed to send: Free accounts are for test purposes only\"}"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 403", null, "not allowed to send"),
        row("404 domain not found", aResponse().withStatus(404).withBody("{\"message\":\"Domain not found: mg.example.org\"}"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 404", null, "Domain not found: mg.example.org"),
        row("429 with Retry-After", aResponse().withStatus(429).withHeader("Retry-After", "20"),
            FailureKind.RATE_LIMITED, "HTTP 429", Duration.ofSeconds(20), "retrying after 20s"),
        row("429 with X-RateLimit-Reset in ms", aResponse().withStatus(429)
                .withHeader("X-RateLimit-Reset", String.valueOf(NOW.plusSeconds(9).toEpochMilli())),
            FailureKind.RATE_LIMITED, "HTTP 429", Duration.ofSeconds(9), "retrying after 9s"),
        row("429 without a hint", aResponse().withStatus(429), FailureKind.RATE_LIMITED, "HTTP 429", null,
            "retrying later may help"),
        row("408", aResponse().withStatus(408), FailureKind.TRANSIENT, "HTTP 408", null, "may help"),
        row("500", aResponse().withStatus(500).withBody("{\"message\":\"Internal error\"}"),
            FailureKind.TRANSIENT, "HTTP 500", null, "Internal error"),
        row("502", aResponse().withStatus(502), FailureKind.TRANSIENT, "HTTP 502", null, "may help"),
        row("503", aResponse().withStatus(503), FailureKind.TRANSIENT, "HTTP 503", null, "may help"),
        row("302 redirect", aResponse().withStatus(302).withHeader("Location", "http://elsewhere.invalid/"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 302", null, "HTTP 302"),
        row("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        row("empty response", aResponse().withFault(Fault.EMPTY_RESPONSE),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        row("garbage response", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        row("slow answer hits the timeout", aResponse().withStatus(200).withFixedDelay(5000),
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
    wire.stubFor(post(PATH).willReturn(response));
    long started = System.nanoTime();

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> provider.send(email()));

    assertThat(e).as("thrown").isNotNull();
    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.provider()).isEqualTo("mg");
    assertThat(e.code()).contains(code);
    if (retryAfter == null) {
      assertThat(e.retryAfter()).isEmpty();
    } else {
      assertThat(e.retryAfter()).contains(retryAfter);
    }
    assertThat(e.getMessage()).startsWith("Mailgun provider 'mg': ").contains(messagePart).doesNotContain(KEY);
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
    try (MailgunProvider unreachable = MailgunProvider.builder(KEY, "mg.example.org").name("mg").baseUrl(URI.create(baseUrl)).build()) {

      ProviderException e = catchThrowableOfType(ProviderException.class, () -> unreachable.send(email()));

      assertThat(e).as("thrown").isNotNull();
      assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
      assertThat(e.code()).contains("I/O");
      assertThat(e.getMessage()).startsWith("Mailgun provider 'mg': ").contains(said).contains(advice)
          .endsWith("another provider may").doesNotContain(KEY);
    }
    assertThat(wire.countRequestsMatching(RequestPattern.everything()).getCount()
        + untrusted.countRequestsMatching(RequestPattern.everything()).getCount()).as("requests that arrived").isZero();
  }

  private static Email email() {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x").build();
  }
}
