package io.postline.mail.sendgrid;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendResult;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The exact {@code /v3/mail/send} request SendGrid gets for an email. */
class SendGridRequestTest {
  private static final String KEY = "SG.request-test.key";
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private SendGridProvider provider;

  @BeforeEach
  void setUp() {
    wire.stubFor(post("/v3/mail/send").willReturn(aResponse().withStatus(202).withHeader("X-Message-Id", "abc123")));
    provider = SendGridProvider.builder(KEY).name("sg").baseUrl(URI.create(wire.baseUrl()))
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  @Test
  void mapsEveryFieldToTheDocumentedJson() throws Exception {
    Email email = Email.builder()
        .from(Address.of("shop@example.org", "Shop"))
        .to("Ann <ann@example.org>", "bob@bücher.example").cc("carol@example.org").bcc("dave@example.org")
        .replyTo("Support <support@example.org>")
        .subject("Your order").text("Thanks").html("<p>Thanks</p>")
        .attach(Attachment.of("report.pdf", new byte[] {1, 2, 3}, "application/pdf"))
        .attach(Attachment.inline("logo", new byte[] {4, 5}, "image/png"))
        .header("X-Campaign", "spring")
        .tag("welcome").tag("orders")
        .metadata("userId", "42")
        .metadata("postline_mail_id", "01JMAILID00000000000000001") // what a Mailer adds: SendGrid echoes custom args in events
        .sendAt(NOW.plus(Duration.ofHours(1)))
        .build();

    SendResult result = provider.send(email);

    assertThat(result.messageId()).isEqualTo("abc123");
    assertThat(result.provider()).isEqualTo("sg");
    assertThat(result.accepted()).containsExactlyElementsOf(email.recipients());
    String expected = """
        {
          "from": {"email": "shop@example.org", "name": "Shop"},
          "subject": "Your order",
          "personalizations": [{
            "to": [{"email": "ann@example.org", "name": "Ann"}, {"email": "bob@xn--bcher-kva.example"}],
            "cc": [{"email": "carol@example.org"}],
            "bcc": [{"email": "dave@example.org"}]
          }],
          "content": [
            {"type": "text/plain", "value": "Thanks"},
            {"type": "text/html", "value": "<p>Thanks</p>"}
          ],
          "attachments": [
            {"content": "AQID", "type": "application/pdf", "filename": "report.pdf", "disposition": "attachment"},
            {"content": "BAU=", "type": "image/png", "filename": "logo", "disposition": "inline", "content_id": "logo"}
          ],
          "headers": {"X-Campaign": "spring"},
          "categories": ["welcome", "orders"],
          "custom_args": {"userId": "42", "postline_mail_id": "01JMAILID00000000000000001"},
          "send_at": %d,
          "reply_to": {"email": "support@example.org", "name": "Support"}
        }
        """.formatted(NOW.plus(Duration.ofHours(1)).getEpochSecond());
    wire.verify(1, postRequestedFor(urlEqualTo("/v3/mail/send"))
        .withHeader("Authorization", equalTo("Bearer " + KEY))
        .withHeader("Content-Type", equalTo("application/json"))
        .withHeader("Accept", equalTo("application/json"))
        .withRequestBody(equalToJson(expected, false, false)));
  }

  @Test
  void textOnlyHasOneContentAndNoOptionalFields() {
    send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("Plain").build());

    wire.verify(postRequestedFor(urlEqualTo("/v3/mail/send")).withRequestBody(equalToJson("""
        {"from": {"email": "shop@example.org"}, "subject": "Hi",
         "personalizations": [{"to": [{"email": "ann@example.org"}]}],
         "content": [{"type": "text/plain", "value": "Plain"}]}
        """, false, false)));
  }

  @Test
  void severalReplyToAddressesGoToReplyToList() {
    send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x")
        .replyTo("Support <support@example.org>", "help@example.org").build());

    JsonNode body = onlyBody();
    assertThat(body.has("reply_to")).isFalse();
    assertThat(body.path("reply_to_list").toString())
        .isEqualTo("[{\"name\":\"Support\",\"email\":\"support@example.org\"},{\"email\":\"help@example.org\"}]");
  }

  @Test
  void sendAtInThePastSendsAtOnce() {
    send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x")
        .sendAt(NOW.minus(Duration.ofMinutes(5))).build());

    assertThat(onlyBody().has("send_at")).isFalse();
  }

  @Test
  void sendAtBeyond72HoursIsRefusedNamingScheduling() {
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x")
        .sendAt(NOW.plus(Duration.ofHours(73))).build();

    assertThatThrownBy(() -> provider.send(email)).isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("provider sg").hasMessageContaining("scheduling").hasMessageContaining("72 hours");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void sandboxModeIsSetWhenAsked() {
    try (SendGridProvider sandbox = SendGridProvider.builder(KEY).baseUrl(URI.create(wire.baseUrl())).sandbox(true).build()) {
      sandbox.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x").build());
    } catch (Exception e) {
      throw new AssertionError(e);
    }

    assertThat(onlyBody().path("mail_settings").path("sandbox_mode").path("enable").asBoolean()).isTrue();
  }

  @Test
  void refusesWhatSendGridWouldRefuseBeforeSending() {
    List<Email> refused = List.of(
        Email.builder().from("shop@example.org").bcc("ann@example.org").subject("No to").text("x").build(),
        Email.builder().from("shop@example.org").to("ann@example.org").cc("ANN@example.org").subject("Twice").text("x").build(),
        Email.builder().from("shop@example.org").to("ann@example.org").subject("Header").text("x")
            .header("X-SG-EID", "1").build(),
        Email.builder().from("shop@example.org").to("ann@example.org").subject("Args").text("x")
            .metadata("a", "v".repeat(1000)).metadata("b", "v".repeat(1000)).metadata("c", "v".repeat(1000))
            .metadata("d", "v".repeat(1000)).metadata("e", "v".repeat(1000)).metadata("f", "v".repeat(1000))
            .metadata("g", "v".repeat(1000)).metadata("h", "v".repeat(1000)).metadata("i", "v".repeat(1000))
            .metadata("j", "v".repeat(1000)).build());
    List<String> features = List.of("To recipient", "appears twice", "reserved by SendGrid", "custom_args");

    for (int i = 0; i < refused.size(); i++) {
      Email email = refused.get(i);
      assertThatThrownBy(() -> provider.send(email)).isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("provider sg").hasMessageContaining(features.get(i))
          .hasMessageNotContaining("ann@example.org");
    }
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void aMissingMessageIdHeaderGivesAnEmptyIdNotAFailure() throws Exception {
    wire.stubFor(post("/v3/mail/send").willReturn(aResponse().withStatus(202)));

    SendResult result = provider.send(Email.builder().from("shop@example.org").to("ann@example.org")
        .subject("Hi").text("x").build());

    assertThat(result.messageId()).isEmpty();
    assertThat(result.accepted()).containsExactly(Address.of("ann@example.org"));
  }

  @Test
  void sendsAfterCloseFailAsProviderUnavailable() {
    provider.close();

    assertThatThrownBy(() -> provider.send(Email.builder().from("shop@example.org").to("ann@example.org")
        .subject("Hi").text("x").build()))
        .isInstanceOfSatisfying(io.postline.mail.spi.ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(io.postline.mail.FailureKind.PROVIDER_UNAVAILABLE))
        .hasMessageContaining("closed");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  private void send(Email email) {
    try {
      provider.send(email);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode onlyBody() {
    List<JsonNode> bodies = SendGridWire.acceptedBodies(wire);
    assertThat(bodies).hasSize(1);
    return bodies.get(0);
  }
}
