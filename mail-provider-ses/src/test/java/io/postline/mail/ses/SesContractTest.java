package io.postline.mail.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.tck.DeliveredMessage;
import io.postline.mail.tck.MailProviderContractTest;
import java.net.URI;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Amazon SES against the shared provider contract, with WireMock standing in for the API. */
class SesContractTest extends MailProviderContractTest {
  private static final String ACCESS_KEY = "AKIACONTRACTTEST0001";
  private static final String SECRET = "contract/Secret+Key0123456789abcdefGHIJ";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @BeforeEach
  void acceptEverything() {
    wire.stubFor(post(SesWire.PATH).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"MessageId\":\"contract-message-id\"}")));
  }

  @Override
  protected MailProvider createProvider() {
    return SesProvider.builder().name("ses-kit").region("eu-west-1").credentials(ACCESS_KEY, SECRET)
        .endpoint(URI.create(wire.baseUrl())).build();
  }

  @Override
  protected List<DeliveredMessage> delivered() {
    return SesWire.delivered(wire);
  }

  @Override
  protected boolean arrangeFailure(FailureKind kind, Email email) {
    var response = switch (kind) {
      case TRANSIENT -> error(500, "InternalServiceErrorException", "Internal failure");
      case RATE_LIMITED -> error(429, "TooManyRequestsException", "Too many requests");
      case PROVIDER_UNAVAILABLE -> error(400, "AccountSuspendedException", "Your account is suspended");
      case PERMANENT -> error(400, "MessageRejected", "Email address is not verified.");
      case RECIPIENTS_REJECTED -> null;
    };
    if (response == null) {
      return false;
    }
    wire.stubFor(post(SesWire.PATH).willReturn(response));
    return true;
  }

  static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder error(int status, String type, String message) {
    return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
        .withHeader("x-amzn-ErrorType", type).withBody("{\"message\":\"" + message + "\"}");
  }

  @Override
  protected Set<String> secrets() {
    return Set.of(SECRET);
  }
}
