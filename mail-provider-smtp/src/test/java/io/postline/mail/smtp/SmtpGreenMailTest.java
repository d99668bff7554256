package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.core.HealthStatus;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.MailerHealth;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.tck.DeliveredAttachment;
import io.postline.mail.tck.DeliveredMessage;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The provider against GreenMail, a real SMTP server in-process: TLS, AUTH, content, probe. */
@Timeout(60)
class SmtpGreenMailTest {
  static final String PASSWORD = "gr33n-Secret";

  @RegisterExtension
  static final GreenMailExtension GREENMAIL = new GreenMailExtension(
      new ServerSetup[] {ServerSetupTest.SMTP.dynamicPort(), ServerSetupTest.SMTPS.dynamicPort()})
      .withConfiguration(GreenMailConfiguration.aConfig().withUser("ann@example.org", "ann", PASSWORD))
      .withPerMethodLifecycle(true);

  @RegisterExtension
  final Closer closer = new Closer();
  SmtpFront tlsFront;

  @BeforeEach
  void front() throws Exception {
    tlsFront = SmtpFront.startTls(GREENMAIL.getSmtp().getPort(), TestTls.localhostServer());
    closer.add(tlsFront);
  }

  static Email simple(String subject) {
    return Email.builder().from("Shop <shop@example.org>").to("Bob <bob@example.org>")
        .subject(subject).text("Hello Bob").build();
  }

  DeliveredMessage single() throws Exception {
    List<DeliveredMessage> all = GreenMailInbox.read(GREENMAIL);
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  @Test
  void sendsOverPlainSmtpWhenTlsIsNone() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("127.0.0.1").port(GREENMAIL.getSmtp().getPort())
        .tls(TlsMode.NONE).build());

    SendResult result = smtp.send(simple("plain"));

    assertThat(result.provider()).isEqualTo("smtp");
    assertThat(result.messageId()).startsWith("<").endsWith("@example.org>");
    assertThat(result.accepted()).containsExactly(Address.of("bob@example.org", "Bob"));
    DeliveredMessage m = single();
    assertThat(m.subject()).isEqualTo("plain");
    assertThat(m.header("Message-ID")).contains(result.messageId());
  }

  @Test
  void opportunisticStartTlsWithoutCredentialsFallsBackToPlainWhenNotOffered() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(GREENMAIL.getSmtp().getPort()).build());

    smtp.send(simple("opportunistic"));

    assertThat(single().subject()).isEqualTo("opportunistic");
  }

  @Test
  void startTlsWithAnExplicitlyTrustedSelfSignedCertificateAndAuth() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(tlsFront.port())
        .credentials("ann", PASSWORD).trustedCertificate(TestTls.LOCALHOST_PEM).build());

    smtp.send(simple("over starttls"));

    assertThat(tlsFront.upgrades()).isEqualTo(1);
    assertThat(single().subject()).isEqualTo("over starttls");
  }

  @Test
  void startTlsWithATrustStore() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.create(io.postline.mail.spi.ProviderSettings.parse(
        "smtp://ann:" + PASSWORD + "@localhost:" + tlsFront.port() + "?trustStore=" + TestTls.TRUSTSTORE
            + "&trustStorePassword=trustpass")));

    smtp.send(simple("trust store"));

    assertThat(tlsFront.upgrades()).isEqualTo(1);
    assertThat(single().subject()).isEqualTo("trust store");
  }

  @Test
  void startTlsRefusesASelfSignedCertificateThatIsNotTrusted() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(tlsFront.port())
        .credentials("ann", PASSWORD).build());

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(simple("untrusted")));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("localhost:" + tlsFront.port())
        .contains("TLS certificate is not trusted").contains("check the trust settings")
        .contains("trustedCertificate=").contains("trustStore=");
    assertThat(GreenMailInbox.read(GREENMAIL)).isEmpty();
  }

  @Test
  void credentialsWithoutTlsNoneRequireStartTls() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(GREENMAIL.getSmtp().getPort())
        .credentials("ann", PASSWORD).build());

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(simple("no tls")));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("STARTTLS");
    assertThat(GreenMailInbox.read(GREENMAIL)).isEmpty();
  }

  @Test
  void smtpsWithATrustedCertificate() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.create(io.postline.mail.spi.ProviderSettings.parse(
        "smtps://ann:" + PASSWORD + "@localhost:" + GREENMAIL.getSmtps().getPort()
            + "?trustedCertificate=" + TestTls.LOCALHOST_PEM)));

    smtp.send(simple("over smtps"));

    assertThat(single().subject()).isEqualTo("over smtps");
  }

  @Test
  void smtpsRefusesAnUntrustedCertificate() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(GREENMAIL.getSmtps().getPort())
        .tls(TlsMode.IMPLICIT).build());

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(simple("untrusted")));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("TLS certificate is not trusted").contains("trustedCertificate=");
    assertThat(GreenMailInbox.read(GREENMAIL)).isEmpty();
  }

  @Test
  void authFailureIsProviderUnavailableWithTheReplyCode() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(tlsFront.port())
        .credentials("ann", "wrong-" + PASSWORD).trustedCertificate(TestTls.LOCALHOST_PEM).build());

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(simple("bad login")));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.code()).contains("535 5.7.8");
    assertThat(e.getMessage()).contains("refused the login").doesNotContain(PASSWORD);
    assertThat(GreenMailInbox.read(GREENMAIL)).isEmpty();
  }

  @Test
  void xoauth2AsksForANewTokenWhenTheServerRefusesTheCachedOne() throws Exception {
    GREENMAIL.setUser("oauth@example.org", "oauth", "fresh-token-2");
    List<Boolean> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(tlsFront.port())
        .xoauth2("oauth", refresh -> {
          asked.add(refresh);
          return refresh ? "fresh-token-2" : "expired-token-1";
        })
        .trustedCertificate(TestTls.LOCALHOST_PEM).build());

    smtp.send(simple("oauth"));

    assertThat(asked).containsExactly(false, true);
    assertThat(single().subject()).isEqualTo("oauth");
  }

  @Test
  void xoauth2RefusedTwiceIsProviderUnavailable() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(tlsFront.port())
        .xoauth2("ann", refresh -> "never-valid")
        .trustedCertificate(TestTls.LOCALHOST_PEM).build());

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(simple("oauth")));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).doesNotContain("never-valid");
  }

  @Test
  void utf8AttachmentsAndInlineImagesArriveIntact() throws Exception {
    byte[] pdf = new byte[70_000];
    new Random(42).nextBytes(pdf);
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 9, 8, 7};
    Email email = Email.builder()
        .from(Address.of("shop@example.org", "Bücherstube Köln"))
        .to(Address.of("anna@bücher.example", "Anna Müller"))
        .subject("Ihre Bestellung – 注文 ✉ 😀")
        .text("Grüße 😀")
        .html("<p>Grüße <img src=\"cid:logo\"></p>")
        .attach(Attachment.of("Rechnung März.pdf", pdf, "application/pdf"))
        .attach(Attachment.inline("logo", png, "image/png"))
        .build();
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(tlsFront.port())
        .credentials("ann", PASSWORD).trustedCertificate(TestTls.LOCALHOST_PEM).build());

    smtp.send(email);

    DeliveredMessage m = single();
    assertThat(m.subject()).isEqualTo("Ihre Bestellung – 注文 ✉ 😀");
    assertThat(m.from().name()).contains("Bücherstube Köln");
    assertThat(m.to()).containsExactly(Address.of("anna@bücher.example", "Anna Müller"));
    assertThat(m.text()).hasValueSatisfying(t -> assertThat(t.strip()).isEqualTo("Grüße 😀"));
    assertThat(m.attachments()).hasSize(2);
    DeliveredAttachment file = m.attachments().stream().filter(a -> !a.isInline()).findFirst().orElseThrow();
    assertThat(file.fileName()).isEqualTo("Rechnung März.pdf");
    assertThat(file.content()).isEqualTo(pdf);
    DeliveredAttachment logo = m.attachments().stream().filter(DeliveredAttachment::isInline).findFirst().orElseThrow();
    assertThat(logo.contentId()).contains("logo");
    assertThat(logo.content()).isEqualTo(png);
  }

  @Test
  void probeConnectsSaysEhloAndNoop() throws Exception {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(tlsFront.port())
        .credentials("ann", PASSWORD).trustedCertificate(TestTls.LOCALHOST_PEM).build());

    smtp.probe(Duration.ofSeconds(5));

    assertThat(tlsFront.accepted()).isEqualTo(1);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> tlsFront.quits() == 1);
  }

  @Test
  void mailerHealthIsUpWithAReachableServerAndDownWithBadCredentials() {
    SmtpProvider good = SmtpProvider.builder("localhost").name("good").port(tlsFront.port())
        .credentials("ann", PASSWORD).trustedCertificate(TestTls.LOCALHOST_PEM).build();
    SmtpProvider bad = SmtpProvider.builder("localhost").name("bad").port(tlsFront.port())
        .credentials("ann", "nope").trustedCertificate(TestTls.LOCALHOST_PEM).build();
    Mailer mailer = closer.add(Mailer.builder().provider(good).provider(bad).build());

    MailerHealth health = mailer.health();

    assertThat(health.providers()).anySatisfy(p -> {
      assertThat(p.provider()).isEqualTo("good");
      assertThat(p.status()).isEqualTo(HealthStatus.UP);
    });
    assertThat(health.providers()).anySatisfy(p -> {
      assertThat(p.provider()).isEqualTo("bad");
      assertThat(p.status()).isNotEqualTo(HealthStatus.UP);
    });
  }
}
