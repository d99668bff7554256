package io.postline.mail.smtp;

import io.postline.mail.tck.Dkimpy;
import static io.postline.mail.tck.DkimTestKeys.ED25519;
import static io.postline.mail.tck.DkimTestKeys.RECORDS;
import static io.postline.mail.tck.DkimTestKeys.RSA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.mime.DkimCanonicalization;
import io.postline.mail.mime.DkimSigner;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DKIM through the SMTP provider: messages signed by Postline, received by GreenMail (a real SMTP
 * server), verified by dkimpy with the public keys given directly.
 */
@Timeout(120)
class DkimSmtpTest {

  @RegisterExtension
  static final GreenMailExtension GREENMAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
      .withPerMethodLifecycle(true);

  @RegisterExtension
  final Closer closer = new Closer();

  static DkimSigner.Builder dual() {
    return DkimSigner.builder()
        .key("example.org", "rsa2025", RSA.getPrivate())
        .key("example.org", "ed2025", ED25519.getPrivate());
  }

  SmtpProvider provider(DkimSigner signer, SmtpTransport transport) {
    SmtpProvider smtp = SmtpProvider.builder("127.0.0.1").port(GREENMAIL.getSmtp().getPort())
        .tls(TlsMode.NONE).transport(transport).dkim(signer).build();
    closer.add(smtp);
    return smtp;
  }

  static Email rich(String from) {
    return Dkimpy.richEmail(from);
  }

  static byte[] received() throws Exception {
    MimeMessage[] messages = GREENMAIL.getReceivedMessages();
    assertThat(messages).hasSize(2); // bob and carol's copies; both are the same bytes
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    messages[0].writeTo(out);
    return out.toByteArray();
  }

  static String header(byte[] message, String name) throws Exception {
    MimeMessage m = new MimeMessage(null, new java.io.ByteArrayInputStream(message));
    String[] values = m.getHeader(name);
    return values == null ? null : values[0];
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void dualRsaAndEd25519SignaturesVerifyWithDkimpy(SmtpTransport transport) throws Exception {
    SmtpProvider smtp = provider(dual().build(), transport);

    SendResult result = smtp.send(rich("billing@example.org"));

    byte[] message = received();
    assertThat(Dkimpy.verify(message, RECORDS)).containsExactly(
        "example.org rsa2025 rsa-sha256 pass", "example.org ed2025 ed25519-sha256 pass");
    // Signing left the Message-ID as rendered, and it is among the signed headers.
    assertThat(header(message, "Message-ID")).isEqualTo(result.messageId());
    String signature = header(message, "DKIM-Signature").replaceAll("\\s+", "");
    assertThat(signature).contains("c=relaxed/relaxed")
        .contains("h=from:from:to:cc:subject:date:message-id:mime-version:content-type:reply-to:"
            + "list-unsubscribe:list-unsubscribe-post;")
        .doesNotContain("l=");
    assertThat(smtp.capabilities().dkimSigning()).isEqualTo(Capabilities.DkimSigning.POSTLINE);
  }

  @Test
  void simpleCanonicalizationVerifiesToo() throws Exception {
    SmtpProvider smtp = provider(dual().canonicalization(DkimCanonicalization.SIMPLE, DkimCanonicalization.SIMPLE)
        .build(), SmtpTransport.POSTLINE);

    smtp.send(rich("billing@example.org"));

    byte[] message = received();
    assertThat(header(message, "DKIM-Signature")).contains("c=simple/simple");
    assertThat(Dkimpy.verify(message, RECORDS)).containsExactly(
        "example.org rsa2025 rsa-sha256 pass", "example.org ed2025 ed25519-sha256 pass");
  }

  @Test
  void aBodyOrSignedHeaderChangedInTransitFailsVerification() throws Exception {
    SmtpProvider smtp = provider(dual().build(), SmtpTransport.POSTLINE);
    smtp.send(Email.builder().from("billing@example.org").to("bob@example.org")
        .subject("Invoice").text("Please pay 100 EUR to account 1234.").build());
    byte[] message = GREENMAIL.getReceivedMessages().length == 1 ? bytes(GREENMAIL.getReceivedMessages()[0]) : null;
    assertThat(message).isNotNull();
    assertThat(Dkimpy.verify(message, RECORDS)).allMatch(line -> line.endsWith(" pass")).hasSize(2);

    byte[] body = replace(message, "pay 100 EUR", "pay 900 EUR");
    assertThat(Dkimpy.verify(body, RECORDS)).hasSize(2)
        .allMatch(line -> line.contains(" fail ") && line.contains("body hash mismatch"));

    byte[] subject = replace(message, "Subject: Invoice", "Subject: Invoize");
    assertThat(Dkimpy.verify(subject, RECORDS)).hasSize(2).allMatch(line -> line.contains(" fail "));

    // A second From added below the first breaks it too: From is over-signed.
    byte[] secondFrom = replace(message, "Subject: Invoice", "From: ceo@example.org\r\nSubject: Invoice");
    assertThat(Dkimpy.verify(secondFrom, RECORDS)).hasSize(2).allMatch(line -> line.contains(" fail "));
  }

  @Test
  void aSenderBelowTheSigningDomainIsSignedWithItsKeys() throws Exception {
    SmtpProvider smtp = provider(DkimSigner.builder().key("example.org", "rsa2025", RSA.getPrivate()).build(),
        SmtpTransport.POSTLINE);

    smtp.send(rich("news@shop.example.org"));

    assertThat(Dkimpy.verify(received(), RECORDS)).containsExactly("example.org rsa2025 rsa-sha256 pass");
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void aSenderWhoseDomainHasNoKeyIsNotSentButFailsPermanently(SmtpTransport transport) {
    SmtpProvider smtp = provider(dual().build(), transport);

    ProviderException e = catchThrowableOfType(ProviderException.class,
        () -> smtp.send(rich("billing@example.net")));

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.getMessage()).contains("DKIM").contains("no DKIM key for the From domain example.net")
        .contains("[example.org]");
    assertThat(GREENMAIL.getReceivedMessages()).isEmpty();
  }

  @Test
  void dsnOptionsSignWithAPemFileThatNoPrintedFormShows(@TempDir Path dir) throws Exception {
    Path pem = dir.resolve("dkim.pem");
    String pemText = Dkimpy.pem(RSA.getPrivate());
    Files.writeString(pem, pemText);
    ProviderSettings dsn = ProviderSettings.parse("smtp://127.0.0.1:" + GREENMAIL.getSmtp().getPort()
        + "?tls=none&dkim.domain=example.org&dkim.selector=rsa2025&dkim.key=" + pem);
    SmtpProvider smtp = SmtpProvider.create(dsn);
    closer.add(smtp);

    smtp.send(rich("billing@example.org"));

    assertThat(Dkimpy.verify(received(), RECORDS)).containsExactly("example.org rsa2025 rsa-sha256 pass");
    String keyBase64 = Base64.getEncoder().encodeToString(RSA.getPrivate().getEncoded());
    for (String printed : List.of(dsn.toString(), dsn.maskedDsn(), smtp.toString())) {
      assertThat(printed).doesNotContain(pem.toString()).doesNotContain(keyBase64.substring(0, 40));
    }
    assertThat(smtp.toString()).contains("dkim=[example.org]");
  }

  @Test
  void numberedDsnKeysSignTwiceForRotationAndPerFromDomain(@TempDir Path dir) throws Exception {
    Path rsaPem = dir.resolve("rsa.pem");
    Files.writeString(rsaPem, Dkimpy.pem(RSA.getPrivate()));
    KeyPair net = Dkimpy.rsa(2048);
    Path netPem = dir.resolve("net.pem");
    Files.writeString(netPem, Dkimpy.pem(net.getPrivate()));
    String edPem = URLEncoder.encode(Dkimpy.pem(ED25519.getPrivate()), StandardCharsets.UTF_8).replace("+", "%20");
    ProviderSettings dsn = ProviderSettings.parse("smtp://127.0.0.1:" + GREENMAIL.getSmtp().getPort()
        + "?tls=none&dkim.domain=example.org"
        + "&dkim.1.selector=rsa2025&dkim.1.key=" + rsaPem
        + "&dkim.2.selector=ed2025&dkim.2.keyPem=" + edPem
        + "&dkim.3.domain=example.net&dkim.3.selector=net1&dkim.3.key=" + netPem);
    SmtpProvider smtp = SmtpProvider.create(dsn);
    closer.add(smtp);

    smtp.send(rich("billing@example.org"));
    assertThat(Dkimpy.verify(received(), RECORDS)).containsExactly(
        "example.org rsa2025 rsa-sha256 pass", "example.org ed2025 ed25519-sha256 pass");

    smtp.send(rich("billing@example.net"));
    MimeMessage[] all = GREENMAIL.getReceivedMessages();
    assertThat(all).hasSize(4);
    byte[] fromNet = null;
    for (MimeMessage m : all) {
      if (m.getFrom()[0].toString().contains("billing@example.net")) {
        fromNet = bytes(m);
      }
    }
    assertThat(fromNet).isNotNull();
    assertThat(Dkimpy.verify(fromNet, Map.of("net1._domainkey.example.net", Dkimpy.record(net.getPublic()))))
        .containsExactly("example.net net1 rsa-sha256 pass");

    String edBase64 = Base64.getEncoder().encodeToString(ED25519.getPrivate().getEncoded());
    for (String printed : List.of(dsn.toString(), dsn.maskedDsn(), smtp.toString())) {
      assertThat(printed).doesNotContain(rsaPem.toString()).doesNotContain(netPem.toString())
          .doesNotContain(edBase64.substring(0, 30)).doesNotContain("BEGIN");
    }
  }

  @Test
  void dsnErrorsNameTheOptionAndShowNeitherKeyNorPath() {
    assertThatThrownBy(() -> SmtpProvider.create(ProviderSettings.parse(
        "smtp://localhost:25?tls=none&dkim.domain=example.org&dkim.key=/etc/dkim.pem")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DKIM key dkim.* of provider smtp needs dkim.selector");

    String keyBase64 = Base64.getEncoder().encodeToString(RSA.getPrivate().getEncoded());
    String pasted = "-----BEGIN PRIVATE KEY-----\n" + keyBase64 + "\n-----END PRIVATE KEY-----";
    assertThatThrownBy(() -> SmtpProvider.create(ProviderSettings.parse(
        "smtp://localhost:25?tls=none&dkim.domain=example.org&dkim.selector=s&dkim.key="
            + URLEncoder.encode(pasted, StandardCharsets.UTF_8).replace("+", "%2B"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("option dkim.key of provider smtp is the path of a PKCS#8 PEM file, not the key itself")
        .message().doesNotContain(keyBase64.substring(0, 40));

    assertThatThrownBy(() -> SmtpProvider.create(ProviderSettings.parse(
        "smtp://localhost:25?tls=none&dkim.domain=example.org&dkim.2.selector=s&dkim.2.key=/nonexistent/dkim.pem")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("option dkim.2.key of provider smtp: cannot read the PEM private key file "
            + "(NoSuchFileException)")
        .message().doesNotContain("nonexistent");

    assertThatThrownBy(() -> SmtpProvider.create(ProviderSettings.parse(
        "smtp://localhost:25?tls=none&dkim.1.selectr=s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown DKIM option dkim.1.selectr of provider smtp");
  }

  static byte[] bytes(MimeMessage m) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.writeTo(out);
    return out.toByteArray();
  }

  static byte[] replace(byte[] message, String from, String to) {
    String text = new String(message, StandardCharsets.ISO_8859_1);
    assertThat(text).contains(from);
    return text.replace(from, to).getBytes(StandardCharsets.ISO_8859_1);
  }
}
