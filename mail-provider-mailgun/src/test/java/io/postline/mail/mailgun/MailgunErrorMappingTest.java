package io.postline.mail.mailgun;

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

/** Every row of Mailgun's error mapping, against WireMock, checked by the kit. */
class MailgunErrorMappingTest extends HttpProviderFailureTest<ResponseDefinitionBuilder> {
  private static final String KEY = "key-error-mapping-0001";
  private static final String PATH = "/v3/mg.example.org/messages";
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  /** HTTPS only, with WireMock's own self-signed certificate, which the JVM does not trust. */
  @RegisterExtension
  static WireMockExtension untrusted = WireMockExtension.newInstance()
      .options(wireMockConfig().httpDisabled(true).dynamicHttpsPort()).build();

  MailgunErrorMappingTest() {
    super(new WireMockService(wire, untrusted, PATH), "Mailgun provider 'mg': ", Set.of(KEY));
  }

  /** One send with a generous timeout, so the first row does not pay for a cold JVM. */
  @BeforeAll
  static void warmUp() throws Exception {
    wire.stubFor(post(PATH).willReturn(aResponse().withStatus(200).withBody("{\"id\":\"warm\"}")));
    try (MailgunProvider warm = MailgunProvider.builder(KEY, "mg.example.org").baseUrl(URI.create(wire.baseUrl())).build()) {
      warm.send(email());
    }
  }

  @Override
  protected MailProvider createProvider(URI baseUrl, Duration timeout) {
    return MailgunProvider.builder(KEY, "mg.example.org").name("mg").baseUrl(baseUrl)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).timeout(timeout).build();
  }

  static Stream<Arguments> rows() {
    return Stream.concat(WireMockService.commonRows(), Stream.of(
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
        row("302 redirect", aResponse().withStatus(302).withHeader("Location", "http://elsewhere.invalid/"),
            FailureKind.PROVIDER_UNAVAILABLE, "HTTP 302", null, "HTTP 302")));
  }

  private static Arguments row(String name, ResponseDefinitionBuilder response, FailureKind kind, @Nullable String code,
      @Nullable Duration retryAfter, String messagePart) {
    return Arguments.of(name, response, kind, code, retryAfter, messagePart);
  }
}
