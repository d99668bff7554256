package io.postline.mail.sendgrid;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.spi.SendOutcome;
import io.postline.mail.tck.DeliveredMessage;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How sendBatch packs emails into requests of at most 1,000 recipients. */
class SendGridBatchTest {
  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private SendGridProvider provider;

  @BeforeEach
  void setUp() {
    wire.stubFor(post("/v3/mail/send").willReturn(aResponse().withStatus(202).withHeader("X-Message-Id", "batch-id")));
    provider = SendGridProvider.builder("SG.batch.key").name("sg").baseUrl(URI.create(wire.baseUrl())).build();
  }

  @AfterEach
  void tearDown() {
    provider.close();
  }

  @Test
  void chunks2500RecipientsIntoThreeRequests() {
    List<Email> emails = emails(2500, i -> "Same text for everyone");

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    List<JsonNode> bodies = SendGridWire.acceptedBodies(wire);
    assertThat(bodies).extracting(b -> b.path("personalizations").size()).containsExactly(1000, 1000, 500);
    assertThat(bodies).allSatisfy(b -> {
      assertThat(b.path("content").get(0).path("value").asText()).isEqualTo("Same text for everyone");
      assertThat(b.path("personalizations").get(0).has("substitutions")).isFalse();
    });
    assertThat(outcomes).hasSize(2500);
    for (int i = 0; i < 2500; i++) {
      assertThat(outcomes.get(i).email()).isSameAs(emails.get(i));
      assertThat(outcomes.get(i).result()).get()
          .satisfies(r -> assertThat(r.messageId()).isEqualTo("batch-id"));
    }
    List<DeliveredMessage> delivered = SendGridWire.delivered(wire);
    for (int i = 0; i < 2500; i++) {
      assertThat(delivered.get(i).to()).containsExactly(emails.get(i).to().get(0));
      assertThat(delivered.get(i).subject()).isEqualTo("Hello " + i);
    }
  }

  @Test
  void differingBodiesTravelAsSubstitutionsInOneRequest() {
    List<Email> emails = emails(3, i -> "Dear user " + i + ", your code is " + (1000 + i));

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    assertThat(outcomes).allMatch(SendOutcome::isSent);
    List<JsonNode> bodies = SendGridWire.acceptedBodies(wire);
    assertThat(bodies).hasSize(1);
    JsonNode body = bodies.get(0);
    assertThat(body.path("content").get(0).path("value").asText()).isEqualTo("%%postline:text%%");
    assertThat(body.path("personalizations").get(2).path("substitutions").path("%%postline:text%%").asText())
        .isEqualTo("Dear user 2, your code is 1002");
    assertThat(SendGridWire.delivered(wire)).extracting(m -> m.text().orElseThrow())
        .containsExactly("Dear user 0, your code is 1000", "Dear user 1, your code is 1001",
            "Dear user 2, your code is 1002");
  }

  @Test
  void substitutionsStayWithinFiftyThousandBytesPerRequest() {
    // 1,000 short, differing bodies: about 60 KB of substitutions, over SendGrid's 50,000 per request.
    List<Email> emails = emails(1000, i -> "Dear user " + i + ", your one-time code is " + (100_000 + i) + ".");

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    assertThat(outcomes).allMatch(SendOutcome::isSent);
    List<JsonNode> bodies = SendGridWire.acceptedBodies(wire);
    assertThat(bodies).hasSize(2);
    assertThat(bodies).allSatisfy(b -> assertThat(substitutionBytes(b)).isBetween(1L, 50_000L));
    assertThat(bodies.stream().mapToLong(SendGridBatchTest::substitutionBytes).sum()).isGreaterThan(50_000L);
    assertThat(bodies).extracting(b -> b.path("personalizations").size())
        .satisfies(sizes -> assertThat(sizes.get(0) + sizes.get(1)).isEqualTo(1000));
    assertThat(SendGridWire.delivered(wire)).extracting(m -> m.text().orElseThrow())
        .containsExactlyElementsOf(emails.stream().map(e -> e.text().orElseThrow()).toList());
  }

  @Test
  void aBodyTooLargeForASubstitutionGetsARequestOfItsOwn() {
    List<Email> emails = emails(3, i -> i == 1 ? "x".repeat(20_000) : "short " + i);

    assertThat(provider.sendBatch(emails)).allMatch(SendOutcome::isSent);

    List<JsonNode> bodies = SendGridWire.acceptedBodies(wire);
    assertThat(bodies).hasSize(2);
    assertThat(SendGridWire.delivered(wire)).extracting(m -> m.text().orElseThrow().length())
        .containsExactlyInAnyOrder(7, 7, 20_000);
  }

  @Test
  void emailsWithDifferentSendersGoInSeparateRequests() {
    List<Email> emails = List.of(
        Email.builder().from("a@example.org").to("x@example.org").subject("1").text("t").build(),
        Email.builder().from("b@example.org").to("y@example.org").subject("2").text("t").build(),
        Email.builder().from("a@example.org").to("z@example.org").subject("3").text("t").build());

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    assertThat(outcomes).extracting(SendOutcome::email).containsExactlyElementsOf(emails);
    List<JsonNode> bodies = SendGridWire.acceptedBodies(wire);
    assertThat(bodies).extracting(b -> b.path("from").path("email").asText() + ":" + b.path("personalizations").size())
        .containsExactly("a@example.org:2", "b@example.org:1");
  }

  @Test
  void countsEveryRecipientOfAnEmailAgainstTheLimit() {
    List<Email> emails = new ArrayList<>();
    Email.Builder big = Email.builder().from("shop@example.org").to("first@example.org").subject("Big").text("t");
    for (int i = 1; i < 600; i++) {
      big.bcc("b" + i + "@example.org");
    }
    emails.add(big.build());
    emails.addAll(emails(600, i -> "t"));

    assertThat(provider.sendBatch(emails)).allMatch(SendOutcome::isSent);

    List<Integer> recipientsPerRequest = SendGridWire.acceptedBodies(wire).stream().map(b -> {
      int n = 0;
      for (JsonNode p : b.path("personalizations")) {
        n += p.path("to").size() + p.path("cc").size() + p.path("bcc").size();
      }
      return n;
    }).toList();
    assertThat(recipientsPerRequest).containsExactly(1000, 200);
  }

  @Test
  void aFailedRequestFailsOnlyItsOwnEmails() {
    wire.stubFor(post("/v3/mail/send").withRequestBody(containing("\"user1000@example.org\""))
        .willReturn(aResponse().withStatus(503)));
    List<Email> emails = emails(1500, i -> "t");

    List<SendOutcome> outcomes = provider.sendBatch(emails);

    assertThat(outcomes.subList(0, 1000)).allMatch(SendOutcome::isSent);
    assertThat(outcomes.subList(1000, 1500)).allSatisfy(o -> {
      assertThat(o.isSent()).isFalse();
      assertThat(o.failure()).get().satisfies(e -> {
        assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(e.code()).contains("HTTP 503");
      });
    });
  }

  @Test
  void anInvalidEmailStopsTheBatchBeforeAnythingIsSent() {
    List<Email> emails = new ArrayList<>(emails(3, i -> "t"));
    Email.Builder tooMany = Email.builder().from("shop@example.org").to("x@example.org").subject("s").text("t");
    for (int i = 0; i < 11; i++) {
      tooMany.tag("t" + i);
    }
    emails.set(1, tooMany.build());

    assertThatThrownBy(() -> provider.sendBatch(emails)).isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("emails[1]: provider sg: at most 10 tags");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void anEmptyBatchSendsNothing() {
    assertThat(provider.sendBatch(List.of())).isEmpty();
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  /** The UTF-8 bytes of every substitution tag and value in one request body. */
  private static long substitutionBytes(JsonNode body) {
    long bytes = 0;
    for (JsonNode p : body.path("personalizations")) {
      for (Map.Entry<String, JsonNode> s : p.path("substitutions").properties()) {
        bytes += s.getKey().getBytes(StandardCharsets.UTF_8).length
            + s.getValue().asText().getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return bytes;
  }

  private static List<Email> emails(int count, IntFunction<String> text) {
    List<Email> emails = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      emails.add(Email.builder().from("shop@example.org").to(Address.of("user" + i + "@example.org", "User " + i))
          .subject("Hello " + i).text(text.apply(i)).build());
    }
    return emails;
  }
}
