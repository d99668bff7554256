package io.postline.mail;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class EmailTest {
  private static final Instant SEND_AT = Instant.now().plus(Duration.ofDays(2));

  private static Email.Builder base() {
    return Email.builder()
        .from("Shop <shop@example.org>")
        .to("ann@example.org", "bob@example.org")
        .cc("carol@example.org")
        .bcc("dave@example.org")
        .subject("Secret subject line")
        .text("Secret plain body")
        .html("<p>Secret html body</p>");
  }

  @Nested
  class Accessors {
    @Test
    void recipientsAreToThenCcThenBcc() {
      Email email = Email.builder().from("a@example.org")
          .bcc("bcc@example.org").cc("cc@example.org").to("to@example.org").to("to2@example.org")
          .subject("s").text("t").build();

      assertThat(email.recipients()).extracting(Address::email)
          .containsExactly("to@example.org", "to2@example.org", "cc@example.org", "bcc@example.org");
    }

    @Test
    void defaultsAreEmpty() {
      Email email = Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build();

      assertThat(email.cc()).isEmpty();
      assertThat(email.bcc()).isEmpty();
      assertThat(email.replyTo()).isEmpty();
      assertThat(email.html()).isEmpty();
      assertThat(email.attachments()).isEmpty();
      assertThat(email.headers()).isEmpty();
      assertThat(email.tags()).isEmpty();
      assertThat(email.metadata()).isEmpty();
      assertThat(email.priority()).isEqualTo(Priority.NORMAL);
      assertThat(email.sendAt()).isEmpty();
      assertThat(email.idempotencyKey()).isEmpty();
      assertThat(email.template()).isEmpty();
      assertThat(email.locale()).isEmpty();
      assertThat(email.caller()).isEmpty();
    }

    @Test
    void collectionsAreUnmodifiable() {
      Email email = base().header("X-A", "1").tag("t").metadata("k", "v")
          .attach(Attachment.of("a.txt", new byte[1], "text/plain")).build();

      assertThatThrownBy(() -> email.to().add(Address.of("x@example.org")))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> email.recipients().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> email.headers().put("Bcc", "x@example.org"))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> email.tags().add("x")).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> email.metadata().clear()).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> email.attachments().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void templateModelIsUnmodifiable() {
      Email email = Email.builder().from("a@example.org").to("b@example.org")
          .template("welcome", Map.of("name", "Ann")).build();

      assertThatThrownBy(() -> email.template().orElseThrow().model().put("x", 1))
          .isInstanceOf(UnsupportedOperationException.class);
    }
  }

  @Nested
  class Equality {
    @Test
    void emailsBuiltAlikeAreEqual() {
      Email a = base().sendAt(SEND_AT).build();
      Email b = base().sendAt(SEND_AT).build();

      assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
      assertThat(a).isNotEqualTo(null).isNotEqualTo("an email");
    }

    @Test
    void domainCaseDoesNotMatter() {
      Email a = Email.builder().from("a@example.org").to("b@EXAMPLE.org").subject("s").text("t").build();
      Email b = Email.builder().from("a@Example.Org").to("b@example.org").subject("s").text("t").build();

      assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }

    @Test
    void everyPropertyTakesPart() {
      Email email = base().build();

      assertThat(email)
          .isNotEqualTo(base().from("other@example.org").build())
          .isNotEqualTo(base().to("x@example.org").build())
          .isNotEqualTo(base().cc("x@example.org").build())
          .isNotEqualTo(base().bcc("x@example.org").build())
          .isNotEqualTo(base().replyTo("x@example.org").build())
          .isNotEqualTo(base().subject("other").build())
          .isNotEqualTo(base().text("other").build())
          .isNotEqualTo(base().html("other").build())
          .isNotEqualTo(base().attach(Attachment.of("a", new byte[0], "text/plain")).build())
          .isNotEqualTo(base().header("X-A", "1").build())
          .isNotEqualTo(base().tag("t").build())
          .isNotEqualTo(base().metadata("k", "v").build())
          .isNotEqualTo(base().priority(Priority.LOW).build())
          .isNotEqualTo(base().sendAt(SEND_AT).build())
          .isNotEqualTo(base().idempotencyKey("k").build())
          .isNotEqualTo(base().locale(Locale.ITALIAN).build())
          .isNotEqualTo(base().caller("svc").build());
    }

    @Test
    void recipientOrderMatters() {
      Email ab = Email.builder().from("a@example.org").to("x@example.org", "y@example.org").subject("s").text("t").build();
      Email ba = Email.builder().from("a@example.org").to("y@example.org", "x@example.org").subject("s").text("t").build();

      assertThat(ab).isNotEqualTo(ba);
    }

    @Test
    void templatesCompareByNameAndModel() {
      Email.Builder b = Email.builder().from("a@example.org").to("b@example.org");

      assertThat(b.template("welcome", Map.of("n", 1)).build())
          .isEqualTo(Email.builder().from("a@example.org").to("b@example.org").template("welcome", Map.of("n", 1)).build())
          .isNotEqualTo(Email.builder().from("a@example.org").to("b@example.org").template("welcome", Map.of("n", 2)).build())
          .isNotEqualTo(Email.builder().from("a@example.org").to("b@example.org").template("bye", Map.of("n", 1)).build());
    }
  }

  @Nested
  class Text {
    @Test
    void toStringLeavesOutSubjectBodiesAndFullAddresses() {
      Email email = base()
          .replyTo("replies@example.org")
          .header("X-Campaign", "secret-campaign-value")
          .metadata("userId", "secret-metadata-value")
          .idempotencyKey("secret-idempotency-key")
          .attach(Attachment.of("report.pdf", "secret attachment".getBytes(UTF_8),
              "application/pdf"))
          .build();

      String text = email.toString();

      assertThat(text).doesNotContain(
          "Secret", "ann@", "bob@", "carol", "dave", "shop@", "Shop", "replies",
          "secret-campaign-value", "secret-metadata-value", "secret-idempotency-key", "secret attachment");
      assertThat(text).contains("s***@example.org", "a***@example.org", "b***@example.org",
          "cc=1", "bcc=1", "parts=text+html", "attachments=1", "priority=NORMAL");
    }

    @Test
    void toStringNamesTheTemplateButNotTheModelValues() {
      Email email = Email.builder().from("a@example.org").to("b@example.org")
          .template("welcome", Map.of("name", "Secret Ann", "code", "123456"))
          .tag("onboarding").caller("signup-service").sendAt(SEND_AT).priority(Priority.HIGH)
          .build();

      assertThat(email.toString())
          .contains("template=welcome", "tags=[onboarding]", "caller=signup-service", "sendAt=" + SEND_AT,
              "priority=HIGH")
          .doesNotContain("Secret Ann", "123456", "parts=");
      assertThat(email.template().orElseThrow().toString())
          .contains("welcome", "name", "code")
          .doesNotContain("Secret Ann", "123456");
    }

    @Test
    void toStringNamesTheParts() {
      assertThat(Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build().toString())
          .contains("parts=text").doesNotContain("html");
      assertThat(Email.builder().from("a@example.org").to("b@example.org").subject("s").html("h").build().toString())
          .contains("parts=html");
    }
  }

  @Nested
  class Size {
    @Test
    void growsWithAttachmentsByAboutTheirBase64Size() {
      Email plain = base().build();
      Email withAttachment = base().attach(Attachment.of("big.bin", new byte[300_000], "application/octet-stream")).build();

      long growth = withAttachment.approximateSize() - plain.approximateSize();

      assertThat(growth).isBetween(400_000L, 420_000L);
    }

    @Test
    void growsWithEachAttachment() {
      Email one = base().attach(Attachment.of("a.bin", new byte[1000], "application/octet-stream")).build();
      Email two = one.toBuilder().attach(Attachment.inline("logo", new byte[1000], "image/png")).build();

      assertThat(two.approximateSize()).isGreaterThan(one.approximateSize() + 1000);
    }

    @Test
    void countsBodiesInUtf8Bytes() {
      Email ascii = Email.builder().from("a@example.org").to("b@example.org").subject("s").text("a".repeat(1000)).build();
      Email umlauts = Email.builder().from("a@example.org").to("b@example.org").subject("s").text("ü".repeat(1000)).build();
      Email cjk = Email.builder().from("a@example.org").to("b@example.org").subject("s").text("日".repeat(1000)).build();

      assertThat(umlauts.approximateSize() - ascii.approximateSize()).isEqualTo(1000);
      assertThat(cjk.approximateSize() - ascii.approximateSize()).isEqualTo(2000);
    }

    @Test
    void growsWithRecipientsAndHeaders() {
      Email email = base().build();

      assertThat(base().to("more@example.org").build().approximateSize()).isGreaterThan(email.approximateSize());
      assertThat(base().header("X-Long", "v".repeat(500)).build().approximateSize())
          .isGreaterThan(email.approximateSize() + 500);
    }
  }
}
