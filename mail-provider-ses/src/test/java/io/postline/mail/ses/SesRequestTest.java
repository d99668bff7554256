package io.postline.mail.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
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
import io.postline.mail.ses.internal.SesRequests;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The exact SES v2 {@code SendEmail} request for an email: Simple content, Raw content, message tags. */
class SesRequestTest {
  private static final String ACCESS_KEY = "AKIAREQUESTTEST00001";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private SesProvider provider;

  @BeforeEach
  void setUp() {
    wire.stubFor(post(SesWire.PATH).willReturn(aResponse().withStatus(200).withBody("{\"MessageId\":\"0102-abc\"}")));
    provider = SesProvider.builder().name("ses").region("eu-west-1").credentials(ACCESS_KEY, "request-test-secret")
        .configurationSet("transactional").endpoint(URI.create(wire.baseUrl())).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  @Test
  void simpleContentCarriesEveryFieldSignedForSesInTheRegion() throws Exception {
    Email email = Email.builder()
        .from(Address.of("shop@example.org", "Zoë Shop"))
        .to("Ann <ann@example.org>", "bob@bücher.example").cc("carol@example.org").bcc("dave@example.org")
        .replyTo("Support <support@example.org>")
        .subject("Your order").text("Thanks").html("<p>Thanks</p>")
        .header("X-Campaign", "spring")
        .tag("welcome").tag("Spring Sale!")
        .metadata("userId", "42").metadata("plan", "gold tier/2")
        .metadata("postline_mail_id", "01JMAILID00000000000000001") // what a Mailer adds: SES notifications echo message tags
        .sendAt(Instant.now().plus(Duration.ofHours(1)))
        .build();

    SendResult result = provider.send(email);

    assertThat(result.messageId()).isEqualTo("0102-abc");
    assertThat(result.accepted()).containsExactlyElementsOf(email.recipients());
    wire.verify(1, postRequestedFor(urlEqualTo(SesWire.PATH))
        .withHeader("Authorization", matching(
            "AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/\\d{8}/eu-west-1/ses/aws4_request, .*"))
        .withRequestBody(equalToJson("""
            {
              "FromEmailAddress": "=?UTF-8?Q?Zo=C3=AB_Shop?= <shop@example.org>",
              "Destination": {
                "ToAddresses": ["Ann <ann@example.org>", "bob@xn--bcher-kva.example"],
                "CcAddresses": ["carol@example.org"],
                "BccAddresses": ["dave@example.org"]
              },
              "ReplyToAddresses": ["Support <support@example.org>"],
              "Content": {"Simple": {
                "Subject": {"Data": "Your order", "Charset": "UTF-8"},
                "Body": {"Text": {"Data": "Thanks", "Charset": "UTF-8"}, "Html": {"Data": "<p>Thanks</p>", "Charset": "UTF-8"}},
                "Headers": [{"Name": "X-Campaign", "Value": "spring"}]
              }},
              "EmailTags": [
                {"Name": "welcome", "Value": "true"},
                {"Name": "Spring_Sale_", "Value": "true"},
                {"Name": "userId", "Value": "42"},
                {"Name": "plan", "Value": "gold_tier_2"},
                {"Name": "postline_mail_id", "Value": "01JMAILID00000000000000001"}
              ],
              "ConfigurationSetName": "transactional"
            }
            """, false, false)));
  }

  @Test
  void attachmentsGoAsRawMimeWithEveryRecipientInTheDestinationAndNoBccHeader() throws Exception {
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").bcc("secret-copy@example.org")
        .replyTo("help@example.org")
        .subject("Invoice").text("Attached.").html("<p>Logo: <img src=\"cid:logo\"></p>")
        .attach(Attachment.of("invoice.pdf", new byte[] {1, 2, 3}, "application/pdf"))
        .attach(Attachment.inline("logo", new byte[] {9, 8}, "image/png"))
        .tag("billing")
        .metadata("postline_mail_id", "01JMAILID00000000000000001")
        .build();

    provider.send(email);

    JsonNode body = SesWire.acceptedBodies(wire).get(0);
    assertThat(body.path("Content").has("Simple")).isFalse();
    assertThat(body.path("Destination").path("BccAddresses").get(0).asText()).isEqualTo("secret-copy@example.org");
    assertThat(body.path("ReplyToAddresses").isMissingNode()).as("reply-to travels in the MIME header").isTrue();
    assertThat(body.path("EmailTags").get(0).path("Name").asText()).isEqualTo("billing");
    assertThat(body.path("EmailTags").get(1).path("Name").asText()).as("raw sends carry the mail id as a tag too")
        .isEqualTo("postline_mail_id");
    assertThat(body.path("EmailTags").get(1).path("Value").asText()).isEqualTo("01JMAILID00000000000000001");
    assertThat(body.path("ConfigurationSetName").asText()).isEqualTo("transactional");
    MimeMessage mime = SesWire.raw(body);
    assertThat(mime.getHeader("Bcc")).isNull();
    assertThat(mime.getRecipients(Message.RecipientType.TO)).extracting(Object::toString).containsExactly("ann@example.org");
    assertThat(mime.getHeader("Reply-To", ",")).isEqualTo("help@example.org");
    assertThat(mime.getContentType()).startsWith("multipart/mixed");
    assertThat(SesWire.message(body).attachments()).extracting(a -> a.fileName() + ":" + a.contentId().orElse("-"))
        .containsExactly("logo:logo", "invoice.pdf:-");
  }

  @Test
  void rawCanBeForcedForEveryMessage() throws Exception {
    try (SesProvider raw = SesProvider.builder().region("eu-west-1").credentials(ACCESS_KEY, "s")
        .endpoint(URI.create(wire.baseUrl())).raw(true).build()) {
      raw.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x").build());
    }

    JsonNode body = SesWire.acceptedBodies(wire).get(0);
    assertThat(body.path("Content").has("Raw")).isTrue();
    assertThat(SesWire.raw(body).getSubject()).isEqualTo("Hi");
  }

  @Test
  void tagsAreSanitizedToWhatSesAllows() {
    assertThat(SesRequests.sanitize("Black Friday: 50%")).isEqualTo("Black_Friday__50_");
    assertThat(SesRequests.sanitize("ok-name_1")).isEqualTo("ok-name_1");
    assertThat(SesRequests.sanitize("")).isEqualTo("_");
    assertThat(SesRequests.sanitize("ü".repeat(300))).hasSize(256).matches("_+");
  }

  @Test
  void tagsThatCollideAfterSanitizingAreRefused() {
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t")
        .tag("a b").metadata("a_b", "1").build();

    assertThatThrownBy(() -> provider.send(email)).isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("provider ses").hasMessageContaining("both become the SES message tag 'a_b'");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void moreThan50RecipientsIsRefusedPointingToSendBatch() {
    Email.Builder b = Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t");
    for (int i = 0; i < 50; i++) {
      b.bcc("r" + i + "@example.org");
    }

    assertThatThrownBy(() -> provider.send(b.build())).isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("provider ses: at most 50 recipients").hasMessageContaining("sendBatch");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void splitKeepsRecipientsInOrderAndInTheirPlace() {
    Email.Builder b = Email.builder().from("shop@example.org").subject("s").text("t");
    for (int i = 0; i < 60; i++) {
      b.to("t" + i + "@example.org");
    }
    b.cc("c@example.org");
    for (int i = 0; i < 45; i++) {
      b.bcc("b" + i + "@example.org");
    }

    List<Email> parts = SesRequests.split(b.build(), 50);

    assertThat(parts).extracting(p -> p.to().size() + "/" + p.cc().size() + "/" + p.bcc().size())
        .containsExactly("50/0/0", "10/1/39", "0/0/6");
    assertThat(parts.get(1).to().get(0).email()).isEqualTo("t50@example.org");
  }
}
