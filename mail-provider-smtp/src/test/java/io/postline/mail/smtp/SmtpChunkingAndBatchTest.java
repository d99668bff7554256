package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.SendOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CHUNKING (RFC 3030) and messages pipelined one after the other on a reused connection
 * (RFC 2920): against {@link PipelineServer}, which answers only what a pipelining client waits
 * for, so that a client in lock step would fail on its read timeout; and against GreenMail, which
 * offers neither CHUNKING nor PIPELINING.
 */
@Timeout(30)
class SmtpChunkingAndBatchTest {
  private static final List<String> CHUNKING = List.of("PIPELINING", "CHUNKING", "8BITMIME", "SIZE 1000000");
  private static final List<String> PIPELINING = List.of("PIPELINING", "8BITMIME");

  @RegisterExtension
  static final GreenMailExtension GREEN_MAIL = new GreenMailExtension(new ServerSetup(0, "127.0.0.1", "smtp"));

  @RegisterExtension
  final Closer closer = new Closer();

  private PipelineServer server(List<String> extensions, int bodies, BiFunction<Integer, String, String> script)
      throws Exception {
    PipelineServer s = new PipelineServer(extensions, bodies, script);
    closer.add(s);
    return s;
  }

  private SmtpProvider provider(int port) {
    SmtpProvider p = SmtpProvider.builder("127.0.0.1").name("pipe").port(port).tls(TlsMode.NONE).poolSize(1)
        .readTimeout(Duration.ofSeconds(3)).build();
    closer.add(p);
    return p;
  }

  private static Email email(int n, String text, String... to) {
    return Email.builder().from("shop@example.org").to(to).subject("Order " + n).text(text).build();
  }

  @Test
  void bdatLastCarriesTheExactBytesWithoutDotStuffingInTheEnvelopesFlight() throws Exception {
    PipelineServer server = server(CHUNKING, 1, (n, line) -> null);
    String text = ".a line with a leading dot\r\n..two dots\r\n.\r\nGrüße";

    provider(server.port()).send(email(1, text, "ann@example.org", "bob@example.org"));

    List<String> commands = server.commands();
    assertThat(commands).noneMatch(c -> c.equals("DATA"));
    String bdat = commands.stream().filter(c -> c.startsWith("BDAT")).findFirst().orElseThrow();
    PipelineServer.Received got = server.received().get(0);
    assertThat(bdat).isEqualTo("BDAT " + got.bytes().length + " LAST");
    assertThat(got.text()).contains("\r\n\r\n" + text).contains("Content-Transfer-Encoding: 8bit");
    assertThat(got.rcpts()).hasSize(2);
    assertThat(commands.get(1)).startsWith("MAIL FROM:<shop@example.org> SIZE=" + got.bytes().length
        + " BODY=8BITMIME");
  }

  @Test
  void chunkedMessagesGoBackToBackEachWithItsOwnOutcome() throws Exception {
    // Message 2: every recipient refused; message 3: refused at BDAT; 1 and 4 delivered.
    PipelineServer server = server(CHUNKING, 4, (n, line) ->
        n == 2 && line.startsWith("RCPT") ? "550 5.1.1 no such user"
            : n == 3 && line.startsWith("BDAT") ? "554 5.7.1 message refused as spam" : null);
    SmtpProvider smtp = provider(server.port());

    List<SendOutcome> outcomes = smtp.sendBatch(List.of(email(1, "one", "ann@example.org"),
        email(2, "two", "nobody@example.org"), email(3, "three", "bob@example.org"), email(4, "four", "cid@example.org")));

    assertThat(outcomes.get(0).result()).isPresent();
    assertThat(outcomes.get(1).failure().orElseThrow().kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(outcomes.get(2).failure().orElseThrow().kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(outcomes.get(2).failure().orElseThrow().code()).contains("554 5.7.1");
    assertThat(outcomes.get(3).result()).isPresent();
    assertThat(server.received()).extracting(PipelineServer.Received::text)
        .satisfiesExactly(t -> assertThat(t).endsWith("\r\n\r\none"), t -> assertThat(t).endsWith("\r\n\r\nfour"));
    assertThat(server.connections()).isEqualTo(1);
    // A fresh transaction before each following message, whatever became of the one before.
    assertThat(server.commands().stream().filter(c -> c.equals("RSET")).count()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void theNextEnvelopeGoesWithTheEndOfTheBodyAndFailuresStayWithTheirMessage() throws Exception {
    // Message 1 refused at the end of DATA, message 2 at MAIL FROM; 3 delivered.
    PipelineServer server = server(PIPELINING, 2, (n, line) ->
        n == 1 && line.equals(".") ? "554 5.6.0 message refused"
            : n == 2 && line.startsWith("MAIL") && line.contains("shop2@") ? "553 5.7.1 sender refused" : null);
    SmtpProvider smtp = provider(server.port());
    Email second = Email.builder().from("shop2@example.org").to("bob@example.org").subject("2").text("two").build();

    List<SendOutcome> outcomes = smtp.sendBatch(List.of(email(1, ".one\r\n.", "ann@example.org"), second,
        email(3, ".three", "cid@example.org")));

    assertThat(outcomes.get(0).failure().orElseThrow().code()).contains("554 5.6.0");
    assertThat(outcomes.get(1).failure().orElseThrow().code()).contains("553 5.7.1");
    assertThat(outcomes.get(2).result().orElseThrow().recipients()).extracting(RecipientStatus::isAccepted)
        .containsExactly(true);
    assertThat(server.received()).singleElement().satisfies(r -> {
      assertThat(r.text()).endsWith("\r\n\r\n.three\r\n");
      assertThat(r.rcpts()).containsExactly("RCPT TO:<cid@example.org>");
    });
    // After the refused MAIL: RSET before the next envelope; after the refused end of DATA none is needed.
    List<String> commands = server.commands();
    int refusedMail = commands.indexOf(commands.stream().filter(c -> c.contains("shop2@")).findFirst().orElseThrow());
    assertThat(commands.subList(refusedMail, commands.size()))
        .containsSubsequence("DATA", "RSET", "MAIL FROM:<shop@example.org>");
    assertThat(commands.subList(0, refusedMail)).doesNotContain("RSET");
  }

  @Test
  void messagesALostConnectionNeverReachedGoOutOnANewOneAndThoseInFlightFailTransient() throws Exception {
    // Connection 1 is dropped when message 2's envelope arrives, before any reply: messages 1 and 2
    // were in flight (outcome unknown, TRANSIENT); message 3 was never written and goes on connection 2.
    int[] mails = {0};
    PipelineServer server = new PipelineServer(CHUNKING, new int[] {3, 1},
        (n, line) -> line.startsWith("MAIL") && ++mails[0] == 2 ? "DROP" : null);
    closer.add(server);
    SmtpProvider smtp = provider(server.port());

    List<SendOutcome> outcomes = smtp.sendBatch(List.of(email(1, "one", "a@example.org"),
        email(2, "two", "b@example.org"), email(3, "three", "c@example.org")));

    assertThat(outcomes.get(0).failure().orElseThrow().kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(outcomes.get(1).failure().orElseThrow().kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(outcomes.get(2).result()).isPresent();
    assertThat(server.connections()).isEqualTo(2);
    // Message 1 did arrive, though its reply never came: why an in-flight message is TRANSIENT (its
    // outcome unknown, retried under its idempotency key) rather than sent again here. Message 2 never did.
    assertThat(server.received()).extracting(PipelineServer.Received::text)
        .satisfiesExactly(t -> assertThat(t).endsWith("one"), t -> assertThat(t).endsWith("three"));
  }

  @Test
  void aReplyThatNeverComesFailsOnlyTheMessagesStillInFlightAndTheConnectionIsReplaced() throws Exception {
    // Connection 1 answers messages 1 and 2 but never message 3 (it waits for a fourth that never comes).
    PipelineServer server = new PipelineServer(CHUNKING, new int[] {4, 1}, (n, line) -> null);
    closer.add(server);
    SmtpProvider smtp = SmtpProvider.builder("127.0.0.1").port(server.port()).tls(TlsMode.NONE).poolSize(1)
        .readTimeout(Duration.ofMillis(700)).build();
    closer.add(smtp);

    List<SendOutcome> outcomes = smtp.sendBatch(List.of(email(1, "one", "a@example.org"),
        email(2, "two", "b@example.org"), email(3, "three", "c@example.org")));

    assertThat(outcomes.get(0).result()).isPresent();
    assertThat(outcomes.get(1).result()).isPresent();
    ProviderException third = outcomes.get(2).failure().orElseThrow();
    assertThat(third.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(third.getMessage()).contains("timed out");
    // The timed-out connection is never handed out again.
    smtp.send(email(4, "four", "d@example.org"));
    assertThat(server.connections()).isEqualTo(2);
  }

  @Test
  void aTemporaryRefusalOfOneChunkedMessageIsThatMessagesAlone() throws Exception {
    int[] chunks = {0};
    PipelineServer server = server(CHUNKING, 3, (n, line) ->
        line.startsWith("BDAT") && ++chunks[0] == 2 ? "451 4.3.0 try again later" : null);
    SmtpProvider smtp = provider(server.port());

    List<SendOutcome> outcomes = smtp.sendBatch(List.of(email(1, "one", "a@example.org"),
        email(2, "two", "b@example.org"), email(3, "three", "c@example.org")));

    assertThat(outcomes.get(0).result()).isPresent();
    ProviderException second = outcomes.get(1).failure().orElseThrow();
    assertThat(second.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(second.code()).contains("451 4.3.0");
    assertThat(outcomes.get(2).result()).isPresent();
    assertThat(server.received()).extracting(PipelineServer.Received::text)
        .satisfiesExactly(t -> assertThat(t).endsWith("one"), t -> assertThat(t).endsWith("three"));
  }

  @Test
  void greenMailWithoutChunkingOrPipeliningGetsEachMessageInLockStepWithData() throws Exception {
    SmtpProvider smtp = provider(GREEN_MAIL.getSmtp().getPort());

    List<SendOutcome> outcomes = smtp.sendBatch(List.of(email(1, ".one", "ann@example.org"),
        email(2, "two", "bob@example.org"), email(3, "three", "cid@example.org")));

    assertThat(outcomes).allSatisfy(o -> assertThat(o.result()).isPresent());
    assertThat(GREEN_MAIL.getReceivedMessages()).hasSize(3);
    assertThat(new String(GREEN_MAIL.getReceivedMessagesForDomain("example.org")[0].getRawInputStream()
        .readAllBytes(), StandardCharsets.UTF_8)).contains(".one");
  }
}
