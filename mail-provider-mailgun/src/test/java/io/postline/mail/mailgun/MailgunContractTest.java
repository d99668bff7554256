package io.postline.mail.mailgun;

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

/** Mailgun against the shared provider contract, with WireMock standing in for the API. */
class MailgunContractTest extends MailProviderContractTest {
  private static final String API_KEY = "key-contract-0123456789abcdef";
  private static final String PATH = "/v3/mg.example.org/messages";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @BeforeEach
  void acceptEverything() {
    wire.stubFor(post(PATH).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
        .withBody("{\"id\":\"<contract.1@mg.example.org>\",\"message\":\"Queued. Thank you.\"}")));
  }

  @Override
  protected MailProvider createProvider() {
    return MailgunProvider.builder(API_KEY, "mg.example.org").name("mailgun-kit")
        .baseUrl(URI.create(wire.baseUrl())).build();
  }

  @Override
  protected List<DeliveredMessage> delivered() {
    return MailgunWire.delivered(wire);
  }

  @Override
  protected boolean arrangeFailure(FailureKind kind, Email email) {
    var response = switch (kind) {
      case TRANSIENT -> aResponse().withStatus(502).withBody("Bad Gateway");
      case RATE_LIMITED -> aResponse().withStatus(429).withHeader("Retry-After", "20")
          .withBody("{\"message\":\"Too many requests\"}");
      case PROVIDER_UNAVAILABLE -> aResponse().withStatus(401).withBody("Forbidden");
      case PERMANENT -> aResponse().withStatus(400)
          .withBody("{\"message\":\"'from' parameter is not a valid address. please check documentation\"}");
      case RECIPIENTS_REJECTED -> null;
    };
    if (response == null) {
      return false;
    }
    wire.stubFor(post(PATH).willReturn(response));
    return true;
  }

  @Override
  protected Set<String> secrets() {
    return Set.of(API_KEY);
  }
}
