package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.mime.MimeChannel;
import io.postline.mail.mime.MimeRenderer;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.smtp.internal.WireLog;
import io.postline.mail.tck.LogCapture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Both transports against a real MTA: the Postfix instance {@code .ci/postfix-setup} runs on
 * loopback (STARTTLS verified against a test CA, SASL AUTH, PIPELINING and CHUNKING offered, a
 * rule that rejects {@code reject@} with 550 5.1.1 and one that defers {@code defer@} with 450
 * 4.2.0, delivery to a Maildir). Without that instance every test fails, naming the script.
 */
@Timeout(120)
class PostfixInteropTest {
  static PostfixInstance postfix;

  @RegisterExtension
  final Closer closer = new Closer();

  @BeforeAll
  static void postfix() {
    postfix = PostfixInstance.require();
  }

  /** Every log line from now on, TRACE and up (the SMTP conversation included). */
  LogCapture captureLogs() {
    return closer.add(LogCapture.start(Level.TRACE));
  }

  /** Text and HTML in several scripts, names and subject in UTF-8, binary and text attachments. */
  static Email rich(String to, String cc) {
    StringBuilder text = new StringBuilder("Grüße aus Zürich, Ærøskøbing and Łódź — 東京 and Καλημέρα.\n")
        .append(".a line starting with a dot\n")
        .append(".\n")
        .append("From the start of a line, as mbox would quote it\n")
        .append("a long line: ");
    for (int i = 0; i < 120; i++) {
      text.append("wörd").append(i).append(' ');
    }
    text.append("\n\ttab-indented, trailing spaces   \nlast line without a newline");
    byte[] binary = new byte[70_000];
    new Random(17).nextBytes(binary);
    String longAscii = "x".repeat(1500);
    return Email.builder()
        .from(Address.of("shop@" + postfix.domain, "Ünïcødé Shöp 🛒"))
        .to(Address.of(to, "Zoë Ångström"))
        .cc(Address.of(cc, "田中 太郎"))
        .replyTo("support@" + postfix.domain)
        .subject("Ihre Bestellung Nr. 42 — 確認 ✓ with a subject long enough to need folding across lines")
        .text(text.toString())
        .html("<html><body><p>Grüße, <b>Zoë</b> — 東京</p><p>" + longAscii + "</p>"
            + "<img src=\"cid:logo\"></body></html>")
        .attach(Attachment.of("Rechnung März.pdf", binary, "application/pdf"))
        .attach(Attachment.of("notes.txt", ("naïve café\r\n.\r\n" + longAscii).getBytes(StandardCharsets.UTF_8),
            "text/plain; charset=UTF-8"))
        .attach(Attachment.inline("logo", "logo.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0},
            "image/png"))
        .header("X-Trace", "ünïcode header value")
        .build();
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void richUtf8MessagesArriveByteForByte(SmtpTransport transport) throws Exception {
    SmtpProvider smtp = closer.add(postfix.provider(transport).build());
    String to = postfix.address("zoe");
    String cc = postfix.address("taro");
    Email email = rich(to, cc);
    // Postfix offers 8BITMIME: Postline's engine sends text 8-bit there, Angus stays 7-bit.
    byte[] expected = MimeRenderer.defaults().toEml(email,
        transport == SmtpTransport.POSTLINE ? MimeChannel.EIGHT_BIT : MimeChannel.SEVEN_BIT);

    SendResult result = smtp.send(email);

    assertThat(result.accepted()).extracting(Address::email).containsExactly(to, cc);
    for (String recipient : List.of(to, cc)) {
      byte[] delivered = postfix.awaitDelivered(recipient, result.messageId());
      String original = withoutPostfixTrace(delivered, recipient);
      assertThat(normalized(original))
          .as("the message as %s delivered it to %s, after Postfix's trace headers", transport, recipient)
          .isEqualTo(normalized(new String(expected, StandardCharsets.UTF_8).replace("\r\n", "\n")));
      assertThat(original).contains("\nMessage-ID: " + result.messageId() + "\n");
    }
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void acceptedRejectedAndDeferredRecipientsOfOneMessageAreEachClassified(SmtpTransport transport) throws Exception {
    SmtpProvider smtp = closer.add(postfix.provider(transport).build());
    String ok = postfix.address("ok");
    Email email = Email.builder().from("shop@" + postfix.domain).to(ok)
        .cc("reject@" + postfix.domain).bcc("defer@" + postfix.domain)
        .subject("Mixed recipients").text("One gets it, one is refused, one is deferred").build();

    SendResult result = smtp.send(email);

    assertThat(result.accepted()).extracting(Address::email).containsExactly(ok);
    assertThat(result.rejected()).extracting(r -> r.address().email())
        .containsExactly("reject@" + postfix.domain, "defer@" + postfix.domain);
    assertThat(result.rejected()).allMatch(r -> r.status() == RecipientStatus.Status.REJECTED);
    assertThat(result.rejected().get(0).reason()).hasValueSatisfying(r ->
        assertThat(r).startsWith("550 5.1.1").contains("rejected by the Postline test rule"));
    assertThat(result.rejected().get(1).reason()).hasValueSatisfying(r ->
        assertThat(r).startsWith("450 4.2.0").contains("deferred by the Postline test rule"));
    assertThat(new String(postfix.awaitDelivered(ok, result.messageId()), StandardCharsets.UTF_8))
        .contains("Subject: Mixed recipients");

    // The connection is still good after the refusals: the next message goes through on it.
    SendResult next = smtp.send(Email.builder().from("shop@" + postfix.domain).to(ok).subject("After")
        .text("next").build());
    assertThat(next.accepted()).extracting(Address::email).containsExactly(ok);
    postfix.awaitDelivered(ok, next.messageId());
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void sixtyRecipientsWithRefusalsAmongThemKeepEachReplyWithItsRecipient(SmtpTransport transport) throws Exception {
    SmtpProvider smtp = closer.add(postfix.provider(transport).build());
    List<String> all = new ArrayList<>();
    List<String> ok = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String a = i % 17 == 5 ? "reject+" + i + "@" + postfix.domain
          : i % 23 == 11 ? "defer+" + i + "@" + postfix.domain : postfix.address("r" + i);
      all.add(a);
      if (!a.startsWith("reject+") && !a.startsWith("defer+")) {
        ok.add(a);
      }
    }
    Email email = Email.builder().from("shop@" + postfix.domain).to(all.toArray(String[]::new))
        .subject("Sixty").text("to sixty").build();

    SendResult result = smtp.send(email);

    assertThat(result.recipients()).extracting(r -> r.address().email()).containsExactlyElementsOf(all);
    assertThat(result.accepted()).extracting(Address::email).containsExactlyElementsOf(ok);
    assertThat(result.rejected()).hasSize(all.size() - ok.size()).allSatisfy(r -> assertThat(r.reason())
        .hasValueSatisfying(reason -> assertThat(reason).startsWith(
            r.address().email().startsWith("reject+") ? "550 5.1.1" : "450 4.2.0")));
    for (String a : ok) {
      postfix.awaitDelivered(a, result.messageId());
    }
    assertThat(postfix.copiesContaining("\nMessage-ID: " + result.messageId() + "\n")).isZero();
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void aPooledConnectionPostfixDroppedIsCheckedAndReplaced(SmtpTransport transport) throws Exception {
    SmtpProvider smtp = closer.add(postfix.provider(transport).port(postfix.shortTimeoutPort).build());
    String to = postfix.address("idle");
    sendThenIdleUntilDropped(smtp, to);
    SendResult second = smtp.send(Email.builder().from("shop@" + postfix.domain).to(to).subject("After")
        .text("after").build());

    assertThat(second.accepted()).extracting(Address::email).containsExactly(to);
    assertThat(new String(postfix.awaitDelivered(to, second.messageId()), StandardCharsets.UTF_8))
        .contains("Subject: After");
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void withoutTheIdleCheckASendOnADroppedConnectionIsTransientAndTheNextOneGoesThrough(SmtpTransport transport)
      throws Exception {
    SmtpProvider smtp = closer.add(postfix.provider(transport).port(postfix.shortTimeoutPort)
        .validateAfterIdle(Duration.ofHours(1)).build());
    String to = postfix.address("unchecked");
    sendThenIdleUntilDropped(smtp, to);

    Email lost = Email.builder().from("shop@" + postfix.domain).to(to).subject("Lost").text("lost").build();
    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(lost));
    SendResult next = smtp.send(Email.builder().from("shop@" + postfix.domain).to(to).subject("Next")
        .text("next").build());

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage()).contains("connection to SMTP server localhost:" + postfix.shortTimeoutPort + " was lost")
        .contains("retrying may help");
    assertThat(next.accepted()).extracting(Address::email).containsExactly(to);
    postfix.awaitDelivered(to, next.messageId());
    assertThat(postfix.copiesContaining("Delivered-To: " + to + "\n")).as("the lost message was not delivered").isZero();
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void everyRecipientRefusedIsClassifiedByTheMostHopefulReply(SmtpTransport transport) throws Exception {
    SmtpProvider smtp = closer.add(postfix.provider(transport).build());

    ProviderException rejected = catchThrowableOfType(ProviderException.class, () -> smtp.send(
        Email.builder().from("shop@" + postfix.domain).to("reject@" + postfix.domain).subject("No")
            .text("no").build()));
    ProviderException deferred = catchThrowableOfType(ProviderException.class, () -> smtp.send(
        Email.builder().from("shop@" + postfix.domain).to("reject@" + postfix.domain, "defer@" + postfix.domain)
            .subject("Later").text("later").build()));

    assertThat(rejected.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(rejected.code()).contains("550 5.1.1");
    assertThat(rejected.getMessage()).doesNotContain("reject@" + postfix.domain);
    assertThat(deferred.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(deferred.recipients()).extracting(r -> r.reason().orElseThrow().substring(0, 9))
        .containsExactly("550 5.1.1", "450 4.2.0");
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void aClientThatDoesNotLogInIsAProviderProblemNotTheRecipients(SmtpTransport transport) {
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(postfix.port)
        .trustedCertificate(postfix.caCertificate).transport(transport).ehloName("client.postline.test").build());

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(
        Email.builder().from("shop@" + postfix.domain).to(postfix.address("ann")).subject("No login")
            .text("x").build()));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.code()).contains("554 5.7.1");
    assertThat(e.getMessage()).contains("check the provider's credentials");
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void wrongCredentialsFailAsProviderUnavailableWithoutThePasswordAnywhere(SmtpTransport transport) {
    LogCapture capture = captureLogs();
    String wrong = "Wr0ng-" + postfix.password;
    SmtpProvider smtp = closer.add(SmtpProvider.builder("localhost").port(postfix.port)
        .credentials(postfix.username, wrong).trustedCertificate(postfix.caCertificate).transport(transport)
        .ehloName("client.postline.test").build());

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(
        Email.builder().from("shop@" + postfix.domain).to(postfix.address("ann")).subject("Bad login")
            .text("x").build()));

    assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
    assertThat(e.code()).contains("535 5.7.8");
    List<ILoggingEvent> logs = capture.events();
    assertThat(logs).as("the conversation was logged")
        .anyMatch(l -> l.getFormattedMessage().contains("S: 250-AUTH PLAIN LOGIN"));
    if (transport == SmtpTransport.POSTLINE) {
      assertThat(logs).anyMatch(l -> l.getFormattedMessage().contains("S: 535 5.7.8"));
    }
    Set<String> texts = new LinkedHashSet<>();
    for (Throwable t = e; t != null; t = t.getCause()) {
      texts.add(t.toString());
    }
    logs.forEach(l -> texts.add(l.getFormattedMessage()));
    texts.add(smtp.toString());
    for (String text : texts) {
      for (String secret : secrets(wrong)) {
        assertThat(text).doesNotContain(secret);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(SmtpTransport.class)
  void theDebugConversationLogShowsTheExchangeButNotTheAuthOrTheContent(SmtpTransport transport) throws Exception {
    LogCapture capture = captureLogs();
    SmtpProvider smtp = closer.add(postfix.provider(transport).build());
    String to = postfix.address("dora");
    String body = "Body text that must never be logged " + System.nanoTime();

    SendResult result = smtp.send(Email.builder().from("shop@" + postfix.domain).to(to).subject("Logged")
        .text(body).build());
    postfix.awaitDelivered(to, result.messageId());

    List<ILoggingEvent> logs = capture.events();
    List<String> wire = logs.stream().filter(l -> l.getLoggerName().equals(WireLog.LOGGER))
        .map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(wire).anyMatch(l -> l.contains("S: 220 mx.postline.test ESMTP"));
    assertThat(wire).anyMatch(l -> l.contains("C: STARTTLS"));
    if (transport == SmtpTransport.POSTLINE) {
      assertThat(wire).anyMatch(l -> l.endsWith("C: AUTH PLAIN ****"));
      assertThat(wire).anyMatch(l -> l.contains("S: 235 2.7.0"));
    } else {
      // Angus leaves the whole AUTH exchange out of its trace.
      assertThat(wire).anyMatch(l -> l.contains("AUTH PLAIN command trace suppressed"));
    }
    // DATA counts the content's lines; BDAT (Postfix offers CHUNKING) its bytes.
    assertThat(wire).anyMatch(l -> l.contains("C: <message content, ") && l.endsWith(", not logged>"));
    assertThat(wire).anyMatch(l -> l.contains("C: MAIL FROM:<s***@postline.test>"));
    String all = String.join("\n", logs.stream().map(ILoggingEvent::getFormattedMessage).toList());
    for (String secret : secrets(postfix.password)) {
      assertThat(all).doesNotContain(secret);
    }
    assertThat(all).doesNotContain(body).doesNotContain(to).doesNotContain(postfix.username);
  }

  /**
   * Waits until Postfix's short-timeout service has dropped the pooled connection that went idle
   * at {@code idleSince}: its log shows a new timeout, and the 2 s have passed for this connection
   * too (another build's connection may have timed out first).
   */
  /** Sends one message over a new pooled connection, then waits until Postfix has dropped it as idle. */
  static void sendThenIdleUntilDropped(SmtpProvider smtp, String to) throws Exception {
    SendResult first = smtp.send(Email.builder().from("shop@" + postfix.domain).to(to).subject("Before")
        .text("before").build());
    long droppedBefore = postfix.shortTimeoutsLogged();
    long idleSince = System.nanoTime();
    postfix.awaitDelivered(to, first.messageId());
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> System.nanoTime() - idleSince > Duration.ofMillis(2500).toNanos()
            && postfix.shortTimeoutsLogged() > droppedBefore);
  }

  /** The password in clear and in every base64 form an AUTH exchange could carry it. */
  static List<String> secrets(String password) {
    String user = postfix.username;
    return List.of(password, b64(password), b64("\0" + user + "\0" + password),
        b64(user + "\0" + user + "\0" + password));
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The delivered file without what Postfix put in front of the message: Return-Path,
   * X-Original-To, Delivered-To and its Received header (with its folded lines).
   */
  static String withoutPostfixTrace(byte[] delivered, String recipient) {
    String s = new String(delivered, StandardCharsets.UTF_8);
    assertThat(s).startsWith("Return-Path: <shop@" + postfix.domain + ">\nX-Original-To: " + recipient
        + "\nDelivered-To: " + recipient + "\n");
    int at = s.indexOf('\n', s.indexOf("\nDelivered-To: ") + 1) + 1;
    assertThat(s.substring(at)).startsWith("Received: from client.postline.test");
    at = s.indexOf('\n', at) + 1;
    while (s.charAt(at) == ' ' || s.charAt(at) == '\t') {
      at = s.indexOf('\n', at) + 1;
    }
    return s.substring(at);
  }

  private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";\\s]+)\"?");

  /** The message with what differs between two renderings made equal: Message-ID, Date, boundaries. */
  static String normalized(String message) {
    String s = message.replaceFirst("\nMessage-ID: <[^>\n]+>\n", "\nMessage-ID: <ID>\n")
        .replaceFirst("(^|\n)Date: [^\n]+\n", "$1Date: DATE\n");
    Matcher m = BOUNDARY.matcher(s);
    List<String> boundaries = new ArrayList<>();
    while (m.find()) {
      boundaries.add(m.group(1));
    }
    for (int i = 0; i < boundaries.size(); i++) {
      s = s.replace(boundaries.get(i), "BOUNDARY" + i);
    }
    return s;
  }
}
