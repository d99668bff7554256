package io.postline.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.MailException;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the channel a message goes over changes in its bytes: 8bit text, UTF-8 addresses. */
class MimeChannelTest {
  private static final String UTF8_TEXT = "Grüße aus Köln, 山田さん\r\n.a line starting with a dot\r\nüber";
  private final MimeRenderer renderer = MimeRenderer.defaults();

  private static Email.Builder base() {
    return Email.builder().from("Shop <shop@example.org>").to("ann@example.org").subject("Grüße");
  }

  private static String eml(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void sevenBitWritesUtf8TextAsQuotedPrintableAndEightBitWritesItAsIs() throws Exception {
    Email email = base().text(UTF8_TEXT).build();

    String seven = eml(renderer.toEml(email, MimeChannel.SEVEN_BIT));
    byte[] eightBytes = renderer.toEml(email, MimeChannel.EIGHT_BIT);
    String eight = eml(eightBytes);

    assertThat(seven).contains("Content-Transfer-Encoding: quoted-printable").doesNotContain("Grüße aus");
    assertThat(eight).contains("Content-Transfer-Encoding: 8bit\r\n\r\n" + UTF8_TEXT);
    // The headers stay ASCII: the subject is still an encoded-word.
    String headers = eight.substring(0, eight.indexOf("\r\n\r\n"));
    assertThat(StandardCharsets.US_ASCII.newEncoder().canEncode(headers)).isTrue();
    MimeMessage parsed = Eml.parse(eightBytes);
    assertThat(parsed.getContent()).isEqualTo(UTF8_TEXT);
    assertThat(parsed.getSubject()).isEqualTo("Grüße");
  }

  @Test
  void eightBitKeepsSevenBitForAsciiAndQuotedPrintableForLinesOver998Octets() {
    String longLine = "ü".repeat(500);   // 1,000 octets: over the limit of 8bit data
    String ascii = "plain ascii\r\nsecond line";

    assertThat(eml(renderer.toEml(base().text(ascii).build(), MimeChannel.EIGHT_BIT)))
        .contains("Content-Transfer-Encoding: 7bit");
    String lines = eml(renderer.toEml(base().text(longLine).build(), MimeChannel.EIGHT_BIT));
    assertThat(lines).contains("Content-Transfer-Encoding: quoted-printable");
    for (String line : lines.split("\r\n")) {
      assertThat(line.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(998);
    }
    // 499 two-octet characters: 998 octets, exactly the limit, so 8bit.
    assertThat(eml(renderer.toEml(base().text("ü".repeat(499)).build(), MimeChannel.EIGHT_BIT)))
        .contains("Content-Transfer-Encoding: 8bit");
  }

  @Test
  void aTextWithABareCarriageReturnIsCanonicalizedAndStillEightBit() {
    String eml = eml(renderer.toEml(base().text("eins\rzwei\nüber").build(), MimeChannel.EIGHT_BIT));

    assertThat(eml).contains("8bit\r\n\r\neins\r\nzwei\r\nüber");
  }

  @Test
  void htmlAndTextPartsBothGoEightBit() {
    String eml = eml(renderer.toEml(base().text("Grüße").html("<p>Grüße</p>").build(), MimeChannel.EIGHT_BIT));

    assertThat(eml.split("Content-Transfer-Encoding: 8bit", -1)).hasSize(3);
  }

  @Test
  void anInternationalizedAddressIsWrittenInUtf8OnlyOnAUtf8Channel() throws Exception {
    Email email = base().to("Jürgen <jürgen@bücher.example>").cc("山田@example.jp").text("Hallo").build();

    byte[] bytes = renderer.toEml(email, MimeChannel.UTF8);
    String eml = eml(bytes);

    assertThat(eml).contains("<jürgen@xn--bcher-kva.example>").contains("Cc: 山田@example.jp\r\n");
    // Raw UTF-8 (RFC 6532), not an encoded-word, which an addr-spec may not hold.
    // The display name stays an encoded-word (RFC 6532 readers read both).
    assertThat(eml).contains(", =?UTF-8?Q?J=C3=BCrgen?= <jürgen@xn--bcher-kva.example>\r\n");
    for (MimeChannel ascii : new MimeChannel[] {MimeChannel.SEVEN_BIT, MimeChannel.EIGHT_BIT}) {
      assertThatThrownBy(() -> renderer.toEml(email, ascii))
          .isInstanceOf(MailException.class)
          .hasMessageContaining("SMTPUTF8")
          .hasMessageContaining("MimeChannel.UTF8")
          .hasMessageNotContaining("jürgen");
    }
    assertThatThrownBy(() -> renderer.toEml(email)).isInstanceOf(MailException.class);
  }

  @Test
  void anInternationalizedBccNeedsNoUtf8HeaderBecauseItIsNeverWritten() {
    Email email = base().bcc("jürgen@example.org").text("Hallo").build();

    String eml = eml(renderer.toEml(email, MimeChannel.SEVEN_BIT));

    assertThat(eml).doesNotContain("jürgen");
  }
}
