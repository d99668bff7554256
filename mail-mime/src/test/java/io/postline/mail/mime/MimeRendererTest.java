package io.postline.mail.mime;

import static io.postline.mail.mime.Eml.baseType;
import static io.postline.mail.mime.Eml.children;
import static io.postline.mail.mime.Eml.decodedHeader;
import static io.postline.mail.mime.Eml.headerSection;
import static io.postline.mail.mime.Eml.parameter;
import static io.postline.mail.mime.Eml.parse;
import static io.postline.mail.mime.Eml.structure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.MailException;
import jakarta.mail.BodyPart;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MimeRendererTest {
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
  private static final byte[] PDF = "%PDF-1.7\n%âãÏÓ\n1 0 obj\r\n<<>>\nendobj\n".getBytes(StandardCharsets.ISO_8859_1);

  private final MimeRenderer renderer = MimeRenderer.defaults();

  private static Email.Builder base() {
    return Email.builder().from("Shop <shop@example.org>").to("ann@example.org").subject("Hi");
  }

  private MimeMessage roundTrip(Email email) {
    return parse(renderer.toEml(email));
  }

  @Nested
  class Structure {
    @Test
    void textOnlyIsASingleTextPlainPart() throws Exception {
      MimeMessage m = roundTrip(base().text("Hello Ann,\nyour order ships today.").build());

      assertThat(structure(m)).isEqualTo("text/plain");
      assertThat(parameter(m, "charset")).isEqualToIgnoringCase("UTF-8");
      assertThat(Eml.text(m)).isEqualTo("Hello Ann,\r\nyour order ships today.");
      assertThat(m.getHeader("MIME-Version")).containsExactly("1.0");
    }

    @Test
    void htmlOnlyIsASingleTextHtmlPart() throws Exception {
      MimeMessage m = roundTrip(base().html("<p>Grüße, <b>Ann</b> 😀</p>").build());

      assertThat(structure(m)).isEqualTo("text/html");
      assertThat(parameter(m, "charset")).isEqualToIgnoringCase("UTF-8");
      assertThat(Eml.text(m)).isEqualTo("<p>Grüße, <b>Ann</b> 😀</p>");
    }

    @Test
    void textAndHtmlAreAlternativesWithTextFirst() throws Exception {
      MimeMessage m = roundTrip(base().text("plain ü").html("<p>html ü</p>").build());

      assertThat(structure(m)).isEqualTo("multipart/alternative[text/plain,text/html]");
      List<BodyPart> parts = children(m);
      assertThat(Eml.text(parts.get(0))).isEqualTo("plain ü");
      assertThat(Eml.text(parts.get(1))).isEqualTo("<p>html ü</p>");
      for (BodyPart part : parts) {
        assertThat(parameter(part, "charset")).isEqualToIgnoringCase("UTF-8");
      }
    }

    @Test
    void inlineImagesAreRelatedToTheHtmlAndReferencedByContentId() throws Exception {
      Email email = base()
          .text("See the logo.")
          .html("<p><img src=\"cid:logo@example.org\"> and <img src=\"cid:banner\"></p>")
          .attach(Attachment.inline("logo@example.org", "logo.png", PNG, "image/png"))
          .attach(Attachment.inline("banner", PNG, "image/png"))
          .build();
      MimeMessage m = roundTrip(email);

      assertThat(structure(m)).isEqualTo(
          "multipart/alternative[text/plain,multipart/related[text/html,image/png,image/png]]");
      BodyPart related = children(m).get(1);
      assertThat(parameter(related, "type")).isEqualTo("text/html");
      List<BodyPart> parts = children(related);
      String html = Eml.text(parts.get(0));

      BodyPart logo = parts.get(1);
      assertThat(logo.getHeader("Content-ID")).containsExactly("<logo@example.org>");
      assertThat(logo.getDisposition()).isEqualTo(Part.INLINE);
      assertThat(logo.getFileName()).isEqualTo("logo.png");
      assertThat(Eml.bytes(logo)).isEqualTo(PNG);
      assertThat(html).contains("cid:" + contentId(logo));

      BodyPart banner = parts.get(2);
      assertThat(banner.getHeader("Content-ID")).containsExactly("<banner>");
      assertThat(banner.getFileName()).isEqualTo("banner");
      assertThat(html).contains("cid:" + contentId(banner));
    }

    @Test
    void htmlOnlyWithInlinePartsIsRelatedAtTheTop() throws Exception {
      MimeMessage m = roundTrip(base().html("<img src=\"cid:logo\">")
          .attach(Attachment.inline("logo", PNG, "image/png")).build());

      assertThat(structure(m)).isEqualTo("multipart/related[text/html,image/png]");
      assertThat(children(m).get(1).getHeader("Content-ID")).containsExactly("<logo>");
    }

    @Test
    void attachmentsAreMixedAroundTheBodyInTheirOrder() throws Exception {
      byte[] csv = "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8);
      Email email = base().text("text").html("<p>html</p>")
          .attach(Attachment.of("report.pdf", PDF, "application/pdf"))
          .attach(Attachment.of("data.csv", csv, "text/csv; charset=utf-8"))
          .build();
      MimeMessage m = roundTrip(email);

      assertThat(structure(m)).isEqualTo(
          "multipart/mixed[multipart/alternative[text/plain,text/html],application/pdf,text/csv]");
      List<BodyPart> parts = children(m);
      BodyPart pdf = parts.get(1);
      assertThat(pdf.getDisposition()).isEqualTo(Part.ATTACHMENT);
      assertThat(pdf.getFileName()).isEqualTo("report.pdf");
      assertThat(pdf.getHeader("Content-Transfer-Encoding")).containsExactly("base64");
      assertThat(Eml.bytes(pdf)).isEqualTo(PDF);
      BodyPart data = parts.get(2);
      assertThat(data.getFileName()).isEqualTo("data.csv");
      assertThat(parameter(data, "charset")).isEqualTo("utf-8");
      assertThat(parameter(data, "name")).isEqualTo("data.csv");
      assertThat(Eml.bytes(data)).as("bytes kept exactly, bare LF included").isEqualTo(csv);
    }

    @Test
    void everythingTogether() throws Exception {
      Email email = base().text("t").html("<img src=\"cid:logo\">")
          .attach(Attachment.of("a.bin", new byte[] {0, 1, 2}, "application/octet-stream"))
          .attach(Attachment.inline("logo", PNG, "image/png"))
          .attach(Attachment.of("b.bin", new byte[] {3}, "application/octet-stream"))
          .build();

      assertThat(structure(roundTrip(email))).isEqualTo("multipart/mixed[multipart/alternative"
          + "[text/plain,multipart/related[text/html,image/png]],application/octet-stream,"
          + "application/octet-stream]");
    }

    @Test
    void inlinePartsWithoutHtmlAreInlinePartsOfTheMixedMessage() throws Exception {
      MimeMessage m = roundTrip(base().text("see the picture")
          .attach(Attachment.inline("pic", PNG, "image/png")).build());

      assertThat(structure(m)).isEqualTo("multipart/mixed[text/plain,image/png]");
      BodyPart picture = children(m).get(1);
      assertThat(picture.getDisposition()).isEqualTo(Part.INLINE);
      assertThat(picture.getHeader("Content-ID")).containsExactly("<pic>");
      assertThat(Eml.bytes(picture)).isEqualTo(PNG);
    }

    @Test
    void emptyBodiesCountAsAbsent() throws Exception {
      MimeMessage m = roundTrip(base().text("").html("<p>only html</p>").build());

      assertThat(structure(m)).isEqualTo("text/html");
    }

    @Test
    void largeBinaryAttachmentKeepsEveryByte() throws Exception {
      byte[] big = new byte[300_000];
      new Random(7).nextBytes(big);
      MimeMessage m = roundTrip(base().text("x")
          .attach(Attachment.of("random.bin", big, "application/octet-stream")).build());

      assertThat(Eml.bytes(children(m).get(1))).isEqualTo(big);
    }

    @Test
    void forwardedMessageIsSentUnencodedAsRfc2046Requires() throws Exception {
      byte[] forwarded = ("From: a@example.org\r\nSubject: old\r\n\r\nGr\u00fc\u00dfe\r\n")
          .getBytes(StandardCharsets.UTF_8);
      byte[] ascii = "Subject: old\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
      MimeMessage m = roundTrip(base().text("see attached")
          .attach(Attachment.of("old.eml", forwarded, "message/rfc822"))
          .attach(Attachment.of("ascii.eml", ascii, "message/rfc822")).build());

      assertThat(structure(m)).isEqualTo("multipart/mixed[text/plain,message/rfc822,message/rfc822]");
      BodyPart eightBit = children(m).get(1);
      assertThat(eightBit.getHeader("Content-Transfer-Encoding")).containsExactly("8bit");
      assertThat(Eml.bytes(eightBit)).isEqualTo(forwarded);
      assertThat(eightBit.getFileName()).isEqualTo("old.eml");
      BodyPart sevenBit = children(m).get(2);
      assertThat(sevenBit.getHeader("Content-Transfer-Encoding")).containsExactly("7bit");
      assertThat(Eml.bytes(sevenBit)).isEqualTo(ascii);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Subject: x\n\nbare LF\n", "nul\u0000byte", "bare\rCR"})
    void compositeAttachmentThatCannotBeSentAsItIsIsRefusedWhenBuilt(String content) {
      // Validation happens in Attachment.of, so such an email never reaches the renderer.
      assertThatThrownBy(() -> Attachment.of("bad.eml", content.getBytes(StandardCharsets.UTF_8), "message/rfc822"))
          .isInstanceOf(io.postline.mail.InvalidEmailException.class)
          .hasMessageContaining("message/* attachment")
          .hasMessageNotContaining("bare LF");
    }

    @Test
    void multipartAttachmentIsNestedAsItIs() throws Exception {
      byte[] nested = "--xyz\r\nContent-Type: text/plain\r\n\r\nhi\r\n--xyz--\r\n"
          .getBytes(StandardCharsets.US_ASCII);
      MimeMessage m = roundTrip(base().text("x")
          .attach(Attachment.of("m.bin", nested, "multipart/mixed; boundary=xyz")).build());

      assertThat(structure(m)).isEqualTo("multipart/mixed[text/plain,multipart/mixed[text/plain]]");
      assertThat(Eml.bytes(children(m).get(1))).isEqualTo(nested);
    }

    @Test
    void compositeAttachmentsWithoutBoundaryOrWithOverlongLinesAreRefusedWhenBuilt() {
      assertThatThrownBy(() -> Attachment.of("m.bin", "no boundary".getBytes(StandardCharsets.US_ASCII),
          "multipart/mixed")).isInstanceOf(io.postline.mail.InvalidEmailException.class);
      assertThatThrownBy(() -> Attachment.of("long.eml",
          ("X: " + "y".repeat(996) + "\r\n").getBytes(StandardCharsets.US_ASCII), "message/rfc822"))
          .isInstanceOf(io.postline.mail.InvalidEmailException.class);
    }

    @Test
    void textLineBreaksAreWrittenAsCrlf() throws Exception {
      byte[] eml = renderer.toEml(base().text("one\ntwo\rthree\r\nfour\n\nend").build());

      assertThat(Eml.text(parse(eml))).isEqualTo("one\r\ntwo\r\nthree\r\nfour\r\n\r\nend");
      assertThat(new String(eml, StandardCharsets.US_ASCII)).doesNotContainPattern("[^\r]\n|\r[^\n]");
    }

    @Test
    void longAndNonAsciiTextIsTransferEncodedSafely() throws Exception {
      String text = "x".repeat(2000) + "\n" + "Grüße 😀 漢字\n".repeat(50) + "\u0000nul";
      byte[] eml = renderer.toEml(base().text(text).build());

      for (String line : new String(eml, StandardCharsets.US_ASCII).split("\r\n")) {
        assertThat(line.length()).isLessThanOrEqualTo(998);
      }
      assertThat(Eml.text(parse(eml))).isEqualTo(MessageWriter.canonicalLineBreaks(text));
    }

    private String contentId(BodyPart part) throws Exception {
      String id = part.getHeader("Content-ID")[0];
      return id.substring(1, id.length() - 1);
    }
  }

  @Nested
  class FileNames {
    @ParameterizedTest
    @ValueSource(strings = {
        "Überblick 2024 – Bericht.pdf", "報告書.pdf", "😀 smile.png", "a \"quoted\" name.txt",
        "semi;colon, comma=equals.txt", "  spaces  .txt", "=?UTF-8?B?SGk=?=.txt",
        "Ελληνικά και русский и עברית.docx"})
    void nonAsciiAndSpecialFileNamesReadBackExactly(String name) throws Exception {
      MimeMessage m = roundTrip(base().text("x").attach(Attachment.of(name, PDF, "application/pdf")).build());
      BodyPart part = children(m).get(1);

      assertThat(part.getFileName()).isEqualTo(name);
      assertThat(parameter(part, "name")).isEqualTo(name);
      assertThat(Eml.bytes(part)).isEqualTo(PDF);
    }

    @Test
    void longNonAsciiFileNameIsSplitIntoRfc2231SectionsAndShortLines() throws Exception {
      String name = "Ünïcödé-".repeat(25) + "😀".repeat(20) + ".pdf";
      byte[] eml = renderer.toEml(base().text("x").attach(Attachment.of(name, PDF, "application/pdf")).build());

      String raw = new String(eml, StandardCharsets.US_ASCII);
      assertThat(raw).contains("filename*0*=UTF-8''").contains("filename*1*=");
      for (String line : raw.split("\r\n")) {
        assertThat(line.length()).isLessThanOrEqualTo(78);
      }
      assertThat(children(parse(eml)).get(1).getFileName()).isEqualTo(name);
    }

    @Test
    void contentTypeParametersAreKeptAndNonAsciiOnesEncoded() throws Exception {
      MimeMessage m = roundTrip(base().text("x")
          .attach(Attachment.of("a.txt", PDF, "text/plain; x=\"Grüße\"; format=flowed")).build());
      BodyPart part = children(m).get(1);

      assertThat(baseType(part)).isEqualTo("text/plain");
      assertThat(parameter(part, "x")).isEqualTo("Grüße");
      assertThat(parameter(part, "format")).isEqualTo("flowed");
      assertThat(MimeUtility.unfold(part.getHeader("Content-Type")[0])).isEqualTo(
          "text/plain; x*=UTF-8''Gr%C3%BC%C3%9Fe; format=\"flowed\"; name=\"a.txt\"");
    }
  }

  @Nested
  class Headers {
    @ParameterizedTest
    @ValueSource(strings = {
        "Grüße aus Köln", "Your order 😀🎉 is on its way", "ご注文ありがとうございます",
        "Mixed: Ελληνικά, русский, עברית, العربية, 中文, 한국어 und Deutsch 👨‍👩‍👧‍👦",
        "=?UTF-8?B?SGk=?= looks encoded but is not", "  leading and trailing blanks  ",
        "tab\tand  double  spaces", "", "a\\ backslash before a blank",
        "A very long ASCII subject line that goes on and on and certainly needs to be folded "
            + "somewhere in the middle because it is far longer than seventy-eight characters"})
    void subjectsReadBackExactly(String subject) throws Exception {
      byte[] eml = renderer.toEml(base().subject(subject).text("x").build());

      assertThat(parse(eml).getSubject()).isEqualTo(subject);
      assertThat(isSevenBit(eml)).as("message is 7-bit").isTrue();
    }

    @Test
    void nonAsciiSubjectIsRfc2047EncodedUtf8() {
      String headers = headerSection(renderer.toEml(base().subject("Grüße 😀").text("x").build()));

      assertThat(headers).containsPattern("(?m)^Subject: =\\?UTF-8\\?[QB]\\?[^?]+\\?=$");
    }

    @Test
    void longNonAsciiSubjectIsFoldedIntoEncodedWordsOfAtMost75Characters() throws Exception {
      String subject = "漢字テスト 😀 ".repeat(40);
      byte[] eml = renderer.toEml(base().subject(subject).text("x").build());

      String headers = headerSection(eml);
      List<String> words = Pattern.compile("=\\?UTF-8\\?[QB]\\?[^?]*\\?=").matcher(headers)
          .results().map(r -> r.group()).toList();
      assertThat(words).hasSizeGreaterThan(5).allMatch(w -> w.length() <= 75);
      for (String line : headers.split("\r\n")) {
        assertThat(line.length()).isLessThanOrEqualTo(78);
      }
      assertThat(parse(eml).getSubject()).isEqualTo(subject);
    }

    @Test
    void displayNamesAreEncodedAndReadBack() throws Exception {
      Email email = Email.builder()
          .from(Address.of("shop@example.org", "Bücher & Co. 📚"))
          .to(Address.of("ann@example.org", "Doe, Ann"), Address.of("li@example.org", "李小龍"))
          .cc(Address.of("bob@example.org", "Bob \"The Builder\" O'Brien"),
              Address.of("eve@example.org", "=?UTF-8?B?SGk=?="))
          .replyTo(Address.of("help@example.org", "Hilfe 🆘 Team"))
          .subject("Hi").text("x").build();
      MimeMessage m = roundTrip(email);

      assertThat(person(m.getFrom()[0])).isEqualTo("Bücher & Co. 📚 <shop@example.org>");
      assertThat(m.getRecipients(RecipientType.TO)).extracting(MimeRendererTest::person)
          .containsExactly("Doe, Ann <ann@example.org>", "李小龍 <li@example.org>");
      assertThat(m.getRecipients(RecipientType.CC)).extracting(MimeRendererTest::person)
          .containsExactly("Bob \"The Builder\" O'Brien <bob@example.org>",
              "=?UTF-8?B?SGk=?= <eve@example.org>");
      assertThat(m.getReplyTo()).extracting(MimeRendererTest::person)
          .containsExactly("Hilfe 🆘 Team <help@example.org>");
      assertThat(headerSection(renderer.toEml(email)))
          .contains("To: \"Doe, Ann\" <ann@example.org>, =?UTF-8?");
    }

    @Test
    void internationalizedDomainsAreWrittenInPunycode() throws Exception {
      Email email = Email.builder()
          .from(Address.of("shop@bücher.example", "Bücher"))
          .to("anna@例え.テスト").cc("ivan@москва.рф").replyTo("info@müller.de")
          .subject("Hi").text("x").build();
      byte[] eml = renderer.toEml(email);
      MimeMessage m = parse(eml);

      assertThat(((InternetAddress) m.getFrom()[0]).getAddress()).isEqualTo("shop@xn--bcher-kva.example");
      assertThat(((InternetAddress) m.getRecipients(RecipientType.TO)[0]).getAddress())
          .isEqualTo("anna@xn--r8jz45g.xn--zckzah");
      assertThat(((InternetAddress) m.getRecipients(RecipientType.CC)[0]).getAddress())
          .isEqualTo("ivan@xn--80adxhks.xn--p1ai");
      assertThat(((InternetAddress) m.getReplyTo()[0]).getAddress()).isEqualTo("info@xn--mller-kva.de");
      assertThat(isSevenBit(eml)).as("message is 7-bit").isTrue();
    }

    @Test
    void quotedLocalPartsAndDomainLiteralsSurvive() throws Exception {
      MimeMessage m = roundTrip(Email.builder().from("shop@[192.0.2.1]")
          .to("\"john smith\"@example.org", "Ann <\"a@b\"@example.org>").subject("Hi").text("x").build());

      assertThat(m.getRecipients(RecipientType.TO)).extracting(a -> ((InternetAddress) a).getAddress())
          .containsExactly("\"john smith\"@example.org", "\"a@b\"@example.org");
      assertThat(((InternetAddress) m.getFrom()[0]).getAddress()).isEqualTo("shop@[192.0.2.1]");
    }

    @Test
    void noBccHeaderIsWrittenWhileBccRecipientsExist() throws Exception {
      Email email = base().cc("carl@example.org").bcc("secret@example.org", "Hidden <hidden@example.net>")
          .text("x").build();
      byte[] eml = renderer.toEml(email);
      MimeMessage m = parse(eml);

      assertThat(email.bcc()).hasSize(2);
      assertThat(m.getHeader("Bcc")).isNull();
      assertThat(m.getRecipients(RecipientType.BCC)).isNull();
      String raw = new String(eml, StandardCharsets.US_ASCII);
      assertThat(raw).doesNotContainIgnoringCase("bcc").doesNotContain("secret@").doesNotContain("hidden@");
      assertThat(m.getAllRecipients()).extracting(a -> ((InternetAddress) a).getAddress())
          .containsExactly("ann@example.org", "carl@example.org");
    }

    @Test
    void toIsLeftOutWhenThereAreOnlyBccRecipients() throws Exception {
      MimeMessage m = roundTrip(Email.builder().from("shop@example.org").bcc("ann@example.org")
          .subject("Hi").text("x").build());

      assertThat(m.getHeader("To")).isNull();
      assertThat(m.getHeader("Bcc")).isNull();
    }

    @Test
    void customHeadersAreWrittenAndReadBack() throws Exception {
      String url = "<https://example.org/unsubscribe?u=" + "ab12".repeat(40) + ">";
      Email email = base().text("x")
          .header("X-Campaign", "spring-sale")
          .header("List-Unsubscribe", url)
          .header("X-Note", "Grüße 😀 漢字")
          .header("X-Spaces", "  two  spaces\tand a tab  ")
          .header("X-Empty", "")
          .build();
      byte[] eml = renderer.toEml(email);
      MimeMessage m = parse(eml);

      assertThat(m.getHeader("X-Campaign")).containsExactly("spring-sale");
      assertThat(decodedHeader(m, "List-Unsubscribe")).isEqualTo(url);
      assertThat(MimeUtility.unfold(m.getHeader("List-Unsubscribe")[0]))
          .as("a structured ASCII value is never encoded").isEqualTo(url);
      assertThat(decodedHeader(m, "X-Note")).isEqualTo("Grüße 😀 漢字");
      assertThat(m.getHeader("X-Note")[0]).startsWith("=?UTF-8?");
      assertThat(decodedHeader(m, "X-Spaces")).isEqualTo("  two  spaces\tand a tab  ");
      assertThat(decodedHeader(m, "X-Empty")).isEmpty();
    }

    @Test
    void asciiHeaderTooLongForOneLineIsEncodedRatherThanBroken() throws Exception {
      String value = "v".repeat(998);
      byte[] eml = renderer.toEml(base().text("x").header("X-Long-Header-Name", value).build());

      for (String line : headerSection(eml).split("\r\n")) {
        assertThat(line.length()).isLessThanOrEqualTo(998);
      }
      assertThat(decodedHeader(parse(eml), "X-Long-Header-Name")).isEqualTo(value);
    }

    @Test
    void messageIdIsOnTheSendersAsciiDomainByDefault() throws Exception {
      MimeMessage m = roundTrip(Email.builder().from("shop@Bücher.example").to("ann@example.org")
          .subject("Hi").text("x").build());

      assertThat(m.getMessageID()).matches("<[0-9a-f]{32}@xn--bcher-kva\\.example>");
    }

    @Test
    void messageIdDomainCanBeConfiguredAndIsPunycoded() throws Exception {
      MimeRenderer custom = MimeRenderer.builder().messageIdDomain("mail.bücher.example").build();
      MimeMessage m = parse(custom.toEml(base().text("x").build()));

      assertThat(m.getMessageID()).matches("<[0-9a-f]{32}@mail\\.xn--bcher-kva\\.example>");
    }

    @Test
    void everyRenderGetsANewMessageId() throws Exception {
      Email email = base().text("x").build();
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < 100; i++) {
        ids.add(parse(renderer.toEml(email)).getMessageID());
      }
      assertThat(ids).hasSize(100);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not a domain", "a@b.example", "exa mple.org", "-bad.example", "x\r\ny.org"})
    void invalidMessageIdDomainIsRejected(String domain) {
      assertThatThrownBy(() -> MimeRenderer.builder().messageIdDomain(domain))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("messageIdDomain");
    }

    @Test
    void dateComesFromTheClockInItsZone() throws Exception {
      Instant now = Instant.parse("2025-03-04T05:06:07Z");
      MimeRenderer fixed = MimeRenderer.builder()
          .clock(Clock.fixed(now, ZoneId.of("Europe/Berlin"))).build();
      MimeMessage m = parse(fixed.toEml(base().text("x").build()));

      assertThat(m.getSentDate().toInstant()).isEqualTo(now);
      assertThat(m.getHeader("Date")).containsExactly("Tue, 4 Mar 2025 06:06:07 +0100");
    }

    @Test
    void dateIsPresentByDefault() throws Exception {
      Instant before = Instant.now().minusSeconds(1);
      MimeMessage m = roundTrip(base().text("x").build());

      assertThat(m.getSentDate().toInstant()).isBetween(before, Instant.now().plusSeconds(1));
    }

    @Test
    void headerSectionHasOnlyCrlfLineEndsAndShortLines() {
      Email email = Email.builder()
          .from(Address.of("shop@example.org", "😀".repeat(100)))
          .to(Address.of("a@example.org", "Ann " + "x".repeat(250)), Address.of("b@example.org", "B"))
          .subject("Grüße ".repeat(150)).text("x").header("X-A", "a ".repeat(400).strip())
          .build();
      String headers = headerSection(renderer.toEml(email));

      assertThat(headers).doesNotContainPattern("[^\r]\n|\r[^\n]");
      for (String line : headers.split("\r\n")) {
        assertThat(line.length()).isLessThanOrEqualTo(998);
      }
    }
  }

  @Nested
  class Api {
    @Test
    void anEmailWithATemplateIsRejected() {
      Email email = Email.builder().from("shop@example.org").to("ann@example.org")
          .template("welcome", Map.of("name", "Ann")).build();

      assertThatThrownBy(() -> renderer.toEml(email))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("template 'welcome'");
      assertThatThrownBy(() -> renderer.render(email, Eml.SESSION))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void renderGivesASavedMessageThatKeepsItsIdWhenSavedAgain() throws Exception {
      MimeMessage message = renderer.render(base().text("x").build(), Eml.SESSION);
      String id = message.getMessageID();

      message.saveChanges();

      assertThat(message.getMessageID()).isEqualTo(id).isNotNull();
      assertThat(message.getSession()).isSameAs(Eml.SESSION);
      assertThat(message.getSubject()).isEqualTo("Hi");
      assertThat(message.getHeader("Date")).hasSize(1);
    }

    @Test
    void writeEmlWritesTheSameMessageAsToEmlAndLeavesTheStreamOpen() throws Exception {
      Email email = base().text("x").attach(Attachment.of("a.pdf", PDF, "application/pdf")).build();
      boolean[] closed = {false};
      ByteArrayOutputStream bytes = new ByteArrayOutputStream() {
        @Override
        public void close() {
          closed[0] = true;
        }
      };

      renderer.writeEml(email, bytes);

      assertThat(closed[0]).isFalse();
      MimeMessage m = parse(bytes.toByteArray());
      assertThat(structure(m)).isEqualTo("multipart/mixed[text/plain,application/pdf]");
      assertThat(stripVolatile(bytes.toByteArray()))
          .isEqualTo(stripVolatile(MimeRenderer.builder().build().toEml(email)));
    }

    @Test
    void textIsSevenBitWhenItCanBeAndQuotedPrintableOtherwiseWithShortLinesThatReadBackExactly() throws Exception {
      String ascii = "Plain ASCII.\nSecond line.";
      String rich = "Grüße, 日本語 and a trailing space \n" + "x".repeat(2000) + "\n= not a soft break";

      byte[] plain = renderer.toEml(base().text(ascii).build());
      byte[] encoded = renderer.toEml(base().text(rich).build());

      assertThat(new String(plain, StandardCharsets.US_ASCII)).contains("Content-Transfer-Encoding: 7bit\r\n");
      String eml = new String(encoded, StandardCharsets.US_ASCII);
      assertThat(eml).contains("Content-Transfer-Encoding: quoted-printable\r\n");
      assertThat(isSevenBit(encoded)).isTrue();
      String body = eml.substring(eml.indexOf("\r\n\r\n") + 4);
      assertThat(body.split("\r\n")).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(76));
      assertThat(Eml.text(parse(encoded))).isEqualTo(MessageWriter.canonicalLineBreaks(rich));
      assertThat(Eml.text(parse(plain))).isEqualTo(MessageWriter.canonicalLineBreaks(ascii));
    }

    @Test
    void theRenderedMimeMessageWritesTheBytesAsTheyWereWritten() throws Exception {
      Email email = base().text("x").html("<p>ü</p>").attach(Attachment.of("a.pdf", PDF, "application/pdf")).build();
      MimeMessage message = renderer.render(email, jakarta.mail.Session.getInstance(new java.util.Properties()));
      ByteArrayOutputStream written = new ByteArrayOutputStream();

      message.writeTo(written);

      assertThat(stripVolatile(written.toByteArray())).isEqualTo(stripVolatile(renderer.toEml(email)));
    }

    @Test
    void writeFailuresAreUncheckedIoExceptions() {
      OutputStream broken = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          throw new IOException("disk full");
        }
      };

      assertThatThrownBy(() -> renderer.writeEml(base().text("x").build(), broken))
          .isInstanceOf(UncheckedIOException.class)
          .hasRootCauseMessage("disk full");
    }

    @Test
    void defaultsIsSharedAndDescribesItself() {
      assertThat(MimeRenderer.defaults()).isSameAs(MimeRenderer.defaults());
      assertThat(MimeRenderer.builder().messageIdDomain("Example.ORG").build())
          .hasToString("MimeRenderer[messageIdDomain=example.org]");
    }

    /** Removes boundaries, Date and Message-ID, which differ between two renders. */
    private String stripVolatile(byte[] eml) {
      return new String(eml, StandardCharsets.US_ASCII)
          .replaceAll("postline-[0-9a-z]{24}", "BOUNDARY")
          .replaceAll("(?m)^(Date|Message-ID): .*$", "$1");
    }
  }

  private static boolean isSevenBit(byte[] eml) {
    for (byte b : eml) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private static String person(jakarta.mail.Address address) {
    InternetAddress a = (InternetAddress) address;
    return a.getPersonal() + " <" + a.getAddress() + ">";
  }
}
