package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.runner;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postline.mail.Email;
import io.postline.mail.core.Mailer;
import io.postline.mail.tck.Dkimpy;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * DKIM keys and S/MIME settings from Spring Boot properties reach the provider: a key from a file
 * and one as PEM text (as {@code ${DKIM_KEY}} gives it from the environment) sign through the
 * SMTP provider, GreenMail receives, dkimpy verifies; a wrong setting stops start-up naming it.
 */
@Timeout(120)
class SigningPropertiesTest {
  static final KeyPair RSA = Dkimpy.rsa(2048);
  static final KeyPair ED25519 = Dkimpy.ed25519();

  @RegisterExtension
  static final GreenMailExtension GREENMAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
      .withPerMethodLifecycle(true);

  String dsn() {
    return "postline.mail.providers.relay.dsn=smtp://127.0.0.1:" + GREENMAIL.getSmtp().getPort() + "?tls=none";
  }

  @Test
  void dualKeysFromAFileAndFromPemTextSignEveryMessage(@TempDir Path dir) throws Exception {
    Path rsaPem = dir.resolve("rsa.pem");
    Files.writeString(rsaPem, Dkimpy.pem(RSA.getPrivate()));
    runner()
        .withPropertyValues(dsn(), "postline.mail.providers.relay.dkim.domain=example.org",
            "postline.mail.providers.relay.dkim.keys[0].selector=rsa2025",
            "postline.mail.providers.relay.dkim.keys[0].key-file=" + rsaPem,
            "postline.mail.providers.relay.dkim.keys[1].selector=ed2025",
            "postline.mail.providers.relay.dkim.keys[1].key-pem=" + Dkimpy.pem(ED25519.getPrivate()))
        .run(context -> {
          assertThat(context).hasNotFailed();
          context.getBean(Mailer.class).send(Email.builder().from("shop@example.org").to("ann@example.org")
              .subject("Grüße").text("Hello Ann").build());

          MimeMessage[] received = GREENMAIL.getReceivedMessages();
          assertThat(received).hasSize(1);
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          received[0].writeTo(out);
          assertThat(Dkimpy.verify(out.toByteArray(), Map.of(
              "rsa2025._domainkey.example.org", Dkimpy.record(RSA.getPublic()),
              "ed2025._domainkey.example.org", Dkimpy.record(ED25519.getPublic()))))
              .containsExactly("example.org rsa2025 rsa-sha256 pass", "example.org ed2025 ed25519-sha256 pass");
        });
  }

  @Test
  void aWrongKeyStopsStartUpNamingTheDkimPropertiesAndShowsNoKey(@TempDir Path dir) {
    String shortKey = Dkimpy.pem(Dkimpy.rsa(1024).getPrivate());
    runner()
        .withPropertyValues(dsn(), "postline.mail.providers.relay.dkim.keys[0].domain=example.org",
            "postline.mail.providers.relay.dkim.keys[0].selector=old",
            "postline.mail.providers.relay.dkim.keys[0].key-pem=" + shortKey)
        .run(context -> {
          InvalidPostlinePropertyException failure = invalid(context.getStartupFailure());
          assertThat(failure.property()).isEqualTo("postline.mail.providers.relay.dkim");
          assertThat(failure.getMessage()).contains("dkim.0.*").contains("RSA key of 1024 bits")
              .doesNotContain(shortKey.substring(30, 70));
        });
    runner()
        .withPropertyValues(dsn() + "&dkim.domain=example.org", "postline.mail.providers.relay.dkim.keys[0].selector=s",
            "postline.mail.providers.relay.dkim.keys[0].key-file=" + dir.resolve("k.pem"))
        .run(context -> {
          InvalidPostlinePropertyException failure = invalid(context.getStartupFailure());
          assertThat(failure.property()).isEqualTo("postline.mail.providers.relay.dkim");
          assertThat(failure.getMessage()).contains("has the option dkim.domain too");
        });
    runner()
        .withPropertyValues(dsn(), "postline.mail.providers.relay.smime.encrypt-directory=" + dir.resolve("nowhere"))
        .run(context -> {
          InvalidPostlinePropertyException failure = invalid(context.getStartupFailure());
          assertThat(failure.property()).isEqualTo("postline.mail.providers.relay.smime");
          assertThat(failure.getMessage()).contains("S/MIME recipient certificate directory is not a readable directory")
              .doesNotContain("nowhere");
        });
  }

  static InvalidPostlinePropertyException invalid(Throwable startupFailure) {
    assertThat(startupFailure).isNotNull();
    Throwable t = startupFailure;
    while (!(t instanceof InvalidPostlinePropertyException) && t.getCause() != null) {
      t = t.getCause();
    }
    assertThat(t).isInstanceOf(InvalidPostlinePropertyException.class);
    return (InvalidPostlinePropertyException) t;
  }
}
