package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.smtp.ScriptedSmtpServer.Step;
import io.postline.mail.spi.ProviderException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of the failure classification, against the scripted SMTP server (a real socket that
 * answers what each test scripts). See {@code docs/provider-smtp.md} for the table.
 */
@Timeout(30)
@ParameterizedClass(name = "transport={0}")
@EnumSource(SmtpTransport.class)
class SmtpClassificationTest {
  /** Both protocol engines are held to the same table (Angus is kept for one release). */
  @Parameter
  SmtpTransport transport;
  static final String PASSWORD = "scr1pted-Pass";
  @RegisterExtension
  final Closer closer = new Closer();

  SmtpProvider.Builder builder(String host) {
    return SmtpProvider.builder(host).transport(transport);
  }

  static Email email(String... to) {
    return Email.builder().from("shop@example.org").to(to.length == 0 ? new String[] {"bob@example.org"} : to)
        .subject("Order").text("Your order").build();
  }

  SmtpProvider plainProvider(ScriptedSmtpServer server) {
    return plainProvider(server, Duration.ofSeconds(2));
  }

  SmtpProvider plainProvider(ScriptedSmtpServer server, Duration readTimeout) {
    return closer.add(builder("127.0.0.1").name("scripted").port(server.port()).tls(TlsMode.NONE)
        .connectTimeout(Duration.ofSeconds(2)).readTimeout(readTimeout).build());
  }

  SmtpProvider tlsProvider(ScriptedSmtpServer server) {
    return closer.add(builder("localhost").name("scripted").port(server.port())
        .credentials("user", PASSWORD).trustedCertificate(TestTls.LOCALHOST_PEM)
        .connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(2)).build());
  }

  static ProviderException failure(SmtpProvider provider, Email email) {
    ProviderException e = catchThrowableOfType(ProviderException.class, () -> provider.send(email));
    assertThat(e).as("send must fail").isNotNull();
    assertThat(e.provider()).isEqualTo(provider.name());
    assertThat(e.getMessage()).doesNotContain(PASSWORD);
    return e;
  }

  static Stream<Arguments> replies() {
    return Stream.of(
        // step, reply, kind, code
        Arguments.of(Step.GREETING, "421 4.3.2 Service not available, try again later", FailureKind.TRANSIENT, "421 4.3.2"),
        Arguments.of(Step.GREETING, "554 5.7.1 No SMTP service for you", FailureKind.PROVIDER_UNAVAILABLE, "554 5.7.1"),
        Arguments.of(Step.EHLO, "550 5.7.1 Go away", FailureKind.PROVIDER_UNAVAILABLE, "550 5.7.1"),
        Arguments.of(Step.MAIL, "421 4.3.2 Service shutting down", FailureKind.TRANSIENT, "421 4.3.2"),
        Arguments.of(Step.MAIL, "450 4.2.1 Mailbox busy", FailureKind.TRANSIENT, "450 4.2.1"),
        Arguments.of(Step.MAIL, "451 4.3.0 Local error in processing", FailureKind.TRANSIENT, "451 4.3.0"),
        Arguments.of(Step.MAIL, "452 4.3.1 Insufficient system storage", FailureKind.TRANSIENT, "452 4.3.1"),
        Arguments.of(Step.MAIL, "451 Temporary failure", FailureKind.TRANSIENT, "451"),
        Arguments.of(Step.MAIL, "450 4.7.1 Rate limit exceeded", FailureKind.RATE_LIMITED, "450 4.7.1"),
        Arguments.of(Step.MAIL, "421 4.7.0 Too many concurrent connections", FailureKind.RATE_LIMITED, "421 4.7.0"),
        Arguments.of(Step.MAIL, "451 Throttled: too many messages", FailureKind.RATE_LIMITED, "451"),
        Arguments.of(Step.MAIL, "530 5.7.0 Authentication required", FailureKind.PROVIDER_UNAVAILABLE, "530 5.7.0"),
        Arguments.of(Step.MAIL, "535 5.7.8 Authentication credentials invalid", FailureKind.PROVIDER_UNAVAILABLE, "535 5.7.8"),
        Arguments.of(Step.MAIL, "553 5.7.1 Sender address rejected: not owned by user", FailureKind.PERMANENT, "553 5.7.1"),
        Arguments.of(Step.MAIL, "550 5.7.1 Relaying denied", FailureKind.PERMANENT, "550 5.7.1"),
        Arguments.of(Step.RCPT, "452 4.2.2 Mailbox full", FailureKind.TRANSIENT, "452 4.2.2"),
        Arguments.of(Step.RCPT, "552 5.2.2 Mailbox full", FailureKind.TRANSIENT, "552 5.2.2"),
        Arguments.of(Step.RCPT, "452 4.5.3 Too many recipients", FailureKind.TRANSIENT, "452 4.5.3"),
        Arguments.of(Step.RCPT, "450 4.2.0 Mailbox unavailable", FailureKind.TRANSIENT, "450 4.2.0"),
        Arguments.of(Step.RCPT, "451 4.7.1 Greylisted, please try again", FailureKind.RATE_LIMITED, "451 4.7.1"),
        Arguments.of(Step.RCPT, "550 5.1.1 User unknown", FailureKind.RECIPIENTS_REJECTED, "550 5.1.1"),
        // A policy refusal of every recipient is about the client (e.g. a submission server that
        // wants AUTH): another provider may deliver.
        Arguments.of(Step.RCPT, "554 5.7.1 Relay access denied", FailureKind.PROVIDER_UNAVAILABLE, "554 5.7.1"),
        Arguments.of(Step.DATA, "554 5.5.1 No valid recipients", FailureKind.PERMANENT, "554 5.5.1"),
        Arguments.of(Step.DATA, "451 4.3.0 Try again", FailureKind.TRANSIENT, "451 4.3.0"),
        Arguments.of(Step.DATA_END, "554 5.7.1 Message rejected as spam", FailureKind.PERMANENT, "554 5.7.1"),
        Arguments.of(Step.DATA_END, "552 5.3.4 Message size exceeds fixed limit", FailureKind.PERMANENT, "552 5.3.4"),
        Arguments.of(Step.DATA_END, "552 5.2.2 Mailbox full", FailureKind.TRANSIENT, "552 5.2.2"),
        Arguments.of(Step.DATA_END, "451 4.3.0 Queue file write error", FailureKind.TRANSIENT, "451 4.3.0"),
        Arguments.of(Step.DATA_END, "421 4.4.2 Connection timed out", FailureKind.TRANSIENT, "421 4.4.2"));
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @MethodSource("replies")
  void classifiesTheReply(Step step, String reply, FailureKind kind, String code) throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    if (step == Step.RCPT) {
      server.rcpt(address -> reply);
    } else {
      server.reply(step, reply);
    }

    ProviderException e = failure(plainProvider(server), email());

    assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind);
    assertThat(e.code()).contains(code);
    assertThat(e.getMessage()).contains(reply.substring(reply.indexOf(' ', 4) + 1));
    assertThat(server.received()).isEmpty();
  }

  static Stream<Arguments> authReplies() {
    return Stream.of(
        Arguments.of("535 5.7.8 Authentication credentials invalid", FailureKind.PROVIDER_UNAVAILABLE, "535 5.7.8"),
        Arguments.of("534 5.7.9 Authentication mechanism is too weak", FailureKind.PROVIDER_UNAVAILABLE, "534 5.7.9"),
        Arguments.of("454 4.7.0 Temporary authentication failure", FailureKind.TRANSIENT, "454 4.7.0"));
  }

  @ParameterizedTest(name = "AUTH {0} -> {1}")
  @MethodSource("authReplies")
  void classifiesTheAuthReply(String reply, FailureKind kind, String code) throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.startTls(TestTls.localhostServer()));
    server.reply(Step.AUTH, reply);

    ProviderException e = failure(tlsProvider(server), email());

    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.code()).contains(code);
    assertThat(server.received()).isEmpty();
  }

  @Test
  void an421ToEhloThatClosesTheConnectionIsTransient() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.reply(Step.EHLO, "421 4.3.2 Shutting down");

    ProviderException e = failure(plainProvider(server), email());

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    if (transport == SmtpTransport.ANGUS) {
      // Angus falls back to HELO after a refused EHLO and finds the connection closed by the 421.
      assertThat(e.getMessage()).contains("closed the connection");
    } else {
      assertThat(e.code()).contains("421 4.3.2");
      assertThat(e.getMessage()).contains("refused the session: 421 4.3.2 Shutting down");
    }
  }

  @Test
  void rateLimitWithoutAStatedDelayPromisesNoRetryAfter() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.reply(Step.MAIL, "450 4.7.1 Rate limit exceeded");

    ProviderException e = failure(plainProvider(server), email());

    assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
    assertThat(e.retryAfter()).isEmpty();
    assertThat(e.getMessage()).endsWith("without saying for how long: retry later, with backoff")
        .doesNotContain("retry after");
  }

  @Test
  void everyRecipientRefusedByPolicySaysToCheckTheProvidersCredentials() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.rcpt(address -> "554 5.7.1 Relay access denied");

    ProviderException e = failure(plainProvider(server), email("bob@example.org", "carl@example.org"));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.recipients()).hasSize(2).noneMatch(RecipientStatus::isAccepted);
    assertThat(e.getMessage()).contains("check the provider's credentials").endsWith("fail over");
  }

  @Test
  void rateLimitWithAStatedDelayCarriesRetryAfter() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.reply(Step.MAIL, "450 4.7.1 Rate limit exceeded, try again in 30 seconds");

    ProviderException e = failure(plainProvider(server), email());

    assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
  }

  @Test
  void connectionRefusedIsProviderUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    SmtpProvider smtp = closer.add(builder("127.0.0.1").port(port).tls(TlsMode.NONE).build());

    ProviderException e = failure(smtp, email());

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("cannot connect").contains("127.0.0.1:" + port)
        .contains("connection refused").contains("check the host and port").endsWith("fail over");
  }

  @Test
  void anUnknownHostIsProviderUnavailable() throws Exception {
    SmtpProvider smtp = closer.add(builder("smtp.postline-test.invalid").port(2525).tls(TlsMode.NONE)
        .build());

    ProviderException e = failure(smtp, email());

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("unknown host").contains("smtp.postline-test.invalid")
        .contains("check the host name");
  }

  @Test
  void anUntrustedCertificateIsProviderUnavailableAndNamesTheTrustOptions() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.implicitTls(TestTls.localhostServer()));
    SmtpProvider smtp = closer.add(builder("localhost").port(server.port()).tls(TlsMode.IMPLICIT)
        .readTimeout(Duration.ofSeconds(2)).build());

    ProviderException e = failure(smtp, email());

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("TLS certificate is not trusted").contains("check the trust settings")
        .contains("trustedCertificate=").contains("trustStore=");
    assertThat(server.commands()).isEmpty();
  }

  @Test
  void connectTimeoutIsTransient() throws Exception {
    // A listener that never accepts, its backlog filled: further connects get no answer at all.
    ServerSocket blackhole = closer.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
    boolean full = false;
    for (int i = 0; i < 50 && !full; i++) {
      Socket s = closer.add(new Socket());
      try {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), blackhole.getLocalPort()), 200);
      } catch (SocketTimeoutException e) {
        full = true;
      }
    }
    assertThat(full).as("the backlog of the listener filled up").isTrue();
    SmtpProvider smtp = closer.add(builder("127.0.0.1").port(blackhole.getLocalPort())
        .tls(TlsMode.NONE).connectTimeout(Duration.ofMillis(300)).build());

    long started = System.nanoTime();
    ProviderException e = failure(smtp, email());

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage()).contains("timed out");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aGreetingThatNeverComesTimesOutAsTransient() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.silentAt(Step.GREETING);

    ProviderException e = failure(plainProvider(server, Duration.ofMillis(300)), email());

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage()).contains("timed out");
  }

  @Test
  void aReplyThatNeverComesTimesOutAsTransientAndTheConnectionIsDiscarded() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.silentAt(Step.DATA_END);
    SmtpProvider smtp = plainProvider(server, Duration.ofMillis(300));

    ProviderException e = failure(smtp, email());
    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage()).contains("timed out");

    server.behave();
    SendResult ok = smtp.send(email());
    assertThat(ok.accepted()).hasSize(1);
    assertThat(server.connections()).isEqualTo(2);
  }

  @Test
  void aConnectionDroppedMidSessionIsTransient() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.dropAt(Step.DATA_END);

    ProviderException e = failure(plainProvider(server), email());

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage()).contains("lost");
  }

  @Test
  void aConnectionDroppedAtMailFromIsTransient() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.dropAt(Step.MAIL);

    ProviderException e = failure(plainProvider(server), email());

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
  }

  @Test
  void startTlsRequiredButNotOfferedIsProviderUnavailable() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(builder("localhost").port(server.port())
        .credentials("user", PASSWORD).build());

    ProviderException e = failure(smtp, email());

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("STARTTLS");
    assertThat(server.commands()).noneMatch(c -> c.contains(" AUTH"));
  }

  @Test
  void explicitStartTlsIsRequiredEvenWithoutCredentials() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(builder("localhost").port(server.port()).tls(TlsMode.STARTTLS).build());

    ProviderException e = failure(smtp, email());

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(server.commands()).noneMatch(c -> c.contains("MAIL FROM"));
  }

  @Test
  void aHostNameThatDoesNotMatchTheCertificateIsRefusedEvenWhenTheCertificateIsTrusted() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.startTls(TestTls.otherServer()));
    SmtpProvider smtp = closer.add(builder("localhost").port(server.port())
        .credentials("user", PASSWORD).trustedCertificate(TestTls.OTHER_PEM).build());

    ProviderException e = failure(smtp, email());

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("TLS");
    assertThat(server.commands()).noneMatch(c -> c.contains(" AUTH"));
  }

  @Test
  void verificationTurnedOffExplicitlyAcceptsAnyCertificate() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.startTls(TestTls.otherServer()));
    server.logins(Map.of("user", PASSWORD));
    SmtpProvider smtp = closer.add(builder("localhost").port(server.port())
        .credentials("user", PASSWORD).insecureSkipTlsVerification().build());

    smtp.send(email());

    assertThat(server.received()).hasSize(1);
  }

  @Test
  void implicitTlsAgainstTheScriptedServer() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.implicitTls(TestTls.localhostServer()));
    server.logins(Map.of("user", PASSWORD));
    SmtpProvider smtp = closer.add(builder("localhost").port(server.port()).tls(TlsMode.IMPLICIT)
        .credentials("user", PASSWORD).trustedCertificate(TestTls.LOCALHOST_PEM).build());

    smtp.send(email());

    assertThat(server.received()).hasSize(1);
    assertThat(server.commands()).noneMatch(c -> c.endsWith("STARTTLS"));
  }

  @Test
  void aServerWithoutAuthWhileCredentialsAreSetIsProviderUnavailable() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.startTls(TestTls.localhostServer()));
    server.extensions("8BITMIME");

    ProviderException e = failure(tlsProvider(server), email());

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.getMessage()).contains("AUTH");
    assertThat(server.received()).isEmpty();
  }

  @Test
  void someRecipientsRefusedPermanentlyAreRejectedAndTheOthersGetTheMessage() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.rcpt(a -> a.startsWith("ghost") ? "550 5.1.1 <" + a + ">: Recipient address rejected" : "250 2.1.5 OK");
    Email email = Email.builder().from("shop@example.org").to("bob@example.org").cc("ghost@example.org")
        .bcc("carol@example.org").subject("Hi").text("Hi").build();

    SendResult result = plainProvider(server).send(email);

    assertThat(result.accepted()).containsExactly(Address.of("bob@example.org"), Address.of("carol@example.org"));
    assertThat(result.rejected()).singleElement().satisfies(r -> {
      assertThat(r.address()).isEqualTo(Address.of("ghost@example.org"));
      assertThat(r.status()).isEqualTo(RecipientStatus.Status.REJECTED);
      assertThat(r.reason()).hasValueSatisfying(reason ->
          assertThat(reason).contains("550 5.1.1").contains("g***@example.org").doesNotContain("ghost@"));
    });
    assertThat(server.received()).singleElement().satisfies(m ->
        assertThat(m.recipients()).containsExactly("bob@example.org", "carol@example.org"));
  }

  @Test
  void aRecipientRefusedForNowWhileOthersAreAcceptedIsRejectedWithItsTemporaryReason() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.rcpt(a -> a.startsWith("full") ? "452 4.2.2 Mailbox full" : "250 2.1.5 OK");

    SendResult result = plainProvider(server).send(email("bob@example.org", "full@example.org"));

    assertThat(result.accepted()).containsExactly(Address.of("bob@example.org"));
    assertThat(result.rejected()).singleElement().satisfies(r ->
        assertThat(r.reason()).hasValueSatisfying(reason -> assertThat(reason).startsWith("452 4.2.2")));
    assertThat(server.received()).hasSize(1);
  }

  @Test
  void everyRecipientRefusedIsRecipientsRejectedWithEachStatus() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.rcpt(a -> a.startsWith("a") ? "550 5.1.1 User unknown" : "553 5.1.3 Bad destination mailbox address");

    ProviderException e = failure(plainProvider(server), email("ann@example.org", "bob@example.org"));

    assertThat(e.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(e.code()).contains("550 5.1.1");
    assertThat(e.recipients()).extracting(RecipientStatus::address)
        .containsExactly(Address.of("ann@example.org"), Address.of("bob@example.org"));
    assertThat(e.recipients()).allMatch(r -> r.status() == RecipientStatus.Status.REJECTED);
    assertThat(e.recipients().get(1).reason()).hasValueSatisfying(r -> assertThat(r).contains("553 5.1.3"));
    assertThat(e.getMessage()).contains("a***@example.org").doesNotContain("ann@example.org");
    assertThat(server.received()).isEmpty();
  }

  @Test
  void everyRecipientRefusedSomeOnlyForNowIsTransient() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.rcpt(a -> a.startsWith("a") ? "550 5.1.1 User unknown" : "451 4.3.0 Try later");

    ProviderException e = failure(plainProvider(server), email("ann@example.org", "bob@example.org"));

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.recipients()).hasSize(2);
  }

  @Test
  void aConnectionIsResetAfterARefusedMessageWithPostlineAndReplacedWithAngus() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = plainProvider(server);
    smtp.send(email());
    server.reply(Step.MAIL, "451 4.3.0 Try later");
    assertThat(failure(smtp, email()).kind()).isEqualTo(FailureKind.TRANSIENT);

    server.behave();
    smtp.send(email());

    assertThat(server.received()).hasSize(2);
    if (transport == SmtpTransport.ANGUS) {
      assertThat(server.connections()).isEqualTo(2);
      assertThat(server.commands(2)).anyMatch(c -> c.startsWith("MAIL FROM"));
    } else {
      assertThat(server.connections()).isEqualTo(1);
      List<String> commands = server.commands(1).stream().map(c -> c.split(" ")[0]).toList();
      assertThat(String.join(",", commands)).endsWith("MAIL,RCPT,DATA,MAIL,RSET,MAIL,RCPT,DATA");
    }
  }

  @Test
  void serverRepliesKeepTheirCodesAndMaskAddresses() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.reply(Step.MAIL, line -> "553 5.7.1 <shop@example.org>: Sender address rejected");

    ProviderException e = failure(plainProvider(server), email());

    assertThat(e.code()).contains("553 5.7.1");
    assertThat(e.getMessage()).contains("s***@example.org").doesNotContain("shop@example.org")
        .contains("MAIL FROM");
  }

  @Test
  void loginAgainstTheScriptedServerWithLoginMechanism() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.startTls(TestTls.localhostServer()));
    server.extensions("AUTH LOGIN").logins(Map.of("user", PASSWORD));

    tlsProvider(server).send(email());

    assertThat(server.received()).hasSize(1);
    assertThat(server.commands()).anyMatch(c -> c.endsWith("AUTH LOGIN"));
  }


  @Test
  void theServersSizeLowersTheMessageLimitOnceKnown() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.extensions("8BITMIME", "SIZE 5000");
    SmtpProvider smtp = closer.add(builder("127.0.0.1").name("sized").port(server.port())
        .tls(TlsMode.NONE).maxMessageBytes(1_000_000).build());
    assertThat(smtp.capabilities().maxMessageBytes()).isEqualTo(1_000_000);

    smtp.send(email());

    assertThat(smtp.capabilities().maxMessageBytes()).isEqualTo(5000);
    Email large = Email.builder().from("shop@example.org").to("bob@example.org").subject("Large")
        .text("x".repeat(6000)).build();
    io.postline.mail.InvalidEmailException e = catchThrowableOfType(
        io.postline.mail.InvalidEmailException.class, () -> smtp.send(large));
    assertThat(e.getMessage()).contains("sized").contains("5000 bytes");
    assertThat(server.received()).hasSize(1);
  }

  @Test
  void ehloNameAndMessageIdDomainAreUsed() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(SmtpProvider.create(io.postline.mail.spi.ProviderSettings.parse(
        "smtp://127.0.0.1:" + server.port() + "?tls=none&ehlo=client.example.net&messageIdDomain=mail.example.net")));

    SendResult result = smtp.send(email());

    assertThat(server.commands(1)).contains("EHLO client.example.net");
    assertThat(result.messageId()).endsWith("@mail.example.net>");
    assertThat(server.received().get(0).data()).contains("Message-ID: " + result.messageId());
  }
}
