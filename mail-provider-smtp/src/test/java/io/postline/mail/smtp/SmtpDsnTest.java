package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.smtp.internal.SmtpProviderFactory;
import io.postline.mail.smtp.internal.SmtpsProviderFactory;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DSNs, defaults and settings checks; no connection is opened by any of these. */
class SmtpDsnTest {
  @RegisterExtension
  final Closer closer = new Closer();

  SmtpProvider create(String dsn) {
    SmtpProvider p = SmtpProvider.create(ProviderSettings.parse(dsn));
    closer.add(p);
    return p;
  }

  @Test
  void bothSchemesAreRegisteredForServiceLoader() {
    List<String> schemes = new ArrayList<>();
    for (MailProviderFactory f : ServiceLoader.load(MailProviderFactory.class)) {
      schemes.add(f.scheme());
    }
    assertThat(schemes).contains("smtp", "smtps");
    assertThat(new SmtpProviderFactory().scheme()).isEqualTo("smtp");
    assertThat(new SmtpsProviderFactory().scheme()).isEqualTo("smtps");
  }

  @Test
  void theFactoryCreatesANamedProvider() throws Exception {
    try (MailProvider p = new SmtpProviderFactory().create(
        ProviderSettings.parse("smtp://user:pa55@smtp.example.org").withName("primary"))) {
      assertThat(p.name()).isEqualTo("primary");
      assertThat(p).isInstanceOf(SmtpProvider.class);
    }
  }

  @Test
  void theTransportIsPostlinesEngineUnlessAngusIsAskedFor() {
    assertThat(create("smtp://localhost:2525?tls=none").toString()).contains("transport=postline");
    assertThat(create("smtp://localhost:2525?tls=none&transport=angus").toString()).contains("transport=angus");
    assertThatThrownBy(() -> create("smtp://localhost:2525?tls=none&transport=javamail"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transport");
  }

  @Test
  void smtpDefaultsToStartTlsOn587RequiredWithCredentials() {
    SmtpProvider p = create("smtp://user:pa55word@smtp.example.org");

    assertThat(p.toString()).contains("smtp.example.org:587").contains("tls=starttls(required)")
        .contains("auth=password").contains("poolSize=4").contains("connectTimeout=PT10S")
        .contains("readTimeout=PT1M").contains("writeTimeout=PT1M").contains("tlsVerify=true")
        .doesNotContain("pa55word");
  }

  @Test
  void smtpWithoutCredentialsUsesStartTlsWhenOffered() {
    assertThat(create("smtp://relay.example.org").toString())
        .contains("relay.example.org:587").contains("tls=starttls,").contains("auth=none");
  }

  @Test
  void explicitStartTlsIsRequired() {
    assertThat(create("smtp://relay.example.org?tls=starttls").toString()).contains("tls=starttls(required)");
  }

  @Test
  void smtpsIsImplicitTlsOn465() {
    assertThat(create("smtps://user:pw@smtp.example.org").toString())
        .contains("smtp.example.org:465").contains("tls=implicit");
    assertThat(create("smtp://smtp.example.org?tls=implicit").toString())
        .contains(":465").contains("tls=implicit");
  }

  @Test
  void tlsNoneDefaultsToPort25() {
    assertThat(create("smtp://localhost?tls=none").toString()).contains("localhost:25").contains("tls=none");
  }

  @Test
  void everyOptionIsRead() {
    SmtpProvider p = create("smtp://relay.example.org:2525?tls=none&connectTimeout=2s&readTimeout=3s"
        + "&writeTimeout=4s&poolSize=7&messagesPerConnection=50&idleTimeout=1m&acquireTimeout=5s"
        + "&validateAfterIdle=0ms&ehlo=client.example.org&maxMessageBytes=1000000&maxRecipients=50"
        + "&tagHeaders=true&messageIdDomain=mail.example.org");

    assertThat(p.toString()).contains("relay.example.org:2525").contains("connectTimeout=PT2S")
        .contains("readTimeout=PT3S").contains("writeTimeout=PT4S").contains("poolSize=7")
        .contains("messagesPerConnection=50").contains("idleTimeout=PT1M");
    assertThat(p.capabilities().maxMessageBytes()).isEqualTo(1_000_000);
    assertThat(p.capabilities().maxRecipients()).isEqualTo(50);
    assertThat(p.capabilities().tags()).isTrue();
    assertThat(p.capabilities().metadata()).isTrue();
  }

  @Test
  void capabilitiesByDefault() {
    SmtpProvider p = create("smtp://relay.example.org");

    assertThat(p.capabilities().attachments()).isTrue();
    assertThat(p.capabilities().tags()).isFalse();
    assertThat(p.capabilities().metadata()).isFalse();
    assertThat(p.capabilities().scheduling()).isFalse();
    assertThat(p.capabilities().maxRecipients()).isEqualTo(100);
    assertThat(p.capabilities().maxMessageBytes()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void unknownOptionsAreRefusedByName() {
    assertThatThrownBy(() -> create("smtp://relay.example.org?poolsize=3"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("poolsize")
        .hasMessageContaining("poolSize");
  }

  @Test
  void smtpsRefusesAnotherTlsMode() {
    assertThatThrownBy(() -> create("smtps://relay.example.org?tls=none"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("implicit");
  }

  @Test
  void aUserWithoutPasswordIsRefused() {
    assertThatThrownBy(() -> create("smtp://user@relay.example.org"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no password");
  }

  @Test
  void badValuesAreRefusedWithoutShowingTheSecret() {
    assertThatThrownBy(() -> create("smtp://user:t0psecret@relay.example.org?poolSize=0"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("poolSize")
        .hasMessageNotContaining("t0psecret");
    assertThatThrownBy(() -> create("smtp://user:t0psecret@relay.example.org?readTimeout=forever"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readTimeout")
        .hasMessageNotContaining("t0psecret");
    assertThatThrownBy(() -> create("smtp://relay.example.org?tls=ssl"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tls");
  }

  @Test
  void timeoutsAreNeverInfinite() {
    assertThatThrownBy(() -> SmtpProvider.builder("h").readTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("never infinite");
    assertThatThrownBy(() -> SmtpProvider.builder("h").connectTimeout(Duration.ofDays(2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
  }

  @Test
  void trustFilesMustBeReadable() {
    assertThatThrownBy(() -> create("smtp://relay.example.org?trustedCertificate=/nonexistent/relay.pem"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/nonexistent/relay.pem");
    assertThatThrownBy(() -> create("smtp://relay.example.org?trustStorePassword=x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trustStore");
  }

  @Test
  void trustSettingsMakeNoSenseWithoutTls() {
    assertThatThrownBy(() -> create("smtp://relay.example.org?tls=none&tlsVerify=false"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tls=none");
  }

  @Test
  void credentialsAndXoauth2Exclude() {
    assertThatThrownBy(() -> SmtpProvider.builder("h").credentials("u", "p").xoauth2("u", r -> "t"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aHostIsRequired() {
    assertThatThrownBy(() -> SmtpProvider.builder().build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
    assertThatThrownBy(() -> SmtpProvider.builder("bad host"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad host");
  }

  @Test
  void anIpv6LiteralHost() {
    assertThat(create("smtp://[::1]:2525?tls=none").toString()).contains("[::1]:2525");
  }

  @Test
  void insecureSettingsLogAWarningWithoutTheSecret() {
    ch.qos.logback.classic.Logger log =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SmtpProvider.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
        new ch.qos.logback.core.read.ListAppender<>();
    appender.start();
    log.addAppender(appender);
    try {
      create("smtp://user:pl4intext@relay.example.org?tls=none");
      create("smtp://user:pw@relay.example.org?tlsVerify=false");
      create("smtp://user:pw@relay.example.org");
    } finally {
      log.detachAppender(appender);
    }

    assertThat(appender.list).hasSize(2).allMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN);
    assertThat(appender.list.get(0).getFormattedMessage()).contains("plain text").contains("relay.example.org:25")
        .doesNotContain("pl4intext");
    assertThat(appender.list.get(1).getFormattedMessage()).contains("does not verify").contains("relay.example.org:587");
  }
}
