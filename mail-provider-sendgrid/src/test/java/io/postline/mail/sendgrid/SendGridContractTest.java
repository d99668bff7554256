package io.postline.mail.sendgrid;

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
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SendGrid against the shared provider contract, with WireMock standing in for the API. */
class SendGridContractTest extends MailProviderContractTest {
  private static final String API_KEY = "SG.contract-test-key.0123456789abcdef";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @BeforeEach
  void acceptEverything() {
    wire.stubFor(post("/v3/mail/send")
        .willReturn(aResponse().withStatus(202).withHeader("X-Message-Id", "contract-message-id")));
  }

  @Override
  protected MailProvider createProvider() {
    return SendGridProvider.builder(API_KEY).name("sendgrid-kit")
        .baseUrl(URI.create(wire.baseUrl())).build();
  }

  @Override
  protected List<DeliveredMessage> delivered() {
    return SendGridWire.delivered(wire);
  }

  @Override
  protected boolean arrangeFailure(FailureKind kind, Email email) {
    var response = switch (kind) {
      case TRANSIENT -> aResponse().withStatus(503).withBody("upstream unavailable");
      case RATE_LIMITED -> aResponse().withStatus(429)
          .withHeader("X-RateLimit-Reset", String.valueOf(Instant.now().plusSeconds(30).getEpochSecond()))
          .withBody("{\"errors\":[{\"field\":null,\"message\":\"too many requests\"}]}");
      case PROVIDER_UNAVAILABLE -> aResponse().withStatus(401)
          .withBody("{\"errors\":[{\"field\":null,\"message\":\"The provided authorization grant is invalid, expired, or revoked\"}]}");
      case PERMANENT -> aResponse().withStatus(400)
          .withBody("{\"errors\":[{\"field\":\"from.email\",\"message\":\"does not contain a valid address.\"}]}");
      case RECIPIENTS_REJECTED -> null;
    };
    if (response == null) {
      return false;
    }
    wire.stubFor(post("/v3/mail/send").willReturn(response));
    return true;
  }

  @Override
  protected Set<String> secrets() {
    return Set.of(API_KEY);
  }
}
