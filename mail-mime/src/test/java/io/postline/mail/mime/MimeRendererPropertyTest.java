package io.postline.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.MailException;
import io.postline.mail.testing.HostileInputs;
import jakarta.mail.BodyPart;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Part;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Property: every valid {@link Email} the hostile generator produces renders to an {@code .eml}
 * whose header section is clean (CRLF line ends only, folded lines starting with white space, no
 * line over 998 characters, 7-bit) and which, parsed back with Jakarta Mail, gives the same
 * subject, display names, addresses (in ASCII form), custom header values, bodies and
 * attachments — and no {@code Bcc} header. The one exception: an attachment of a composite type
 * (message/*, multipart/*) whose content is not CRLF lines, which cannot be sent under that type
 * and must be refused with a {@link MailException} instead.
 *
 * <p>A failure names the case seed and every input; rerun with another base seed with
 * {@code -Dpostline.hostile.seed=...}.
 */
class MimeRendererPropertyTest {
  private static final int CASES = 1000;
  /** Mostly tricky inputs, so that most cases build a valid email to render. */
  private static final double[] HOSTILITY = {0.0, 0.01, 0.03};
  private static final Pattern FIELD_START = Pattern.compile("[!-9;-~]+:.*");

  private final MimeRenderer renderer = MimeRenderer.defaults();

  @Test
  void everyValidEmailRendersCleanHeadersThatReadBackExactly() {
    long base = HostileInputs.baseSeed();
    int rendered = 0;
    int templates = 0;
    int refused = 0;
    for (int i = 0; i < CASES; i++) {
      long seed = HostileInputs.caseSeed(base, i);
      Map<String, String> inputs = HostileInputs.newInputLog();
      Email email;
      try {
        email = new HostileInputs(seed, HOSTILITY[i % HOSTILITY.length]).email(inputs);
      } catch (InvalidEmailException rejected) {
        continue; // mail-api's own property test judges rejections
      }
      try {
        if (email.template().isPresent()) {
          checkTemplateIsRefused(email);
          templates++;
          continue;
        }
        if (hasUnsendableCompositeAttachment(email)) {
          checkCompositeIsRefused(email);
          refused++;
          continue;
        }
        check(email);
        rendered++;
      } catch (Throwable failure) {
        throw new AssertionError(HostileInputs.failureReport(seed, inputs, failure), failure);
      }
    }
    assertThat(rendered).as("valid emails rendered").isGreaterThan(CASES / 2);
    assertThat(templates).as("template emails refused").isPositive();
    assertThat(refused).as("unsendable composite attachments refused").isLessThan(rendered / 10);
  }

  /**
   * A message/* or multipart/* attachment whose bytes are not CRLF lines of at most 998 bytes
   * without NUL: RFC 2046 allows no base64 for those types, so it cannot be sent as it is.
   */
  private static boolean hasUnsendableCompositeAttachment(Email email) {
    for (Attachment a : email.attachments()) {
      String type = a.contentType().toLowerCase(Locale.ROOT);
      if (!type.startsWith("message/") && !type.startsWith("multipart/")) {
        continue;
      }
      String text = new String(a.content(), StandardCharsets.ISO_8859_1);
      if (text.indexOf('\0') >= 0 || text.replace("\r\n", "").matches("(?s).*[\r\n].*")
          || Arrays.stream(text.split("\r\n")).anyMatch(line -> line.length() > 998)) {
        return true;
      }
    }
    return false;
  }

  private void checkCompositeIsRefused(Email email) {
    try {
      renderer.toEml(email);
    } catch (MailException expected) {
      assertThat(expected).hasMessageContaining("composite type");
      return;
    }
    throw new AssertionError("an unsendable composite attachment was rendered");
  }

  private void checkTemplateIsRefused(Email email) {
    try {
      renderer.toEml(email);
    } catch (IllegalArgumentException expected) {
      return;
    }
    throw new AssertionError("an email with a template was rendered");
  }

  private void check(Email email) throws Exception {
    List<Address> headerAddresses = new ArrayList<>(List.of(email.from()));
    headerAddresses.addAll(email.to());
    headerAddresses.addAll(email.cc());
    headerAddresses.addAll(email.replyTo());
    if (headerAddresses.stream().anyMatch(Address::isInternationalized)) {
      checkUtf8(email, headerAddresses);
      return;
    }
    byte[] eml = renderer.toEml(email);
    checkLineEnds(eml);
    checkHeaderSection(Eml.headerSection(eml));

    MimeMessage m = Eml.parse(eml);
    assertThat(m.getSubject()).as("subject").isEqualTo(email.subject().orElseThrow());
    assertAddresses("From", m.getFrom(), List.of(email.from()));
    assertAddresses("To", m.getRecipients(RecipientType.TO), email.to());
    assertAddresses("Cc", m.getRecipients(RecipientType.CC), email.cc());
    assertAddresses("Reply-To", email.replyTo().isEmpty() ? null : m.getReplyTo(), email.replyTo());
    assertThat(m.getHeader("Bcc")).as("Bcc header").isNull();
    for (Map.Entry<String, String> header : email.headers().entrySet()) {
      assertThat(Eml.decodedHeader(m, header.getKey())).as("header %s", header.getKey())
          .isEqualTo(header.getValue());
    }
    assertThat(m.getMessageID()).matches("<[0-9a-f]{32}@" + Pattern.quote(email.from().domain()) + ">");
    assertThat(m.getSentDate()).as("Date").isNotNull();
    checkContent(email, m);
  }

  /**
   * An internationalized header address (RFC 6532): refused for a 7-bit channel with a message
   * naming SMTPUTF8; on a UTF-8 channel the header section is UTF-8 with lines of at most 998
   * octets and holds each address as it goes in the envelope, and the body reads back exactly.
   */
  private void checkUtf8(Email email, List<Address> headerAddresses) throws Exception {
    try {
      renderer.toEml(email);
      throw new AssertionError("an internationalized header address was rendered for a 7-bit channel");
    } catch (MailException expected) {
      assertThat(expected.getMessage()).contains("SMTPUTF8");
    }
    byte[] eml = renderer.toEml(email, MimeChannel.UTF8);
    checkLineEnds(eml);
    String text = new String(eml, StandardCharsets.UTF_8);
    String headers = text.substring(0, text.indexOf("\r\n\r\n"));
    assertThat(StandardCharsets.UTF_8.newEncoder().canEncode(headers)).isTrue();
    for (String line : headers.split("\r\n")) {
      assertThat(line.getBytes(StandardCharsets.UTF_8).length).as("header line length").isLessThanOrEqualTo(998);
      assertThat(line.chars().noneMatch(c -> c < 0x20 && c != '\t' || c >= 0x7f && c <= 0x9f)).as("controls").isTrue();
    }
    String unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", "\t");
    for (Address a : headerAddresses) {
      assertThat(unfolded).contains(a.asciiEmail());
    }
    checkContent(email, Eml.parse(eml));
  }

  /** Every CR is followed by LF and every LF preceded by CR, in the whole message. */
  private static void checkLineEnds(byte[] eml) {
    for (int i = 0; i < eml.length; i++) {
      if (eml[i] == '\r') {
        assertThat(i + 1 < eml.length && eml[i + 1] == '\n').as("bare CR at byte %d", i).isTrue();
      } else if (eml[i] == '\n') {
        assertThat(i > 0 && eml[i - 1] == '\r').as("bare LF at byte %d", i).isTrue();
      }
    }
    for (String line : new String(eml, StandardCharsets.ISO_8859_1).split("\r\n")) {
      assertThat(line.length()).as("line length").isLessThanOrEqualTo(998);
    }
  }

  private static void checkHeaderSection(String headers) {
    assertThat(headers).endsWith("\r\n");
    String[] lines = headers.substring(0, headers.length() - 2).split("\r\n", -1);
    assertThat(lines[0]).matches(FIELD_START);
    for (String line : lines) {
      assertThat(line.length()).as("header line length").isLessThanOrEqualTo(998);
      assertThat(line.isEmpty()).as("empty line inside the header section").isFalse();
      boolean continuation = line.charAt(0) == ' ' || line.charAt(0) == '\t';
      if (continuation) {
        assertThat(line.isBlank()).as("continuation line of white space only").isFalse();
      } else {
        assertThat(line).as("header field line").matches(FIELD_START);
      }
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        assertThat(c == '\t' || c >= 0x20 && c <= 0x7e)
            .as("header character U+%04X in %s", (int) c, line).isTrue();
      }
    }
  }

  private static void assertAddresses(String field, jakarta.mail.Address[] actual, List<Address> expected) {
    if (expected.isEmpty()) {
      assertThat(actual).as(field).isNull();
      return;
    }
    assertThat(actual).as(field).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      InternetAddress parsed = (InternetAddress) actual[i];
      Address want = expected.get(i);
      assertThat(parsed.getAddress()).as("%s[%d] address", field, i).isEqualTo(want.asciiEmail());
      assertThat(parsed.getPersonal()).as("%s[%d] display name", field, i)
          .isEqualTo(want.name().orElse(null));
    }
  }

  private record Leaf(String type, String disposition, String fileName, String contentId, byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Leaf l && type.equals(l.type) && Objects.equals(disposition, l.disposition)
          && Objects.equals(fileName, l.fileName) && Objects.equals(contentId, l.contentId)
          && Arrays.equals(bytes, l.bytes);
    }

    @Override
    public int hashCode() {
      return Objects.hash(type, fileName, contentId);
    }

    @Override
    public String toString() {
      return type + " " + disposition + " " + HostileInputs.describe(String.valueOf(fileName))
          + " <" + contentId + "> " + bytes.length + " bytes";
    }
  }

  private static void checkContent(Email email, MimeMessage m) throws Exception {
    List<String> texts = new ArrayList<>();
    List<String> htmls = new ArrayList<>();
    List<Leaf> files = new ArrayList<>();
    collect(m, texts, htmls, files);

    assertThat(texts).as("text bodies").isEqualTo(email.text().filter(t -> !t.isEmpty())
        .map(MessageWriter::canonicalLineBreaks).map(List::of).orElse(List.of()));
    assertThat(htmls).as("html bodies").isEqualTo(email.html().filter(h -> !h.isEmpty())
        .map(MessageWriter::canonicalLineBreaks).map(List::of).orElse(List.of()));

    boolean related = !htmls.isEmpty() && email.attachments().stream().anyMatch(Attachment::isInline);
    List<Leaf> expected = new ArrayList<>();
    if (related) {
      email.attachments().stream().filter(Attachment::isInline).forEach(a -> expected.add(leaf(a)));
      email.attachments().stream().filter(a -> !a.isInline()).forEach(a -> expected.add(leaf(a)));
    } else {
      email.attachments().forEach(a -> expected.add(leaf(a)));
    }
    assertThat(files).as("attachments").containsExactlyElementsOf(expected);
  }

  private static Leaf leaf(Attachment a) {
    try {
      return new Leaf(new ContentType(a.contentType()).getBaseType().toLowerCase(Locale.ROOT),
          a.isInline() ? Part.INLINE : Part.ATTACHMENT, a.fileName(), a.contentId().orElse(null),
          a.content());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void collect(Part part, List<String> texts, List<String> htmls, List<Leaf> files)
      throws Exception {
    String type = Eml.baseType(part);
    if (type.startsWith("multipart/")) {
      for (BodyPart child : Eml.children(part)) {
        collect(child, texts, htmls, files);
      }
      return;
    }
    String disposition = part.getDisposition();
    if (disposition == null && type.equals("text/plain")) {
      texts.add(Eml.text(part));
    } else if (disposition == null && type.equals("text/html")) {
      htmls.add(Eml.text(part));
    } else {
      String[] ids = part.getHeader("Content-ID");
      String id = ids == null ? null : ids[0].substring(1, ids[0].length() - 1);
      files.add(new Leaf(type, disposition, part.getFileName(), id, Eml.bytes(part)));
    }
  }
}
