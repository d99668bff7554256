package io.postline.mail.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.postline.mail.ses.SesContractTest.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.spi.SendOutcome;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** sendBatch on SES: one call per email, emails over 50 recipients split into parts of 50. */
class SesBatchTest {
  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private SesProvider provider;

  @BeforeEach
  void setUp() {
    wire.stubFor(post(SesWire.PATH).willReturn(aResponse().withStatus(200)
        .withBody("{\"MessageId\":\"id-{{randomValue length=6 type='ALPHANUMERIC'}}\"}")
        .withTransformers("response-template")));
    provider = SesProvider.builder().name("ses").region("us-east-1").credentials("AKIABATCH", "batch-secret")
        .endpoint(URI.create(wire.baseUrl())).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  @Test
  void anEmailWith120RecipientsGoesOutInThreeMessagesOfAtMost50() {
    Email email = bigEmail(120);

    List<SendOutcome> outcomes = provider.sendBatch(List.of(email));

    List<JsonNode> bodies = SesWire.acceptedBodies(wire);
    assertThat(bodies).extracting(b -> b.path("Destination").path("ToAddresses").size()
            + b.path("Destination").path("BccAddresses").size())
        .containsExactly(50, 50, 20);
    assertThat(outcomes).singleElement().satisfies(o -> {
      SendResult result = o.result().orElseThrow();
      assertThat(result.accepted()).containsExactlyElementsOf(email.recipients());
      assertThat(result.messageId().split(",")).hasSize(3).allMatch(id -> id.startsWith("id-"));
    });
  }

  @Test
  void eachEmailOfABatchIsOneCallAndOutcomesKeepTheirOrder() {
    List<Email> emails = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      emails.add(Email.builder().from("shop@example.org").to("user" + i + "@example.org")
          .subject("Hello " + i).text("t").build());
    }

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    assertThat(outcomes).extracting(SendOutcome::email).containsExactlyElementsOf(emails);
    assertThat(outcomes).allMatch(SendOutcome::isSent);
    assertThat(SesWire.delivered(wire)).extracting(m -> m.subject())
        .containsExactly("Hello 0", "Hello 1", "Hello 2", "Hello 3", "Hello 4");
  }

  @Test
  void aFailedPartRejectsOnlyItsRecipients() {
    wire.stubFor(post(SesWire.PATH).withRequestBody(containing("r60@example.org"))
        .willReturn(error(429, "TooManyRequestsException", "slow down")));
    Email email = bigEmail(120);

    SendOutcome outcome = provider.sendBatch(List.of(email)).get(0);

    SendResult result = outcome.result().orElseThrow();
    assertThat(result.accepted()).hasSize(70);
    assertThat(result.rejected()).hasSize(50).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(RecipientStatus.Status.REJECTED);
      assertThat(r.reason()).get().asString().contains("RATE_LIMITED").contains("retrying may help");
    });
  }

  @Test
  void anEmailWhosePartsAllFailFailsWithTheKind() {
    wire.stubFor(post(SesWire.PATH).willReturn(error(400, "MessageRejected", "rejected")));

    SendOutcome outcome = provider.sendBatch(List.of(bigEmail(60))).get(0);

    assertThat(outcome.isSent()).isFalse();
    assertThat(outcome.failure()).get().satisfies(e -> assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT));
  }

  @Test
  void anInvalidEmailStopsTheBatchBeforeAnythingIsSent() {
    Email collides = Email.builder().from("shop@example.org").to("a@example.org").subject("s").text("t")
        .tag("x y").tag("x_y").build();

    assertThatThrownBy(() -> provider.sendBatch(List.of(bigEmail(3), collides)))
        .isInstanceOf(InvalidEmailException.class).hasMessageContaining("emails[1]: provider ses:");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  private static Email bigEmail(int recipients) {
    Email.Builder b = Email.builder().from("shop@example.org").to("r0@example.org").subject("Notice").text("t");
    for (int i = 1; i < recipients; i++) {
      b.bcc("r" + i + "@example.org");
    }
    return b.build();
  }
}
