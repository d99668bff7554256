package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.SendResult;
import io.postline.mail.spi.ProviderSettings;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Delivery Status Notification parameters (RFC 3461): asked for per provider, sent where offered. */
@Timeout(30)
class SmtpDeliveryNotificationTest {
  @RegisterExtension
  final Closer closer = new Closer();

  private ScriptedSmtpServer scripted(String... extensions) throws Exception {
    ScriptedSmtpServer s = ScriptedSmtpServer.plain().extensions(extensions);
    closer.add(s);
    return s;
  }

  private SmtpProvider fromDsn(String dsn) {
    SmtpProvider p = SmtpProvider.create(ProviderSettings.parse(dsn));
    closer.add(p);
    return p;
  }

  private static Email email() {
    return Email.builder().from("shop@example.org").to("ann+x=1@example.org").cc("jürgen@example.org")
        .subject("s").text("t").build();
  }

  @Test
  void notifyAndOrcptGoOnEveryRcptAndRetAndEnvidOnMail() throws Exception {
    ScriptedSmtpServer server = scripted("PIPELINING", "DSN", "SMTPUTF8", "8BITMIME");
    SmtpProvider smtp = fromDsn("smtp://127.0.0.1:" + server.port()
        + "?tls=none&deliveryNotify=failure,delay&deliveryReturn=headers");

    SendResult result = smtp.send(email());

    List<String> commands = server.commands(1);
    String id = result.messageId().substring(1, result.messageId().length() - 1);
    assertThat(commands).anyMatch(c -> c.startsWith("MAIL FROM:<shop@example.org>") && c.contains(" RET=HDRS")
        && c.contains(" ENVID=" + id));
    // xtext: '+' and '=' are written +2B and +3D.
    assertThat(commands).contains("RCPT TO:<ann+x=1@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;ann+2Bx+3D1@example.org");
    // An internationalized recipient gets NOTIFY but no rfc822 ORCPT.
    assertThat(commands).contains("RCPT TO:<jürgen@example.org> NOTIFY=FAILURE,DELAY");
  }

  @Test
  void aServerWithoutDsnGetsNoneOfTheParametersAndTheMessageStillGoes() throws Exception {
    ScriptedSmtpServer server = scripted("PIPELINING", "SMTPUTF8");
    SmtpProvider smtp = SmtpProvider.builder("127.0.0.1").port(server.port()).tls(TlsMode.NONE)
        .readTimeout(Duration.ofSeconds(3)).deliveryNotify(EnumSet.of(DeliveryNotify.NEVER))
        .deliveryReturn(DeliveryReturn.FULL).build();
    closer.add(smtp);

    smtp.send(email());

    assertThat(server.received()).hasSize(1);
    assertThat(server.commands(1)).noneMatch(c -> c.contains("NOTIFY") || c.contains("RET=") || c.contains("ENVID")
        || c.contains("ORCPT"));
  }

  @Test
  void withoutTheOptionsNothingIsAskedEvenOfADsnServer() throws Exception {
    ScriptedSmtpServer server = scripted("PIPELINING", "DSN");

    fromDsn("smtp://127.0.0.1:" + server.port() + "?tls=none")
        .send(Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t").build());

    assertThat(server.commands(1)).noneMatch(c -> c.contains("NOTIFY") || c.contains("ENVID"));
  }

  @Test
  void theAngusTransportSendsNotifyAndRetToADsnServerToo() throws Exception {
    ScriptedSmtpServer server = scripted("DSN");

    fromDsn("smtp://127.0.0.1:" + server.port() + "?tls=none&transport=angus&deliveryNotify=SUCCESS&deliveryReturn=FULL")
        .send(Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t").build());

    assertThat(server.commands(1)).anyMatch(c -> c.startsWith("MAIL FROM:<shop@example.org>") && c.contains("RET=FULL"));
    assertThat(server.commands(1)).anyMatch(c -> c.startsWith("RCPT TO:<ann@example.org>") && c.contains("NOTIFY=SUCCESS"));
  }

  @Test
  void badOptionsAreRefusedWhenTheProviderIsBuilt() {
    assertThatThrownBy(() -> fromDsn("smtp://127.0.0.1:25?tls=none&deliveryNotify=never,failure"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NEVER cannot be combined");
    assertThatThrownBy(() -> fromDsn("smtp://127.0.0.1:25?tls=none&deliveryNotify=sometimes"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SUCCESS, FAILURE, DELAY or NEVER");
    assertThatThrownBy(() -> fromDsn("smtp://127.0.0.1:25?tls=none&deliveryReturn=all"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deliveryReturn");
    assertThatThrownBy(() -> SmtpProvider.builder("h").deliveryNotify(EnumSet.noneOf(DeliveryNotify.class)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
