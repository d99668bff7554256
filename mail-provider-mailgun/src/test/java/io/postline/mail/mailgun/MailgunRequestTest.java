package io.postline.mail.mailgun;

import static com.github.tomakehurst.wiremock.client.WireMock.aMultipart;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendResult;
import io.postline.mail.spi.ProviderException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The exact {@code /v3/{domain}/messages} form Mailgun gets for an email. */
class MailgunRequestTest {
  private static final String KEY = "key-request-test-0001";
  private static final String PATH = "/v3/mg.example.org/messages";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private MailgunProvider provider;

  @BeforeEach
  void setUp() {
    wire.stubFor(post(PATH).willReturn(aResponse().withStatus(200)
        .withBody("{\"id\":\"<20300304.1@mg.example.org>\",\"message\":\"Queued. Thank you.\"}")));
    provider = MailgunProvider.builder(KEY, "mg.example.org").name("mg").baseUrl(URI.create(wire.baseUrl()))
        .clock(Clock.fixed(Instant.now(), ZoneOffset.UTC)).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  @Test
  void mapsEveryFieldToTheDocumentedForm() throws Exception {
    Instant at = Instant.now().plus(Duration.ofHours(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Email email = Email.builder()
        .from(Address.of("shop@example.org", "Shop"))
        .to("Ann <ann@example.org>", "bob@bücher.example").cc("\"Doe, Carol\" <carol@example.org>")
        .bcc("dave@example.org")
        .replyTo("Support <support@example.org>", "help@example.org")
        .subject("Your order").text("Thanks").html("<p>Thanks</p>")
        .attach(Attachment.of("report.pdf", new byte[] {1, 2, 3, (byte) 0xff}, "application/pdf"))
        .attach(Attachment.inline("logo", "company-logo.png", new byte[] {4, 5}, "image/png"))
        .header("X-Campaign", "spring")
        .tag("welcome").tag("orders")
        .metadata("userId", "42")
        .metadata("postline_mail_id", "01JMAILID00000000000000001") // what a Mailer adds: Mailgun echoes it in user-variables
        .sendAt(at)
        .build();

    SendResult result = provider.send(email);

    assertThat(result.messageId()).isEqualTo("<20300304.1@mg.example.org>");
    assertThat(result.accepted()).containsExactlyElementsOf(email.recipients());
    String basic = "Basic " + Base64.getEncoder().encodeToString(("api:" + KEY).getBytes(StandardCharsets.UTF_8));
    wire.verify(1, postRequestedFor(urlEqualTo(PATH))
        .withHeader("Authorization", equalTo(basic))
        .withHeader("Content-Type", matching("multipart/form-data; boundary=postline-[0-9a-f]{32}"))
        .withAnyRequestBodyPart(aMultipart().withName("from").withBody(equalTo("Shop <shop@example.org>")))
        .withAnyRequestBodyPart(aMultipart().withName("subject").withBody(equalTo("Your order"))));
    List<MailgunWire.Part> form = MailgunWire.acceptedForms(wire).get(0);
    String deliveryTime = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US)
        .withZone(ZoneOffset.UTC).format(at);
    assertThat(form.stream().filter(p -> p.fileName() == null).toList())
        .extracting(MailgunWire.Part::name, MailgunWire.Part::text)
        .containsExactly(
            tuple("from", "Shop <shop@example.org>"),
            tuple("to", "Ann <ann@example.org>"),
            tuple("to", "bob@xn--bcher-kva.example"),
            tuple("cc", "\"Doe, Carol\" <carol@example.org>"),
            tuple("bcc", "dave@example.org"),
            tuple("subject", "Your order"),
            tuple("text", "Thanks"),
            tuple("html", "<p>Thanks</p>"),
            tuple("h:Reply-To", "Support <support@example.org>, help@example.org"),
            tuple("h:X-Campaign", "spring"),
            tuple("o:tag", "welcome"),
            tuple("o:tag", "orders"),
            tuple("v:userId", "42"),
            tuple("v:postline_mail_id", "01JMAILID00000000000000001"),
            tuple("o:deliverytime", deliveryTime));
    assertThat(deliveryTime).endsWith("+0000");
    assertThat(form.stream().filter(p -> p.fileName() != null).toList())
        .extracting(MailgunWire.Part::name, MailgunWire.Part::fileName, MailgunWire.Part::contentType,
            p -> List.of(Base64.getEncoder().encodeToString(p.content())))
        .containsExactly(
            tuple("attachment", "report.pdf", "application/pdf", List.of("AQID/w==")),
            tuple("inline", "logo", "image/png", List.of("BAU=")));
  }

  @Test
  void textOnlySendsNoOptionalFields() throws Exception {
    provider.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("Plain").build());

    assertThat(MailgunWire.acceptedForms(wire).get(0)).extracting(MailgunWire.Part::name)
        .containsExactly("from", "to", "subject", "text");
  }

  @Test
  void testModeAddsTheFlag() throws Exception {
    try (MailgunProvider test = MailgunProvider.builder(KEY, "mg.example.org").baseUrl(URI.create(wire.baseUrl()))
        .testMode(true).build()) {
      test.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x").build());
    }

    assertThat(MailgunWire.value(MailgunWire.acceptedForms(wire).get(0), "o:testmode")).contains("yes");
  }

  @Test
  void sendAtInThePastSendsAtOnce() throws Exception {
    provider.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x")
        .sendAt(Instant.now().minus(Duration.ofMinutes(1))).build());

    assertThat(MailgunWire.value(MailgunWire.acceptedForms(wire).get(0), "o:deliverytime")).isEmpty();
  }

  @Test
  void refusesWhatMailgunWouldRefuseBeforeSending() {
    List<Email> refused = List.of(
        Email.builder().from("shop@example.org").bcc("ann@example.org").subject("No to").text("x").build(),
        Email.builder().from("shop@example.org").to("ann@example.org").subject("Later").text("x")
            .sendAt(Instant.now().plus(Duration.ofDays(4))).build(),
        Email.builder().from("shop@example.org").to("ann@example.org").subject("Tag").text("x")
            .tag("größe").build(),
        Email.builder().from("shop@example.org").to("ann@example.org").subject("Vars").text("x")
            .metadata("a", "v".repeat(1000)).metadata("b", "v".repeat(1000)).metadata("c", "v".repeat(1000))
            .metadata("d", "v".repeat(1000)).metadata("e", "v".repeat(1000)).build());
    List<String> features = List.of("To recipient", "scheduling", "tags", "metadata");

    for (int i = 0; i < refused.size(); i++) {
      Email email = refused.get(i);
      assertThatThrownBy(() -> provider.send(email)).isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("provider mg").hasMessageContaining(features.get(i));
    }
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void sendsAfterCloseFailAsProviderUnavailable() {
    provider.close();

    assertThatThrownBy(() -> provider.send(Email.builder().from("shop@example.org").to("ann@example.org")
        .subject("Hi").text("x").build()))
        .isInstanceOfSatisfying(ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE));
    assertThat(wire.getAllServeEvents()).isEmpty();
  }
}
