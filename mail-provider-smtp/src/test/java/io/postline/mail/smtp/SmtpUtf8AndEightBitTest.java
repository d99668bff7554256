package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.ProviderException;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SMTPUTF8 (RFC 6531/6532) for internationalized addresses, and 8-bit text over 8BITMIME. */
@Timeout(30)
class SmtpUtf8AndEightBitTest {
  /** Lines starting with dots, a line of exactly 998 octets, and text in several scripts. */
  private static final String TEXT = "Grüße aus Köln!\r\n.leading dot\r\n..two\r\n.\r\n" + "ä".repeat(499)
      + "\r\n山田さん、こんにちは。\r\nend";

  @RegisterExtension
  static final GreenMailExtension GREEN_MAIL = new GreenMailExtension(new ServerSetup(0, "127.0.0.1", "smtp"));

  @RegisterExtension
  final Closer closer = new Closer();

  private SmtpProvider provider(int port, SmtpTransport transport) {
    SmtpProvider p = SmtpProvider.builder("127.0.0.1").name("utf8").port(port).tls(TlsMode.NONE)
        .transport(transport).readTimeout(Duration.ofSeconds(3)).build();
    closer.add(p);
    return p;
  }

  private ScriptedSmtpServer scripted(String... extensions) throws Exception {
    ScriptedSmtpServer s = ScriptedSmtpServer.plain().extensions(extensions);
    closer.add(s);
    return s;
  }

  @Test
  void anInternationalizedRecipientGoesWithSmtpUtf8AndUtf8Headers() throws Exception {
    ScriptedSmtpServer server = scripted("PIPELINING", "8BITMIME", "SMTPUTF8");
    Email email = Email.builder().from("shop@example.org").to("Jürgen <jürgen@bücher.example>")
        .bcc("山田@example.jp").subject("Grüße").text("Hallo Jürgen").build();

    provider(server.port(), SmtpTransport.POSTLINE).send(email);

    List<String> commands = server.commands(1);
    assertThat(commands).anyMatch(c -> c.startsWith("MAIL FROM:<shop@example.org>") && c.endsWith(" SMTPUTF8"));
    assertThat(commands).contains("RCPT TO:<jürgen@xn--bcher-kva.example>", "RCPT TO:<山田@example.jp>");
    ScriptedSmtpServer.Received got = server.received().get(0);
    assertThat(got.data()).contains("<jürgen@xn--bcher-kva.example>\r\n")
        .contains("Content-Transfer-Encoding: 8bit\r\n\r\nHallo Jürgen")
        .doesNotContain("山田");
  }

  @Test
  void aServerWithoutSmtpUtf8FailsSuchAMessagePermanentlyBeforeAnythingIsSent() throws Exception {
    ScriptedSmtpServer server = scripted("PIPELINING", "8BITMIME");
    SmtpProvider smtp = provider(server.port(), SmtpTransport.POSTLINE);
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").cc("jürgen@example.org")
        .subject("s").text("t").build();

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(email));

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.getMessage()).contains("SMTPUTF8").contains("nothing was sent").doesNotContain("jürgen");
    assertThat(server.commands()).noneMatch(c -> c.contains("MAIL") || c.contains("RCPT"));
    // The connection is still good for the next message.
    smtp.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t").build());
    assertThat(server.received()).hasSize(1);
    assertThat(server.connections()).isEqualTo(1);
  }

  @Test
  void theAngusTransportRefusesInternationalizedAddressesClearly() throws Exception {
    ScriptedSmtpServer server = scripted("8BITMIME", "SMTPUTF8");
    SmtpProvider smtp = provider(server.port(), SmtpTransport.ANGUS);
    Email email = Email.builder().from("jürgen@example.org").to("ann@example.org").subject("s").text("t").build();

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(email));

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.getMessage()).contains("transport=angus", "SMTPUTF8");
    assertThat(server.commands()).noneMatch(c -> c.contains("MAIL"));
  }

  @Test
  void withoutEightBitMimeUtf8TextGoesQuotedPrintableAndNoBodyParameter() throws Exception {
    ScriptedSmtpServer server = scripted("PIPELINING");

    provider(server.port(), SmtpTransport.POSTLINE)
        .send(Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text(TEXT).build());

    String data = server.received().get(0).data();
    assertThat(data).contains("Content-Transfer-Encoding: quoted-printable");
    assertThat(StandardCharsets.US_ASCII.newEncoder().canEncode(data)).isTrue();
    assertThat(server.commands(1)).noneMatch(c -> c.contains("BODY=8BITMIME"));
  }

  /**
   * GreenMail offers no 8BITMIME; a front adds it to the EHLO reply (GreenMail keeps 8-bit data
   * as it is). The body arrives byte for byte: dot-stuffing undone exactly, the 998-octet line whole.
   */
  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void eightBitTextArrivesAtGreenMailByteForByte(SmtpTransport transport) throws Exception {
    SmtpFront front = SmtpFront.plain(GREEN_MAIL.getSmtp().getPort()).extensions("8BITMIME");
    closer.add(front);
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject("Grüße").text(TEXT).build();

    provider(front.port(), transport).send(email);

    MimeMessage[] received = GREEN_MAIL.getReceivedMessages();
    assertThat(received).hasSize(1);
    byte[] body = received[0].getRawInputStream().readAllBytes();
    String expected = transport == SmtpTransport.POSTLINE ? TEXT : null;
    if (expected != null) {
      assertThat(received[0].getHeader("Content-Transfer-Encoding", null)).isEqualTo("8bit");
      // The CRLF the engine adds before the final dot belongs to the terminator: the body is exactly the text.
      assertThat(body).isEqualTo(TEXT.getBytes(StandardCharsets.UTF_8));
    } else {
      // Angus is never told about 8BITMIME: quoted-printable, which reads back the same.
      assertThat(received[0].getHeader("Content-Transfer-Encoding", null)).isEqualTo("quoted-printable");
    }
    assertThat(((String) received[0].getContent()).replaceFirst("\r\n$", "")).isEqualTo(TEXT);
  }
}
