package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.postline.mail.Email;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The DEBUG conversation log with pipelining: replies arrive after later commands were written,
 * and with CHUNKING there is no DATA at all; no line of a message body may reach the log either way.
 */
@Timeout(30)
class SmtpPipeliningLogHygieneTest {
  private static final String SECRET_LINE = "Body text that must never be logged";
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private ListAppender<ILoggingEvent> appender;
  private Logger root;
  private Level rootLevel;

  @BeforeEach
  void capture() {
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    root.setLevel(Level.DEBUG);
    appender = new ListAppender<>();
    appender.start();
    root.addAppender(appender);
  }

  @AfterEach
  void release() throws Exception {
    root.detachAppender(appender);
    root.setLevel(rootLevel);
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
  }

  private void sendBatchThrough(List<String> extensions) throws Exception {
    PipelineServer server = new PipelineServer(extensions, 3, (n, line) -> n == 2 && line.startsWith("RCPT")
        ? "550 5.1.1 unknown" : null);
    closeAfter.add(server);
    SmtpProvider smtp = SmtpProvider.builder("127.0.0.1").port(server.port()).tls(TlsMode.NONE)
        .readTimeout(Duration.ofSeconds(3)).build();
    closeAfter.add(smtp);
    List<Email> emails = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      emails.add(Email.builder().from("shop@example.org").to("ann" + i + "@example.org").subject("s")
          .text(SECRET_LINE + "\n.\nGrüße " + SECRET_LINE).build());
    }
    smtp.sendBatch(emails);
  }

  private List<String> lines() {
    return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void pipelinedDataBodiesAreNeverLogged() throws Exception {
    sendBatchThrough(List.of("PIPELINING", "8BITMIME"));

    assertThat(lines()).anyMatch(l -> l.contains("C: MAIL FROM:<s***@example.org>"));
    assertThat(lines()).filteredOn(l -> l.contains("<message content,")).hasSize(3);
    assertThat(lines()).noneMatch(l -> l.contains(SECRET_LINE) || l.contains("Grüße") || l.contains("ann1@"));
  }

  @Test
  void chunkedBodiesAreNeverLogged() throws Exception {
    sendBatchThrough(List.of("PIPELINING", "CHUNKING", "8BITMIME"));

    assertThat(lines()).anyMatch(l -> l.matches(".*C: BDAT \\d+ LAST"));
    assertThat(lines()).filteredOn(l -> l.contains("<message content,") && l.contains("bytes")).hasSize(4);
    assertThat(lines()).noneMatch(l -> l.contains(SECRET_LINE) || l.contains("Grüße") || l.contains("ann1@"));
  }
}
