package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.postline.mail.Email;
import io.postline.mail.tck.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DEBUG conversation log with pipelining: replies arrive after later commands were written,
 * and with CHUNKING there is no DATA at all; no line of a message body may reach the log either way.
 */
@Timeout(30)
class SmtpPipeliningLogHygieneTest {
  private static final String SECRET_LINE = "Body text that must never be logged";
  @RegisterExtension
  final Closer closer = new Closer();
  @RegisterExtension
  final LogCapture log = LogCapture.start(Level.DEBUG);

  private void sendBatchThrough(List<String> extensions) throws Exception {
    PipelineServer server = new PipelineServer(extensions, 3, (n, line) -> n == 2 && line.startsWith("RCPT")
        ? "550 5.1.1 unknown" : null);
    closer.add(server);
    SmtpProvider smtp = SmtpProvider.builder("127.0.0.1").port(server.port()).tls(TlsMode.NONE)
        .readTimeout(Duration.ofSeconds(3)).build();
    closer.add(smtp);
    List<Email> emails = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      emails.add(Email.builder().from("shop@example.org").to(i == 3 ? "jürgen@example.org" : "ann" + i + "@example.org")
          .subject("s")
          .text(SECRET_LINE + "\n.\nGrüße " + SECRET_LINE).build());
    }
    smtp.sendBatch(emails);
  }

  @Test
  void anInternationalizedRecipientIsMaskedWhole() throws Exception {
    sendBatchThrough(List.of("PIPELINING", "CHUNKING", "SMTPUTF8"));

    assertThat(lines()).anyMatch(l -> l.contains("C: RCPT TO:<j***@example.org>"));
  }

  private List<String> lines() {
    return log.events().stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void pipelinedDataBodiesAreNeverLogged() throws Exception {
    sendBatchThrough(List.of("PIPELINING", "8BITMIME", "SMTPUTF8"));

    assertThat(lines()).anyMatch(l -> l.contains("C: MAIL FROM:<s***@example.org>"));
    assertThat(lines()).filteredOn(l -> l.contains("<message content,")).hasSize(3);
    assertThat(lines()).noneMatch(l -> l.contains(SECRET_LINE) || l.contains("Grüße") || l.contains("ann1@")
        || l.contains("ürgen"));
  }

  @Test
  void chunkedBodiesAreNeverLogged() throws Exception {
    sendBatchThrough(List.of("PIPELINING", "CHUNKING", "8BITMIME", "SMTPUTF8"));

    assertThat(lines()).anyMatch(l -> l.matches(".*C: BDAT \\d+ LAST"));
    assertThat(lines()).filteredOn(l -> l.contains("<message content,") && l.contains("bytes")).hasSize(4);
    assertThat(lines()).noneMatch(l -> l.contains(SECRET_LINE) || l.contains("Grüße") || l.contains("ann1@")
        || l.contains("ürgen"));
  }
}
