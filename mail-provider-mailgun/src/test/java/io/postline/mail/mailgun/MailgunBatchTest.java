package io.postline.mail.mailgun;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.spi.SendOutcome;
import io.postline.mail.tck.DeliveredMessage;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How sendBatch uses Mailgun batch sending: at most 1,000 recipients per request. */
class MailgunBatchTest {
  private static final String PATH = "/v3/mg.example.org/messages";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private MailgunProvider provider;

  @BeforeEach
  void setUp() {
    wire.stubFor(post(PATH).willReturn(aResponse().withStatus(200).withBody("{\"id\":\"<batch@mg>\",\"message\":\"Queued\"}")));
    provider = MailgunProvider.builder("key-batch", "mg.example.org").name("mg").baseUrl(URI.create(wire.baseUrl())).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  @Test
  void chunks2500RecipientsIntoThreeRequestsWithRecipientVariables() throws Exception {
    List<Email> emails = emails(2500, i -> "Hello", i -> "Same text for everyone");

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    List<List<MailgunWire.Part>> forms = MailgunWire.acceptedForms(wire);
    assertThat(forms).extracting(f -> MailgunWire.values(f, "to").size()).containsExactly(1000, 1000, 500);
    for (List<MailgunWire.Part> form : forms) {
      assertThat(MailgunWire.value(form, "text")).contains("Same text for everyone");
      assertThat(MailgunWire.value(form, "subject")).contains("Hello");
      var variables = new ObjectMapper().readTree(MailgunWire.value(form, "recipient-variables").orElseThrow());
      assertThat(variables.size()).isEqualTo(MailgunWire.values(form, "to").size());
    }
    assertThat(outcomes).hasSize(2500);
    for (int i = 0; i < 2500; i++) {
      assertThat(outcomes.get(i).email()).isSameAs(emails.get(i));
      assertThat(outcomes.get(i).result()).get().satisfies(r -> assertThat(r.messageId()).isEqualTo("<batch@mg>"));
    }
    List<DeliveredMessage> delivered = MailgunWire.delivered(wire);
    assertThat(delivered).hasSize(2500);
    for (int i = 0; i < 2500; i++) {
      assertThat(delivered.get(i).to()).containsExactly(emails.get(i).to().get(0));
    }
  }

  @Test
  void differingSubjectsAndBodiesTravelAsRecipientVariables() {
    List<Email> emails = emails(3, i -> "Code " + i, i -> "Dear user " + i + ", 100% yours");

    assertThat(provider.sendBatch(emails)).allMatch(SendOutcome::isSent);

    List<List<MailgunWire.Part>> forms = MailgunWire.acceptedForms(wire);
    assertThat(forms).hasSize(1);
    assertThat(MailgunWire.value(forms.get(0), "subject")).contains("%recipient.postline_subject%");
    assertThat(MailgunWire.value(forms.get(0), "text")).contains("%recipient.postline_text%");
    assertThat(MailgunWire.delivered(wire)).extracting(DeliveredMessage::subject, m -> m.text().orElseThrow())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("Code 0", "Dear user 0, 100% yours"),
            org.assertj.core.groups.Tuple.tuple("Code 1", "Dear user 1, 100% yours"),
            org.assertj.core.groups.Tuple.tuple("Code 2", "Dear user 2, 100% yours"));
  }

  @Test
  void eachMessageOfABatchKeepsItsOwnMailIdInItsUserVariables() {
    List<Email> emails = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      emails.add(Email.builder().from("shop@example.org").to("user" + i + "@example.org").subject("s").text("t")
          .metadata("campaign", "spring").metadata("postline_mail_id", "01MAILID" + i).build());
    }

    assertThat(provider.sendBatch(emails)).allMatch(SendOutcome::isSent);

    List<List<MailgunWire.Part>> forms = MailgunWire.acceptedForms(wire);
    assertThat(forms).as("one request still: only the values differ").hasSize(1);
    assertThat(MailgunWire.value(forms.get(0), "v:campaign")).contains("spring");
    assertThat(MailgunWire.value(forms.get(0), "v:postline_mail_id")).contains("%recipient.v:postline_mail_id%");
    assertThat(MailgunWire.delivered(wire)).extracting(m -> m.metadata().get("postline_mail_id"), m -> m.metadata()
        .get("campaign")).containsExactly(
            org.assertj.core.groups.Tuple.tuple("01MAILID0", "spring"),
            org.assertj.core.groups.Tuple.tuple("01MAILID1", "spring"),
            org.assertj.core.groups.Tuple.tuple("01MAILID2", "spring"));
  }

  @Test
  void emailsThatCannotBeBatchedAreSentOnTheirOwn() {
    List<Email> emails = List.of(
        Email.builder().from("shop@example.org").to("a@example.org").cc("c@example.org").subject("cc").text("t").build(),
        Email.builder().from("shop@example.org").to("b@example.org").subject("s").text("t").build(),
        Email.builder().from("shop@example.org").to("d@example.org").subject("s").text("about %recipient.x%").build(),
        Email.builder().from("shop@example.org").to("e@example.org").subject("s").text("t").build());

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    assertThat(outcomes).extracting(SendOutcome::email).containsExactlyElementsOf(emails);
    List<List<MailgunWire.Part>> forms = MailgunWire.acceptedForms(wire);
    assertThat(forms).extracting(f -> MailgunWire.values(f, "to") + " " + MailgunWire.value(f, "recipient-variables").isPresent())
        .containsExactly("[a@example.org] false", "[d@example.org] false", "[b@example.org, e@example.org] true");
  }

  @Test
  void theSameAddressTwiceGoesIntoSeparateRequests() {
    List<Email> emails = List.of(
        Email.builder().from("shop@example.org").to("a@example.org").subject("1").text("t").build(),
        Email.builder().from("shop@example.org").to("A@example.org").subject("2").text("t").build());

    assertThat(provider.sendBatch(emails)).allMatch(SendOutcome::isSent);

    assertThat(MailgunWire.acceptedForms(wire)).hasSize(2);
  }

  @Test
  void aFailedRequestFailsOnlyItsOwnEmails() {
    wire.stubFor(post(PATH).withRequestBody(containing("user1000@example.org")).willReturn(aResponse().withStatus(500)));
    List<Email> emails = emails(1500, i -> "s", i -> "t");

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    assertThat(outcomes.subList(0, 1000)).allMatch(SendOutcome::isSent);
    assertThat(outcomes.subList(1000, 1500)).allSatisfy(o -> assertThat(o.failure()).get()
        .satisfies(e -> assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT)));
  }

  @Test
  void anInvalidEmailStopsTheBatchBeforeAnythingIsSent() {
    List<Email> emails = new ArrayList<>(emails(3, i -> "s", i -> "t"));
    emails.set(2, Email.builder().from("shop@example.org").to("x@example.org").subject("s").text("t")
        .tag("a").tag("b").tag("c").tag("d").build());

    assertThatThrownBy(() -> provider.sendBatch(emails)).isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("emails[2]: provider mg: at most 3 tags");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  private static List<Email> emails(int count, IntFunction<String> subject, IntFunction<String> text) {
    List<Email> emails = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      emails.add(Email.builder().from("shop@example.org").to(Address.of("user" + i + "@example.org", "User " + i))
          .subject(subject.apply(i)).text(text.apply(i)).build());
    }
    return emails;
  }
}
