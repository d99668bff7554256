package io.postline.mail.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.postline.mail.ses.SesContractTest.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.tck.HttpProviderFailureTest;
import io.postline.mail.tck.WireMockService;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.provider.Arguments;
import software.amazon.awssdk.core.exception.SdkClientException;

/** Every row of SES's error mapping, against WireMock, checked by the kit. */
class SesErrorMappingTest extends HttpProviderFailureTest<ResponseDefinitionBuilder> {
  private static final String ACCESS_KEY = "AKIAERRORMAPPING0001";
  private static final String SECRET = "error-mapping-secret-key";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  /** HTTPS only, with WireMock's own self-signed certificate, which the JVM does not trust. */
  @RegisterExtension
  static WireMockExtension untrusted = WireMockExtension.newInstance()
      .options(wireMockConfig().httpDisabled(true).dynamicHttpsPort()).build();

  SesErrorMappingTest() {
    super(new WireMockService(wire, untrusted, SesWire.PATH), "SES provider 'ses': ", Set.of(SECRET));
  }

  /** One send with a generous timeout, so the first row does not pay for a cold SDK. */
  @BeforeAll
  static void warmUp() throws Exception {
    wire.stubFor(post(SesWire.PATH).willReturn(aResponse().withStatus(200).withBody("{\"MessageId\":\"warm\"}")));
    try (SesProvider warm = SesProvider.builder().region("eu-west-1").credentials(ACCESS_KEY, SECRET)
        .endpoint(URI.create(wire.baseUrl())).build()) {
      warm.send(email());
    }
  }

  @Override
  protected MailProvider createProvider(URI baseUrl, Duration timeout) {
    return SesProvider.builder().name("ses").region("eu-west-1").credentials(ACCESS_KEY, SECRET)
        .endpoint(baseUrl).quotaRetryAfter(Duration.ofHours(2)).timeout(timeout).build();
  }

  static Stream<Arguments> rows() {
    return Stream.concat(WireMockService.commonRows(), Stream.of(
        row("TooManyRequests", error(429, "TooManyRequestsException", "Too Many Requests"),
            FailureKind.RATE_LIMITED, "TooManyRequestsException", null, "retrying later may help"),
        row("TooManyRequests with Retry-After", error(429, "TooManyRequestsException", "slow down")
                .withHeader("Retry-After", "5"),
            FailureKind.RATE_LIMITED, "TooManyRequestsException", Duration.ofSeconds(5), "retrying after 5s"),
        row("Throttling (sending rate)", error(400, "Throttling", "Maximum sending rate exceeded."),
            FailureKind.RATE_LIMITED, "Throttling", null, "Maximum sending rate exceeded."),
        row("LimitExceeded (daily quota)", error(400, "LimitExceededException", "Daily message quota exceeded."),
            FailureKind.PROVIDER_UNAVAILABLE, "LimitExceededException", Duration.ofHours(2), "quota is spent"),
        row("AccountSuspended", error(400, "AccountSuspendedException", "Account suspended"),
            FailureKind.PROVIDER_UNAVAILABLE, "AccountSuspendedException", null, "another provider may"),
        row("SendingPaused", error(400, "SendingPausedException", "Sending paused for this account"),
            FailureKind.PROVIDER_UNAVAILABLE, "SendingPausedException", null, "another provider may"),
        row("MailFromDomainNotVerified", error(400, "MailFromDomainNotVerifiedException", "MAIL FROM domain not verified"),
            FailureKind.PROVIDER_UNAVAILABLE, "MailFromDomainNotVerifiedException", null, "another provider may"),
        row("NotFound (configuration set)", error(404, "NotFoundException", "Configuration set does not exist"),
            FailureKind.PROVIDER_UNAVAILABLE, "NotFoundException", null, "Configuration set does not exist"),
        row("403 unrecognized client", error(403, "UnrecognizedClientException", "The security token included in the request is invalid."),
            FailureKind.PROVIDER_UNAVAILABLE, "UnrecognizedClientException", null, "credentials"),
        row("403 bad signature", error(403, "InvalidSignatureException", "The request signature we calculated does not match"),
            FailureKind.PROVIDER_UNAVAILABLE, "InvalidSignatureException", null, "another provider may"),
        row("MessageRejected", error(400, "MessageRejected",
                "Email address is not verified. The following identities failed the check in region EU-WEST-1: shop@example.org"),
            FailureKind.PERMANENT, "MessageRejected", null, "failed the check in region EU-WEST-1: s***@example.org"),
        row("BadRequest", error(400, "BadRequestException", "Missing final '@domain'"),
            FailureKind.PERMANENT, "BadRequestException", null, "retrying will not help"),
        row("413 other 4xx", aResponse().withStatus(413).withBody("{\"message\":\"too big\"}"),
            FailureKind.PERMANENT, "HTTP 413", null, "retrying will not help"),
        row("500 InternalServiceError", error(500, "InternalServiceErrorException", "Internal error"),
            FailureKind.TRANSIENT, "InternalServiceErrorException", null, "retrying may help")));
  }

  @Test
  void missingCredentialsMakeTheProviderUnavailableWithoutARequest() {
    try (SesProvider noCredentials = SesProvider.builder().name("ses").region("eu-west-1")
        .credentialsProvider(() -> {
          throw SdkClientException.create("Unable to load credentials from any of the providers in the chain");
        })
        .endpoint(URI.create(wire.baseUrl())).build()) {

      ProviderException e = catchThrowableOfType(ProviderException.class, () -> noCredentials.send(email()));

      assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
      assertThat(e.getMessage()).contains("no AWS credentials").contains("another provider may");
    }
    wire.verify(0, postRequestedFor(urlEqualTo(SesWire.PATH)));
  }

  private static Arguments row(String name, ResponseDefinitionBuilder response, FailureKind kind, @Nullable String code,
      @Nullable Duration retryAfter, String messagePart) {
    return Arguments.of(name, response, kind, code, retryAfter, messagePart);
  }
}
