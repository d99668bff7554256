package io.postline.mail.sendgrid;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.tck.HttpProviderFailureTest;
import io.postline.mail.tck.WireMockService;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.provider.Arguments;

/** Every row of SendGrid's error mapping, against WireMock, checked by the kit. */
class SendGridErrorMappingTest extends HttpProviderFailureTest<ResponseDefinitionBuilder> {
  private static final String KEY = "SG.error-mapping.key";
  private static final String PATH = "/v3/mail/send";
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

  SendGridErrorMappingTest() {
    super(new WireMockService(wire, untrusted, PATH), "SendGrid provider 'sg': ", Set.of(KEY));
  }

  /** One send with a generous timeout, so the first row does not pay for a cold JVM. */
  @BeforeAll
  static void warmUp() throws Exception {
    wire.stubFor(post(PATH).willReturn(aResponse().withStatus(202)));
    try (SendGridProvider warm = SendGridProvider.builder(KEY).baseUrl(URI.create(wire.baseUrl())).build()) {
      warm.send(email());
    }
  }

  @Override
  protected MailProvider createProvider(URI baseUrl, Duration timeout) {
    return SendGridProvider.builder(KEY).name("sg").baseUrl(baseUrl)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).timeout(timeout).build();
  }

  static Stream<Arguments> rows() {
    return Stream.concat(WireMockService.commonRows(), Stream.of(
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
        row("301 redirect", aResponse().withStatus(301).withHeader("Location", "http://elsewhere.invalid/"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 301", null, "HTTP 301")));
  }

  private static Arguments row(String name, ResponseDefinitionBuilder response, FailureKind kind, @Nullable String code,
      @Nullable Duration retryAfter, String messagePart) {
    return Arguments.of(name, response, kind, code, retryAfter, messagePart);
  }
}
