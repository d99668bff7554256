package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.mime.DkimSigner;
import io.postline.mail.mime.PemKeys;
import io.postline.mail.mime.Smime;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.tck.DkimTestKeys;
import io.postline.mail.tck.Dkimpy;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * S/MIME through the SMTP provider: messages signed and encrypted by Postline, received by
 * GreenMail, checked with {@code openssl smime} / {@code openssl cms}. The certificates are made
 * by openssl too.
 */
@Timeout(120)
class SmimeSmtpTest {
  @TempDir static Path dir;

  @RegisterExtension
  static final GreenMailExtension GREENMAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
      .withPerMethodLifecycle(true);

  static Smime signing;
  static X509Certificate bob;

  @RegisterExtension
  final Closer closer = new Closer();

  @BeforeAll
  static void certificates() throws Exception {
    for (String who : List.of("billing", "bob")) {
      openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + who + "@example.org",
          "-addext", "subjectAltName=email:" + who + "@example.org",
          "-keyout", dir.resolve(who + ".key").toString(), "-out", dir.resolve(who + ".pem").toString());
    }
    signing = Smime.builder().signWith(PemKeys.privateKey(dir.resolve("billing.key")),
        PemKeys.certificates(dir.resolve("billing.pem"))).build();
    bob = PemKeys.certificates(dir.resolve("bob.pem")).get(0);
  }

  SmtpProvider provider(SmtpTransport transport, Smime smime, DkimSigner dkim) {
    SmtpProvider.Builder b = SmtpProvider.builder("127.0.0.1").port(GREENMAIL.getSmtp().getPort())
        .tls(TlsMode.NONE).transport(transport).smime(smime);
    if (dkim != null) {
      b.dkim(dkim);
    }
    SmtpProvider smtp = b.build();
    closer.add(smtp);
    return smtp;
  }

  static Email email() {
    return Email.builder().from("Billing <billing@example.org>").to("Bob Müller <bob@example.org>")
        .subject("Rechnung März").text("Hello Bob,\nplease pay 100 EUR.\n" + "x".repeat(1_500))
        .html("<p>Hello Bob</p>")
        .attach(io.postline.mail.Attachment.of("invoice.pdf", new byte[] {1, 2, 3, 4}, "application/pdf"))
        .header("X-Campaign", "invoices").build();
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void aSignedMessageVerifiesWithOpensslAndKeepsItsMessageIdAndHeaders(SmtpTransport transport) throws Exception {
    DkimSigner dkim = DkimSigner.builder().key("example.org", "rsa2025", DkimTestKeys.RSA.getPrivate()).build();
    SmtpProvider smtp = provider(transport, signing, dkim);

    SendResult result = smtp.send(email());

    Path received = write("signed.eml", received());
    Result verify = openssl("smime", "-verify", "-in", received.toString(), "-CAfile", dir.resolve("billing.pem").toString());
    assertThat(verify.err).contains("Verification successful");
    assertThat(verify.out).contains("please pay 100 EUR.").contains("invoice.pdf");
    MimeMessage m = new MimeMessage(null, Files.newInputStream(received));
    assertThat(m.getMessageID()).isEqualTo(result.messageId());
    assertThat(m.getHeader("X-Campaign")).containsExactly("invoices");
    assertThat(m.getSubject()).isEqualTo("Rechnung März");
    assertThat(m.getContentType()).startsWith("multipart/signed; protocol=\"application/pkcs7-signature\"");
    // DKIM signs the S/MIME message as sent.
    assertThat(Dkimpy.verify(Files.readAllBytes(received), Map.of("rsa2025._domainkey.example.org",
        Dkimpy.record(DkimTestKeys.RSA.getPublic())))).containsExactly("example.org rsa2025 rsa-sha256 pass");
  }

  @Test
  void aSignedBodyChangedInTransitFailsOpensslVerification() throws Exception {
    SmtpProvider smtp = provider(SmtpTransport.POSTLINE, signing, null);
    smtp.send(email());

    String text = new String(received(), StandardCharsets.ISO_8859_1);
    assertThat(text).contains("please pay 100 EUR.");
    Path tampered = write("tampered.eml", text.replace("please pay 100 EUR.", "please pay 900 EUR.")
        .getBytes(StandardCharsets.ISO_8859_1));

    Result verify = run(List.of("openssl", "smime", "-verify", "-in", tampered.toString(),
        "-CAfile", dir.resolve("billing.pem").toString()));
    assertThat(verify.exit).isNotZero();
    assertThat(verify.err).contains("Verification failure");
  }

  @Test
  void aSignedAndEncryptedMessageDecryptsForItsRecipientAndThenVerifies() throws Exception {
    Smime both = Smime.builder().signWith(PemKeys.privateKey(dir.resolve("billing.key")),
        PemKeys.certificates(dir.resolve("billing.pem")))
        .encryptTo(a -> a.email().equals("bob@example.org") ? Optional.of(bob) : Optional.empty()).build();
    SmtpProvider smtp = provider(SmtpTransport.POSTLINE, both, null);

    SendResult result = smtp.send(email());

    byte[] bytes = received();
    assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain("please pay");
    Path received = write("encrypted.eml", bytes);
    MimeMessage m = new MimeMessage(null, Files.newInputStream(received));
    assertThat(m.getMessageID()).isEqualTo(result.messageId());
    assertThat(m.getContentType()).contains("application/pkcs7-mime").contains("smime-type=enveloped-data");
    Path decrypted = dir.resolve("decrypted.eml");
    openssl("cms", "-decrypt", "-in", received.toString(), "-recip", dir.resolve("bob.pem").toString(),
        "-inkey", dir.resolve("bob.key").toString(), "-out", decrypted.toString());
    Result verify = openssl("smime", "-verify", "-in", decrypted.toString(), "-CAfile", dir.resolve("billing.pem").toString());
    assertThat(verify.err).contains("Verification successful");
    assertThat(verify.out).contains("please pay 100 EUR.");
  }

  @Test
  void aRecipientWithoutACertificateFailsPermanentlyAndNothingIsSent() {
    Smime encrypting = Smime.builder().encryptTo(a -> Optional.empty()).build();
    SmtpProvider smtp = provider(SmtpTransport.POSTLINE, encrypting, null);

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(email()));

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.getMessage()).contains("no S/MIME certificate to encrypt to for recipient(s) [b***@example.org]")
        .doesNotContain("bob@example.org");
    assertThat(GREENMAIL.getReceivedMessages()).isEmpty();
  }

  @Test
  void dsnOptionsSignWithPkcs12AndEncryptToRsaAndEcCertificatesFromADirectory() throws Exception {
    Path recipients = Files.createDirectories(dir.resolve("recipients"));
    Files.copy(dir.resolve("bob.pem"), recipients.resolve("bob@example.org.pem"));
    // Carol holds an EC (P-256) certificate: encryption to her is ECDH key agreement.
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=carol@example.org", "-addext", "subjectAltName=email:carol@example.org",
        "-keyout", dir.resolve("carol.key").toString(), "-out", recipients.resolve("carol@example.org.pem").toString());
    openssl("pkcs12", "-export", "-inkey", dir.resolve("billing.key").toString(), "-in",
        dir.resolve("billing.pem").toString(), "-passout", "pass:p12-secret", "-out", dir.resolve("billing.p12").toString());
    ProviderSettings dsn = ProviderSettings.parse("smtp://127.0.0.1:" + GREENMAIL.getSmtp().getPort() + "?tls=none"
        + "&smime.key=" + dir.resolve("billing.p12") + "&smime.password=p12-secret&smime.encrypt=" + recipients);
    SmtpProvider smtp = SmtpProvider.create(dsn);
    closer.add(smtp);

    SendResult result = smtp.send(Email.builder().from("Billing <billing@example.org>").to("bob@example.org")
        .cc("Carol <CAROL@example.org>").subject("Rechnung").text("please pay 100 EUR.").build());

    MimeMessage[] messages = GREENMAIL.getReceivedMessages();
    assertThat(messages).hasSize(2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    messages[0].writeTo(out);
    assertThat(new String(out.toByteArray(), StandardCharsets.ISO_8859_1)).doesNotContain("please pay");
    assertThat(messages[0].getMessageID()).isEqualTo(result.messageId());
    Path received = write("to-both.eml", out.toByteArray());
    for (String who : List.of("carol", "bob")) {
      Path decrypted = dir.resolve("decrypted-" + who + ".eml");
      Path certificate = who.equals("bob") ? dir.resolve("bob.pem") : recipients.resolve("carol@example.org.pem");
      openssl("cms", "-decrypt", "-in", received.toString(), "-recip", certificate.toString(),
          "-inkey", dir.resolve(who + ".key").toString(), "-out", decrypted.toString());
      Result verify = openssl("smime", "-verify", "-in", decrypted.toString(), "-CAfile",
          dir.resolve("billing.pem").toString());
      assertThat(verify.err).contains("Verification successful");
      assertThat(verify.out).contains("please pay 100 EUR.");
    }
    assertThat(openssl("cms", "-cmsout", "-print", "-in", received.toString()).out)
        .contains("dhSinglePass-stdDH-sha256kdf-scheme").contains("rsaEncryption");
    for (String printed : List.of(dsn.toString(), dsn.maskedDsn(), smtp.toString())) {
      assertThat(printed).doesNotContain("p12-secret").doesNotContain("billing.p12");
    }
  }

  @Test
  void dsnOptionsSignWithAPemKeyAndItsChain() throws Exception {
    SmtpProvider smtp = SmtpProvider.create(ProviderSettings.parse("smtp://127.0.0.1:" + GREENMAIL.getSmtp().getPort()
        + "?tls=none&smime.key=" + dir.resolve("billing.key") + "&smime.cert=" + dir.resolve("billing.pem")));
    closer.add(smtp);

    smtp.send(email());

    Path received = write("pem-signed.eml", received());
    Result verify = openssl("smime", "-verify", "-in", received.toString(), "-CAfile", dir.resolve("billing.pem").toString());
    assertThat(verify.err).contains("Verification successful");
  }

  @Test
  void aCertificateLookupThatFailsIsTransientAndAnErrorFromItIsNotSwallowed() {
    SmtpProvider down = provider(SmtpTransport.POSTLINE, Smime.builder().encryptTo(a -> {
      throw new IllegalStateException("directory down");
    }).build(), null);

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> down.send(email()));

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage()).contains("the S/MIME certificate lookup failed (java.lang.IllegalStateException)");
    assertThat(e.getCause()).hasMessage("directory down");

    SmtpProvider broken = provider(SmtpTransport.POSTLINE, Smime.builder().encryptTo(a -> {
      throw new LinkageError("broken lookup");
    }).build(), null);
    assertThat(catchThrowableOfType(LinkageError.class, () -> broken.send(email()))).hasMessage("broken lookup");
    assertThat(GREENMAIL.getReceivedMessages()).isEmpty();
  }

  @Test
  void anExpiredRecipientCertificateFailsPermanentlyAndNothingIsSent() throws Exception {
    java.security.KeyPair pair = io.postline.mail.tck.Dkimpy.rsa(2048);
    java.time.Instant now = java.time.Instant.now();
    org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=bob@example.org");
    X509Certificate expired = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
        new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, java.math.BigInteger.TEN,
            java.util.Date.from(now.minus(java.time.Duration.ofDays(30))),
            java.util.Date.from(now.minus(java.time.Duration.ofDays(1))), name, pair.getPublic())
            .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
    SmtpProvider smtp = provider(SmtpTransport.POSTLINE, Smime.builder().encryptTo(a -> Optional.of(expired)).build(), null);

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(email()));

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.getMessage()).contains("the S/MIME certificate of recipient b***@example.org is expired");
    assertThat(GREENMAIL.getReceivedMessages()).isEmpty();
  }

  static byte[] received() throws Exception {
    MimeMessage[] messages = GREENMAIL.getReceivedMessages();
    assertThat(messages).hasSize(1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    messages[0].writeTo(out);
    return out.toByteArray();
  }

  static Path write(String name, byte[] bytes) throws Exception {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    return file;
  }

  record Result(int exit, String out, String err) {}

  /** Runs openssl and requires success. */
  static Result openssl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Result r = run(command);
    assertThat(r.exit).as("%s failed: %s", command, r.err).isZero();
    return r;
  }

  static Result run(List<String> command) throws Exception {
    Path err = Files.createTempFile(dir, "openssl", ".err");
    Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out, Files.readString(err));
  }
}
