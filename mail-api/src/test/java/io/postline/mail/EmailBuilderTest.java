package io.postline.mail;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EmailBuilderTest {

  /** A builder that builds; each test breaks one thing. */
  private static Email.Builder valid() {
    return Email.builder()
        .from("shop@example.org")
        .to("ann@example.org")
        .subject("Your order")
        .text("It ships today.");
  }

  private static List<String> problems(Email.Builder builder) {
    InvalidEmailException e = catchThrowableOfType(InvalidEmailException.class, builder::build);
    assertThat(e).as("build() should have thrown an InvalidEmailException").isNotNull();
    return e.problems();
  }

  @Test
  void theValidBuilderBuilds() {
    assertThatCode(() -> valid().build()).doesNotThrowAnyException();
  }

  @Nested
  class Sender {
    @Test
    void noSender() {
      assertThat(problems(Email.builder().to("ann@example.org").subject("s").text("t")))
          .containsExactly("from is missing");
    }

    @Test
    void badSenderNamesTheField() {
      assertThat(problems(valid().from("not an address")))
          .singleElement().asString().startsWith("from: ");
    }

    @Test
    void nullSender() {
      assertThat(problems(valid().from((String) null))).containsExactly("from: address is null");
      assertThat(problems(valid().from((Address) null))).containsExactly("from: address is null");
    }

    @Test
    void aSecondFromReplacesTheFirstAndItsProblem() {
      Email email = valid().from("bad").from("Shop <shop@example.org>").build();

      assertThat(email.from()).isEqualTo(Address.of("shop@example.org", "Shop"));
    }

    @Test
    void aBadSecondFromReplacesAGoodFirst() {
      assertThat(problems(valid().from("shop@example.org").from("still bad")))
          .containsExactly("from: address has no '@'");
    }

    @Test
    void onlyTheLastBadFromIsReported() {
      assertThat(problems(valid().from("first bad").from("second@@bad")))
          .singleElement().asString().startsWith("from: ").doesNotContain("no '@'");
    }

    @Test
    void fromAddressReplacesABadString() {
      assertThat(valid().from("bad").from(Address.of("x@example.org")).build().from())
          .isEqualTo(Address.of("x@example.org"));
    }

    @Test
    void fromAcceptsNameAndAngleBrackets() {
      assertThat(valid().from("\"Shop, Inc.\" <shop@example.org>").build().from().name())
          .contains("Shop, Inc.");
    }
  }

  @Nested
  class Recipients {
    @Test
    void aGroupEmailNeedsNoRecipientOfItsOwn() {
      Email group = Email.builder().from("shop@example.org").subject("s").text("t").build();
      assertThat(group.recipients()).as("sendBatch gives each recipient a copy; send refuses it").isEmpty();
    }

    @Test
    void forRecipientMakesOneCopyWithTheRecipientsValuesAndKey() {
      Email group = Email.builder().from("shop@example.org").cc("boss@example.org")
          .template("welcome", Map.of("name", "you", "plan", "Pro")).idempotencyKey("welcome-7").build();
      Email copy = group.forRecipient(Recipient.of("ann@example.org", Map.of("name", "Ann")));
      assertThat(copy.to()).containsExactly(Address.of("ann@example.org"));
      assertThat(copy.cc()).isEmpty();
      assertThat(copy.recipients()).containsExactly(Address.of("ann@example.org"));
      assertThat(copy.template().orElseThrow().model()).containsEntry("name", "Ann").containsEntry("plan", "Pro");
      assertThat(copy.idempotencyKey()).contains("welcome-7/ann@example.org");
      assertThat(copy.from()).isEqualTo(group.from());
    }

    @Test
    void forRecipientRefusesValuesWithoutATemplate() {
      Email group = Email.builder().from("shop@example.org").subject("s").text("t").build();
      assertThatThrownBy(() -> group.forRecipient(Recipient.of("ann@example.org", Map.of("name", "Ann"))))
          .isInstanceOf(InvalidEmailException.class).hasMessageContaining("has template values but the email has no template");
      assertThat(group.forRecipient(Recipient.of("ann@example.org")).text()).contains("t");
    }

    @Test
    void withoutRecipientsDropsThemFromToCcAndBccAndKeepsTheRest() {
      Email email = Email.builder().from("shop@example.org").to("ann@example.org", "bob@example.org")
          .cc("carol@example.org").bcc("dan@example.org").subject("s").text("t").metadata("k", "v").build();
      Email fewer = email.withoutRecipients(List.of(Address.of("bob@example.org"), Address.of("dan@example.org")));
      assertThat(fewer.to()).containsExactly(Address.of("ann@example.org"));
      assertThat(fewer.cc()).containsExactly(Address.of("carol@example.org"));
      assertThat(fewer.bcc()).isEmpty();
      assertThat(fewer.recipients()).containsExactly(Address.of("ann@example.org"), Address.of("carol@example.org"));
      assertThat(fewer.metadata()).containsEntry("k", "v");
      assertThat(email.withoutRecipients(List.of(Address.of("zed@example.org")))).isSameAs(email);
      assertThat(email.withoutRecipients(email.recipients()).recipients()).isEmpty();
    }

    @Test
    void withMetadataSetsOneEntryCheckedLikeTheBuilder() {
      Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t")
          .metadata("postline_mail_id", "mine").metadata("k", "v").build();
      Email stamped = email.withMetadata("postline_mail_id", "01J0000000000000000000000A");
      assertThat(stamped.metadata()).containsEntry("postline_mail_id", "01J0000000000000000000000A")
          .containsEntry("k", "v").hasSize(2);
      assertThat(email.metadata()).containsEntry("postline_mail_id", "mine");
      assertThat(stamped.withMetadata("k", "v")).isSameAs(stamped);
      assertThatThrownBy(() -> email.withMetadata("bad key", "v")).isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("metadata key");
      assertThatThrownBy(() -> email.withMetadata("k", "two\nlines")).isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("one line");
    }

    @Test
    void withContentChecksOnlyTheRenderedContent() {
      Email templated = Email.builder().from("shop@example.org").to("ann@example.org")
          .template("welcome", Map.of()).build();
      Email rendered = templated.withContent("Hello", "text", null);
      assertThat(rendered.template()).isEmpty();
      assertThat(rendered.subject()).contains("Hello");
      assertThat(rendered.to()).isEqualTo(templated.to());
      assertThatThrownBy(() -> templated.withContent("a\nb", null, null))
          .isInstanceOfSatisfying(InvalidEmailException.class, e -> assertThat(e.problems())
              .containsExactly("no content: set text, html or a template", "subject contains a line break"));
    }

    @Test
    void ccOrBccAloneIsEnough() {
      assertThat(Email.builder().from("a@example.org").cc("c@example.org").subject("s").text("t").build().cc())
          .containsExactly(Address.of("c@example.org"));
      assertThat(Email.builder().from("a@example.org").bcc("b@example.org").subject("s").text("t").build().bcc())
          .containsExactly(Address.of("b@example.org"));
    }

    @Test
    void aReplyToIsNotARecipient() {
      assertThat(Email.builder().from("a@example.org").replyTo("r@example.org").subject("s").text("t").build()
          .recipients()).isEmpty();
    }

    @Test
    void aBadReplyToIsAProblem() {
      assertThat(problems(Email.builder().from("a@example.org").replyTo("bad").subject("s").text("t")))
          .containsExactly("replyTo[0]: address has no '@'");
    }

    @Test
    void aBadRecipientIsReportedInsteadOfNoRecipient() {
      assertThat(problems(Email.builder().from("a@example.org").to("bad").subject("s").text("t")))
          .containsExactly("to[0]: address has no '@'");
    }

    @Test
    void badAddressesNameTheirFieldAndIndex() {
      Email.Builder b = valid()
          .to("second@example.org", "bad one", "fourth@example.org", "bad two")
          .cc("bad three")
          .bcc("b@example.org", "b@@example.org")
          .replyTo("r@example.org", "r@example..org");

      assertThat(problems(b)).containsExactly(
          "to[2]: address has no '@'",
          "to[4]: address has no '@'",
          "cc[0]: address has no '@'",
          "bcc[1]: address has a character not allowed in a local part (quote it)",
          "replyTo[1]: address has a domain that is not a valid host name");
    }

    @Test
    void indexesCountAcrossCalls() {
      Email.Builder b = valid().to("b@example.org").to("bad").to((String) null);

      assertThat(problems(b)).containsExactly("to[2]: address has no '@'", "to[3]: address is null");
    }

    @Test
    void nullAddressesInEveryForm() {
      Email.Builder b = valid()
          .to((String) null)
          .cc((Address) null)
          .bcc(Arrays.asList(Address.of("b@example.org"), null))
          .to((String[]) null)
          .replyTo((Address[]) null);

      assertThat(problems(b)).containsExactlyInAnyOrder(
          "to[1]: address is null",
          "cc[0]: address is null",
          "bcc[1]: address is null",
          "to: addresses are null",
          "replyTo: addresses are null");
    }

    @Test
    void headerInjectionThroughAnAddressIsRefused() {
      assertThat(problems(valid().to("ann@example.org\r\nBcc: eve@example.org")))
          .containsExactly("to[1]: address contains a line break");
      assertThat(problems(valid().cc("Ann\r\nBcc: eve@example.org <ann@example.org>")))
          .containsExactly("cc[0]: address contains a line break");
    }

    @Test
    void aControlCharacterInADisplayNameIsRefused() {
      assertThat(problems(valid().to("\"Ann\u0000\" <x@example.org>")))
          .containsExactly("to[1]: display name contains a control character");
    }

    @Test
    void addressesAreAddedInOrderAcrossForms() {
      Email email = valid()
          .to(Address.of("b@example.org"))
          .to(List.of(Address.of("c@example.org")))
          .to("D <d@example.org>")
          .cc(Address.of("cc@example.org"))
          .cc(List.of(Address.of("cc2@example.org")))
          .bcc(Address.of("bcc@example.org"))
          .bcc(List.of(Address.of("bcc2@example.org")))
          .replyTo("r@example.org")
          .replyTo(Address.of("r2@example.org"))
          .build();

      assertThat(email.to()).extracting(Address::email)
          .containsExactly("ann@example.org", "b@example.org", "c@example.org", "d@example.org");
      assertThat(email.cc()).extracting(Address::email).containsExactly("cc@example.org", "cc2@example.org");
      assertThat(email.bcc()).extracting(Address::email).containsExactly("bcc@example.org", "bcc2@example.org");
      assertThat(email.replyTo()).extracting(Address::email).containsExactly("r@example.org", "r2@example.org");
    }

    @Test
    void clearRecipientsRemovesToCcAndBccButNotReplyTo() {
      Email email = valid()
          .cc("c@example.org").bcc("b@example.org").replyTo("r@example.org")
          .clearRecipients()
          .to("only@example.org")
          .build();

      assertThat(email.recipients()).containsExactly(Address.of("only@example.org"));
      assertThat(email.replyTo()).containsExactly(Address.of("r@example.org"));
    }

    @Test
    void clearRecipientsAloneLeavesNoRecipient() {
      assertThat(valid().clearRecipients().build().recipients()).isEmpty();
    }

    @Test
    void clearRecipientsDropsTheProblemsOfTheRemovedAddresses() {
      Email email = valid().to("bad").cc((String) null).clearRecipients().to("new@example.org").build();

      assertThat(email.to()).containsExactly(Address.of("new@example.org"));
    }

    @Test
    void clearRecipientsRestartsTheIndexes() {
      assertThat(problems(valid().to("x@example.org", "bad").clearRecipients().to("y@example.org", "bad")))
          .containsExactly("to[1]: address has no '@'");
    }

    @Test
    void clearRecipientsKeepsReplyToProblems() {
      assertThat(problems(valid().replyTo("bad").clearRecipients().to("y@example.org")))
          .containsExactly("replyTo[0]: address has no '@'");
    }

    @Test
    void theSameAddressMayBeGivenTwice() {
      assertThat(valid().to("ann@example.org").build().to()).hasSize(2);
    }
  }

  @Nested
  class Content {
    @Test
    void neitherBodyNorTemplate() {
      assertThat(problems(Email.builder().from("a@example.org").to("b@example.org").subject("s")))
          .containsExactly("no content: set text, html or a template");
    }

    @Test
    void emptyBodiesAreNoContent() {
      assertThat(problems(valid().text("").html("")))
          .containsExactly("no content: set text, html or a template");
    }

    @Test
    void htmlAloneIsContent() {
      Email email = Email.builder().from("a@example.org").to("b@example.org").subject("s").html("<p>x</p>").build();

      assertThat(email.html()).contains("<p>x</p>");
      assertThat(email.text()).isEmpty();
    }

    @Test
    void textAndHtmlTogether() {
      Email email = valid().html("<p>It ships today.</p>").build();

      assertThat(email.text()).contains("It ships today.");
      assertThat(email.html()).contains("<p>It ships today.</p>");
    }

    @Test
    void missingSubject() {
      assertThat(problems(Email.builder().from("a@example.org").to("b@example.org").text("t")))
          .containsExactly("subject is missing");
    }

    @Test
    void emptySubjectIsAllowed() {
      assertThat(valid().subject("").build().subject()).contains("");
    }

    @Test
    void nullSubjectTextAndHtmlAreReported() {
      assertThat(problems(valid().subject(null))).containsExactly("subject is null");
      assertThat(problems(valid().text(null))).containsExactly("text is null", "no content: set text, html or a template");
      assertThat(problems(valid().html(null))).containsExactly("html is null");
    }

    @Test
    void aLaterValueReplacesANullAndItsProblem() {
      Email email = valid().subject(null).subject("Again").text(null).text("Body").html(null).html("<b>x</b>").build();

      assertThat(email.subject()).contains("Again");
      assertThat(email.text()).contains("Body");
      assertThat(email.html()).contains("<b>x</b>");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Hi\r\nBcc: eve@example.org", "Hi\nthere", "Hi\rthere", "Hi\u0085there", "Hi\u2028there", "Hi\u2029there"
    })
    void lineBreaksInTheSubject(String subject) {
      assertThat(problems(valid().subject(subject))).containsExactly("subject contains a line break");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hi\u0000", "Hi\u0007", "Hi\u001b[2J", "Hi\u007f", "Hi\u0090", "Hi \uD800"})
    void controlCharactersInTheSubject(String subject) {
      assertThat(problems(valid().subject(subject))).containsExactly("subject contains a control character");
    }

    @Test
    void subjectsMayHoldTabsAndAnyScript() {
      String subject = "Bestellung\tüber 10 € — 注文 😀";

      assertThat(valid().subject(subject).build().subject()).contains(subject);
    }

    @Test
    void subjectLength() {
      assertThat(valid().subject("s".repeat(998)).build().subject()).hasValueSatisfying(s -> assertThat(s).hasSize(998));
      assertThat(problems(valid().subject("s".repeat(999)))).containsExactly("subject is longer than 998 characters");
    }

    @Test
    void bodiesMayHoldLineBreaksAndControlCharacters() {
      String text = "line one\r\nline two\n\u0000\u001b";

      assertThat(valid().text(text).build().text()).contains(text);
    }
  }

  @Nested
  class Templates {
    private Email.Builder templated() {
      return Email.builder().from("a@example.org").to("b@example.org")
          .template("welcome", Map.of("name", "Ann"));
    }

    @Test
    void aTemplateNeedsNoSubjectOrBody() {
      Email email = templated().locale(Locale.GERMAN).build();

      assertThat(email.template()).hasValueSatisfying(t -> {
        assertThat(t.name()).isEqualTo("welcome");
        assertThat(t.model()).containsExactly(Map.entry("name", "Ann"));
      });
      assertThat(email.subject()).isEmpty();
      assertThat(email.text()).isEmpty();
      assertThat(email.locale()).contains(Locale.GERMAN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"welcome", "billing/invoice", "a_b-c/D9", "x"})
    void acceptsTemplateNames(String name) {
      assertThat(Email.builder().from("a@example.org").to("b@example.org").template(name, Map.of()).build().template())
          .hasValueSatisfying(t -> assertThat(t.name()).isEqualTo(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../secret", "a/../b", "/abs", "a/", "a//b", "we lcome", "welcome.html", "a\\b", "wëlcome"})
    void rejectsTemplateNames(String name) {
      assertThat(problems(Email.builder().from("a@example.org").to("b@example.org").template(name, Map.of())))
          .contains("template name must be letters, digits, '_' or '-', in '/'-separated segments");
    }

    @Test
    void templatePlusSubjectOrBody() {
      String both = "set either a template or subject/text/html, not both";
      assertThat(problems(templated().subject("Hi"))).containsExactly(both);
      assertThat(problems(templated().text("Hi"))).containsExactly(both);
      assertThat(problems(templated().html(""))).containsExactly(both);
    }

    @Test
    void nullModelAndNullValues() {
      Map<String, Object> withNull = new HashMap<>();
      withNull.put("name", null);

      assertThat(problems(templated().template("welcome", null))).containsExactly("template welcome: model is null");
      assertThat(problems(templated().template("welcome", withNull)))
          .containsExactly("template welcome: model has a null key or value");
      assertThat(problems(templated().template(null, Map.of())))
          .containsExactly("template name must be letters, digits, '_' or '-', in '/'-separated segments");
    }

    @Test
    void theModelIsCopied() {
      Map<String, Object> model = new HashMap<>(Map.of("name", "Ann"));
      Email email = Email.builder().from("a@example.org").to("b@example.org").template("welcome", model).build();

      model.put("name", "Eve");

      assertThat(email.template().orElseThrow().model()).containsEntry("name", "Ann");
    }

    @Test
    void clearTemplateThenSubjectAndBody() {
      Email email = templated().clearTemplate().subject("Rendered").html("<p>Hi Ann</p>").build();

      assertThat(email.template()).isEmpty();
      assertThat(email.subject()).contains("Rendered");
    }

    @Test
    void clearTemplateDropsTheTemplateProblem() {
      Email email = valid().template("../bad", Map.of()).clearTemplate().build();

      assertThat(email.template()).isEmpty();
    }

    @Test
    void aGoodTemplateReplacesABadOne() {
      Email email = templated().template("../bad", null).template("welcome", Map.of()).build();

      assertThat(email.template()).isPresent();
    }
  }

  @Nested
  class Headers {
    @Test
    void customHeadersKeepTheirOrder() {
      Email email = valid().header("X-Campaign", "spring").header("List-Unsubscribe", "<mailto:u@example.org>")
          .header("X-Empty", "").build();

      assertThat(email.headers()).containsExactly(
          Map.entry("X-Campaign", "spring"),
          Map.entry("List-Unsubscribe", "<mailto:u@example.org>"),
          Map.entry("X-Empty", ""));
    }

    @Test
    void duplicateHeadersAreCaseInsensitive() {
      assertThat(problems(valid().header("X-Campaign", "a").header("x-campaign", "b")))
          .containsExactly("header x-campaign is set twice");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "From", "to", "CC", "Bcc", "BCC", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
        "Content-Type", "content-transfer-encoding", "Content-Disposition", "Content-ID", "Sender",
        "Return-Path", "Received"
    })
    void reservedHeadersAreRefused(String name) {
      assertThat(problems(valid().header(name, "x")))
          .containsExactly("header " + name + " is set by Postline; use the builder's method for it");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "X Campaign", "X-Campaign:", "X:Y", "X-Ümlaut", "X-Tab\t", "X-\r\nBcc"})
    void badHeaderNames(String name) {
      assertThat(problems(valid().header(name, "x")))
          .containsExactly("header name is not 1 to 76 printable ASCII characters without ':' or space");
    }

    @Test
    void headerNameLength() {
      assertThat(valid().header("X-" + "a".repeat(74), "x").build().headers()).hasSize(1);
      assertThat(problems(valid().header("X-" + "a".repeat(75), "x"))).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring\r\nBcc: eve@example.org", "a\nb", "a\rb", "a\u2028b", "a\u0085b"})
    void lineBreaksInHeaderValues(String value) {
      assertThat(problems(valid().header("X-Campaign", value)))
          .containsExactly("header X-Campaign value contains a line break");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "a\u001bb", "a\u007fb", "a\uDFFFb"})
    void controlCharactersInHeaderValues(String value) {
      assertThat(problems(valid().header("X-Campaign", value)))
          .containsExactly("header X-Campaign value contains a control character");
    }

    @Test
    void headerValueLength() {
      assertThat(valid().header("X-Long", "v".repeat(998)).build().headers()).hasSize(1);
      assertThat(problems(valid().header("X-Long", "v".repeat(999))))
          .containsExactly("header X-Long value is longer than 998 characters");
    }

    @Test
    void nullHeaderNameOrValue() {
      assertThat(problems(valid().header(null, "x").header("X-A", null)))
          .containsExactly("header: name and value must not be null", "header: name and value must not be null");
    }
  }

  @Nested
  class Attachments {
    @Test
    void attachmentsKeepTheirOrder() {
      Attachment pdf = Attachment.of("report.pdf", new byte[] {1}, "application/pdf");
      Attachment logo = Attachment.inline("logo", new byte[] {2}, "image/png");

      assertThat(valid().attach(pdf).attach(logo).build().attachments()).containsExactly(pdf, logo);
    }

    @Test
    void nullAttachment() {
      assertThat(problems(valid().attach(null))).containsExactly("attachment is null");
    }

    @Test
    void duplicateInlineContentIds() {
      Email.Builder b = valid()
          .attach(Attachment.inline("logo", new byte[] {1}, "image/png"))
          .attach(Attachment.inline("logo", "other.png", new byte[] {2}, "image/png"))
          .attach(Attachment.inline("logo", "third.png", new byte[] {3}, "image/png"));

      assertThat(problems(b)).containsExactly(
          "inline content id logo is used twice", "inline content id logo is used twice");
    }

    @Test
    void regularAttachmentsMayShareAFileName() {
      Email email = valid()
          .attach(Attachment.of("a.txt", new byte[] {1}, "text/plain"))
          .attach(Attachment.of("a.txt", new byte[] {2}, "text/plain"))
          .build();

      assertThat(email.attachments()).hasSize(2);
    }
  }

  @Nested
  class Schedule {
    @Test
    void sendAtIsKeptAsGivenTheMailerChecksItAgainstItsClock() {
      Instant ahead = Instant.now().plus(Duration.ofDays(365));
      Instant far = Instant.MAX;

      assertThat(valid().sendAt(ahead).build().sendAt()).contains(ahead);
      assertThat(valid().sendAt(far).build().sendAt()).as("building reads no clock").contains(far);
      assertThat(valid().sendAt(Instant.EPOCH).build().sendAt()).contains(Instant.EPOCH);
    }

    @Test
    void nullSendAtMeansNow() {
      assertThat(valid().sendAt(Instant.now()).sendAt(null).build().sendAt()).isEmpty();
    }

    @Test
    void priorityDefaultsToNormal() {
      assertThat(valid().build().priority()).isEqualTo(Priority.NORMAL);
      assertThat(valid().priority(Priority.HIGH).build().priority()).isEqualTo(Priority.HIGH);
    }

    @Test
    void nullPriority() {
      assertThat(problems(valid().priority(null))).containsExactly("priority is null");
      assertThat(valid().priority(null).priority(Priority.LOW).build().priority()).isEqualTo(Priority.LOW);
    }
  }

  @Nested
  class DeliveryHints {
    @Test
    void tagsKeepOrderAndCollapseDuplicates() {
      assertThat(valid().tag("welcome").tag("onboarding").tag("welcome").build().tags())
          .containsExactly("welcome", "onboarding");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t"})
    void blankTags(String tag) {
      assertThat(problems(valid().tag(tag))).containsExactly("tag is null or blank");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\r\nb", "a\u0000", "a\u2028b", "a\uD800"})
    void tagsMustBeOneLine(String tag) {
      assertThat(problems(valid().tag(tag))).containsExactly("tag must be one line of at most 256 characters");
    }

    @Test
    void tagLength() {
      assertThat(valid().tag("t".repeat(256)).build().tags()).hasSize(1);
      assertThat(problems(valid().tag("t".repeat(257)))).containsExactly("tag must be one line of at most 256 characters");
      assertThat(problems(valid().tag(null))).containsExactly("tag is null or blank");
    }

    @Test
    void metadataKeepsOrder() {
      assertThat(valid().metadata("userId", "42").metadata("order.id", "A-1").metadata("x_y-z", "").build().metadata())
          .containsExactly(Map.entry("userId", "42"), Map.entry("order.id", "A-1"), Map.entry("x_y-z", ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "user id", "user:id", "ключ", "a/b"})
    void badMetadataKeys(String key) {
      assertThat(problems(valid().metadata(key, "v")))
          .containsExactly("metadata key must be 1 to 128 letters, digits, '_', '.' or '-'");
    }

    @Test
    void metadataKeyLengthAndNull() {
      assertThat(valid().metadata("k".repeat(128), "v").build().metadata()).hasSize(1);
      assertThat(problems(valid().metadata("k".repeat(129), "v"))).hasSize(1);
      assertThat(problems(valid().metadata(null, "v"))).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\r\nb", "a\u0000", "a\u2029"})
    void badMetadataValues(String value) {
      assertThat(problems(valid().metadata("userId", value)))
          .containsExactly("metadata userId: value must be one line of at most 1024 characters");
    }

    @Test
    void metadataValueLengthAndNull() {
      assertThat(valid().metadata("k", "v".repeat(1024)).build().metadata()).hasSize(1);
      assertThat(problems(valid().metadata("k", "v".repeat(1025)))).hasSize(1);
      assertThat(problems(valid().metadata("k", null)))
          .containsExactly("metadata k: value must be one line of at most 1024 characters");
    }

    @Test
    void duplicateMetadataKey() {
      assertThat(problems(valid().metadata("userId", "1").metadata("userId", "2")))
          .containsExactly("metadata userId is set twice");
    }

    @Test
    void idempotencyKeyAndCaller() {
      Email email = valid().idempotencyKey("welcome-42").caller("billing-service").build();

      assertThat(email.idempotencyKey()).contains("welcome-42");
      assertThat(email.caller()).contains("billing-service");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void blankIdempotencyKeyAndCaller(String value) {
      assertThat(problems(valid().idempotencyKey(value))).containsExactly("idempotencyKey is null or blank");
      assertThat(problems(valid().caller(value))).containsExactly("caller is null or blank");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\r\nb", "a\u0000b", "a\u0085b"})
    void idempotencyKeyAndCallerMustBeOneLine(String value) {
      assertThat(problems(valid().idempotencyKey(value)))
          .containsExactly("idempotencyKey must be one line of at most 256 characters");
      assertThat(problems(valid().caller(value))).containsExactly("caller must be one line of at most 256 characters");
    }

    @Test
    void idempotencyKeyAndCallerLength() {
      assertThat(valid().idempotencyKey("k".repeat(256)).caller("c".repeat(256)).build().caller()).isPresent();
      assertThat(problems(valid().idempotencyKey("k".repeat(257)).caller("c".repeat(257)))).hasSize(2);
      assertThat(problems(valid().idempotencyKey(null).caller(null)))
          .containsExactly("idempotencyKey is null or blank", "caller is null or blank");
    }

    @Test
    void aLaterGoodValueReplacesABadOne() {
      Email email = valid().idempotencyKey(null).idempotencyKey("k-1").caller("a\nb").caller("svc").build();

      assertThat(email.idempotencyKey()).contains("k-1");
      assertThat(email.caller()).contains("svc");
    }

    @Test
    void nullLocaleMeansNone() {
      assertThat(valid().locale(Locale.FRENCH).locale(null).build().locale()).isEmpty();
    }
  }

  @Nested
  class EveryProblemAtOnce {
    @Test
    void reportsEachProblemOnce() {
      Email.Builder b = Email.builder()
          .to("bad", "ann@example.org")
          .cc("eve@example.org\r\nBcc: x@example.org")
          .subject("Hi\r\nBcc: eve@example.org")
          .header("Bcc", "eve@example.org")
          .header("X-A", "1").header("x-a", "2")
          .header("X-B", "a\nb")
          .tag(" ")
          .metadata("bad key", "v")
          .idempotencyKey("")
          .caller("a\nb")
          .attach(null)
          .attach(Attachment.inline("logo", new byte[1], "image/png"))
          .attach(Attachment.inline("logo", new byte[1], "image/png"))
          .priority(null);

      assertThat(problems(b)).containsExactlyInAnyOrder(
          "from is missing",
          "to[0]: address has no '@'",
          "cc[0]: address contains a line break",
          "subject contains a line break",
          "no content: set text, html or a template",
          "header Bcc is set by Postline; use the builder's method for it",
          "header x-a is set twice",
          "header X-B value contains a line break",
          "tag is null or blank",
          "metadata key must be 1 to 128 letters, digits, '_', '.' or '-'",
          "idempotencyKey is null or blank",
          "caller must be one line of at most 256 characters",
          "attachment is null",
          "inline content id logo is used twice",
          "priority is null");
    }

    @Test
    void theSenderProblemComesFirst() {
      assertThat(problems(Email.builder().subject("s")).get(0)).isEqualTo("from is missing");
    }

    @Test
    void theMessageListsEveryProblem() {
      InvalidEmailException e = catchThrowableOfType(InvalidEmailException.class, () -> Email.builder().build());

      assertThat(e.problems()).hasSize(3);
      assertThat(e).hasMessageStartingWith("Invalid email, 3 problems: ")
          .hasMessageContaining("from is missing")
          .hasMessageContaining("no content")
          .hasMessageContaining("subject is missing");
    }

    @Test
    void problemMessagesDoNotEchoBodiesOrHeaderValues() {
      InvalidEmailException e = catchThrowableOfType(InvalidEmailException.class, () -> valid()
          .subject("TOPSECRET subject\r\n")
          .header("X-Token", "TOPSECRET\n")
          .metadata("k", "TOPSECRET\n")
          .build());

      assertThat(e).hasMessageNotContaining("TOPSECRET");
    }

    @Test
    void buildIsRepeatableAndTheBuilderStaysUsable() {
      Email.Builder b = valid().to("bad");
      List<String> first = problems(b);

      assertThat(problems(b)).isEqualTo(first);
      assertThat(b.clearRecipients().to("x@example.org").build().to()).hasSize(1);
    }
  }

  @Nested
  class ToBuilder {
    private Email full() {
      return Email.builder()
          .from("Shop <shop@example.org>")
          .to("ann@example.org", "bob@example.org").cc("cc@example.org").bcc("bcc@example.org")
          .replyTo("help@example.org")
          .subject("Your order").text("plain").html("<p>html</p>")
          .attach(Attachment.of("report.pdf", "pdf".getBytes(UTF_8), "application/pdf"))
          .attach(Attachment.inline("logo", new byte[] {1}, "image/png"))
          .header("X-Campaign", "spring")
          .tag("welcome").tag("orders")
          .metadata("userId", "42")
          .priority(Priority.HIGH)
          .sendAt(Instant.now().plus(Duration.ofHours(1)))
          .idempotencyKey("order-42")
          .locale(Locale.GERMANY)
          .caller("billing-service")
          .build();
    }

    @Test
    void roundTripsToAnEqualEmail() {
      Email email = full();

      Email copy = email.toBuilder().build();

      assertThat(copy).isEqualTo(email).hasSameHashCodeAs(email);
      assertThat(copy.toString()).isEqualTo(email.toString());
    }

    @Test
    void roundTripsATemplatedEmail() {
      Email email = Email.builder().from("a@example.org").to("b@example.org")
          .template("billing/invoice", Map.of("n", 1)).locale(Locale.FRENCH).build();

      assertThat(email.toBuilder().build()).isEqualTo(email);
    }

    @Test
    void derivingOneEmailPerRecipient() {
      Email group = full();

      List<Email> perRecipient = new ArrayList<>();
      for (Address a : group.recipients()) {
        perRecipient.add(group.toBuilder().clearRecipients().to(a).build());
      }

      assertThat(perRecipient).extracting(e -> e.to().get(0).email())
          .containsExactly("ann@example.org", "bob@example.org", "cc@example.org", "bcc@example.org");
      assertThat(perRecipient).allSatisfy(e -> {
        assertThat(e.recipients()).hasSize(1);
        assertThat(e.subject()).isEqualTo(group.subject());
        assertThat(e.attachments()).isEqualTo(group.attachments());
        assertThat(e.replyTo()).isEqualTo(group.replyTo());
      });
    }

    @Test
    void renderingATemplateIntoTheEmail() {
      Email templated = Email.builder().from("a@example.org").to("b@example.org")
          .template("welcome", Map.of("name", "Ann")).build();

      Email rendered = templated.toBuilder().clearTemplate().subject("Welcome Ann").html("<p>Hi Ann</p>").build();

      assertThat(rendered.template()).isEmpty();
      assertThat(rendered.subject()).contains("Welcome Ann");
    }

    @Test
    void changingTheBuilderDoesNotChangeTheEmail() {
      Email email = full();
      Email.Builder b = email.toBuilder();

      b.to("new@example.org").header("X-New", "1").tag("new").metadata("new", "1").subject("changed");
      b.build();

      assertThat(email.to()).hasSize(2);
      assertThat(email.headers()).doesNotContainKey("X-New");
      assertThat(email.tags()).doesNotContain("new");
      assertThat(email.subject()).contains("Your order");
    }

    @Test
    void aDerivedBuilderNumbersNewAddressesAfterTheExistingOnes() {
      assertThat(problems(full().toBuilder().to("bad"))).containsExactly("to[2]: address has no '@'");
    }

    @Test
    void aDerivedBuilderRefusesAHeaderTheEmailAlreadyHas() {
      assertThat(problems(full().toBuilder().header("x-campaign", "autumn")))
          .containsExactly("header x-campaign is set twice");
    }
  }

  @org.junit.jupiter.api.Nested
  class UnencodableText {
    @Test
    void loneSurrogatesInBodiesAreProblems() {
      assertThatThrownBy(() -> Email.builder().from("a@example.org").to("b@example.org").subject("s")
          .text("a\uD800b").html("<p>\uDC00</p>").build())
          .isInstanceOfSatisfying(InvalidEmailException.class, e -> assertThat(e.problems())
              .containsExactly("text contains an unpaired surrogate", "html contains an unpaired surrogate"));
    }

    @Test
    void resentHeadersAreReserved() {
      assertThatThrownBy(() -> Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t")
          .header("Resent-To", "c@example.org").build())
          .isInstanceOfSatisfying(InvalidEmailException.class, e -> assertThat(e.problems())
              .containsExactly("header Resent-To is set by Postline; use the builder's method for it"));
    }
  }
}
