package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import io.postline.mail.Email;
import io.postline.mail.smtp.ScriptedSmtpServer.Step;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.tck.LogCapture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Captures every log line (TRACE and up, the SMTP conversation included) while the provider goes
 * through its failure paths, and checks that no password or token, in clear or base64, no message
 * body and no unmasked recipient address ever appears, in logs or in exceptions.
 */
@Timeout(60)
class SmtpSecretHygieneTest {
  static final String USER = "mailer";
  static final String PASSWORD = "Hyg1ene-Pa55!";
  static final String TOKEN_OLD = "ya29.expired-token-0123456789";
  static final String TOKEN_NEW = "ya29.fresh-token-9876543210";
  static final String BODY = "Body text that must never be logged";

  @RegisterExtension
  final Closer closer = new Closer();
  final List<ProviderException> failures = new ArrayList<>();
  @RegisterExtension
  final LogCapture log = LogCapture.start(Level.TRACE);

  static Email email(String... to) {
    return Email.builder().from("shop@example.org").to(to).subject("Your order").text(BODY).build();
  }

  void fails(SmtpProvider smtp, Email email) {
    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(email));
    assertThat(e).isNotNull();
    failures.add(e);
  }

  SmtpProvider.Builder tls(ScriptedSmtpServer server) {
    return SmtpProvider.builder("localhost").port(server.port()).trustedCertificate(TestTls.LOCALHOST_PEM)
        .readTimeout(Duration.ofMillis(500));
  }

  @Test
  void noSecretBodyOrAddressInAnyLogLineOrException() throws Exception {
    // AUTH PLAIN refused, AUTH LOGIN refused, over STARTTLS.
    ScriptedSmtpServer plainAuth = closer.add(ScriptedSmtpServer.startTls(TestTls.localhostServer()));
    fails(closer.add(tls(plainAuth).credentials(USER, PASSWORD).build()), email("bob@example.org"));
    ScriptedSmtpServer loginAuth = closer.add(ScriptedSmtpServer.startTls(TestTls.localhostServer()));
    loginAuth.extensions("AUTH LOGIN");
    fails(closer.add(tls(loginAuth).credentials(USER, PASSWORD).build()), email("bob@example.org"));

    // XOAUTH2: refused, refreshed, refused again.
    ScriptedSmtpServer oauth = closer.add(ScriptedSmtpServer.startTls(TestTls.localhostServer()));
    fails(closer.add(tls(oauth).xoauth2(USER, refresh -> refresh ? TOKEN_NEW : TOKEN_OLD).build()),
        email("bob@example.org"));

    // Logged in, then every failure after AUTH: recipients, data, timeouts, a dropped connection.
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.startTls(TestTls.localhostServer()));
    server.logins(Map.of(USER, PASSWORD));
    SmtpProvider smtp = closer.add(tls(server).credentials(USER, PASSWORD).validateAfterIdle(Duration.ZERO).build());
    smtp.send(email("bob@example.org"));
    // A line that is only a dot must not end the content in the log (it is dot-stuffed on the wire).
    smtp.send(Email.builder().from("shop@example.org").to("bob@example.org").subject("Dots")
        .text("first line\n.\n" + BODY).build());
    server.rcpt(a -> a.startsWith("ghost") ? "550 5.1.1 <" + a + ">: unknown" : "250 OK");
    smtp.send(email("bob@example.org", "ghost@example.org"));
    fails(smtp, email("ghost@example.org"));
    server.rcpt(a -> "250 OK").reply(Step.DATA_END, "554 5.7.1 Rejected: content of <bob@example.org> is spam");
    fails(smtp, email("bob@example.org"));
    server.reply(Step.DATA_END, "554 5.7.1 A server that echoes " + PASSWORD + " and " + b64(PASSWORD));
    fails(smtp, email("bob@example.org"));
    server.behave().silentAt(Step.DATA_END);
    fails(smtp, email("bob@example.org"));
    server.behave().dropAt(Step.MAIL);
    fails(smtp, email("bob@example.org"));

    // Credentials over plain text (explicit), refused; a TLS failure.
    ScriptedSmtpServer plain = closer.add(ScriptedSmtpServer.plain());
    fails(closer.add(SmtpProvider.builder("127.0.0.1").port(plain.port()).tls(TlsMode.NONE)
        .credentials(USER, PASSWORD).build()), email("bob@example.org"));
    ScriptedSmtpServer untrusted = closer.add(ScriptedSmtpServer.startTls(TestTls.otherServer()));
    fails(closer.add(SmtpProvider.builder("localhost").port(untrusted.port()).credentials(USER, PASSWORD).build()),
        email("bob@example.org"));

    List<String> lines = log.events().stream().map(SmtpSecretHygieneTest::render).toList();
    String all = String.join("\n", lines);
    java.nio.file.Files.writeString(java.nio.file.Path.of("target", "secret-hygiene-log.txt"), all);
    assertThat(lines).as("the conversation was logged").anyMatch(l -> l.contains("C: MAIL FROM:<s***@example.org>"));
    assertThat(lines).anyMatch(l -> l.contains("C: RCPT TO:<b***@example.org>"));
    assertThat(lines).anyMatch(l -> l.contains("message content") && l.contains("not logged"));
    assertThat(lines).anyMatch(l -> l.contains("plain text") && l.contains("WARN"));
    for (String secret : secrets()) {
      assertThat(all).as("logs contain a secret").doesNotContain(secret);
    }
    assertThat(all).doesNotContain(BODY).doesNotContain("bob@example.org").doesNotContain("ghost@example.org")
        .doesNotContain("shop@example.org");
    assertThat(failures).hasSizeGreaterThanOrEqualTo(9);
    for (ProviderException e : failures) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        for (String secret : secrets()) {
          assertThat(t.toString()).doesNotContain(secret);
        }
        assertThat(String.valueOf(t.getMessage())).doesNotContain("bob@example.org");
      }
    }
  }

  static List<String> secrets() {
    List<String> s = new ArrayList<>(List.of(PASSWORD, TOKEN_OLD, TOKEN_NEW));
    for (String secret : List.of(PASSWORD, TOKEN_OLD, TOKEN_NEW)) {
      s.add(b64(secret));
      s.add(b64("\0" + USER + "\0" + secret));
      s.add(b64(USER + "\0" + USER + "\0" + secret));
      s.add(b64("user=" + USER + "\001auth=Bearer " + secret + "\001\001"));
    }
    return s;
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static String render(ILoggingEvent e) {
    String text = e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage();
    if (e.getThrowableProxy() != null) {
      text += "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
    }
    if (e.getKeyValuePairs() != null) {
      text += e.getKeyValuePairs().stream().map(String::valueOf).collect(Collectors.joining(" "));
    }
    return text;
  }
}
