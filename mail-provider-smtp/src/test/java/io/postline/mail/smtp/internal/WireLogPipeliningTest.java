package io.postline.mail.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The conversation log of a pipelined exchange, as Postline's engine writes it: MAIL, RCPT and
 * DATA go out together, so their replies (250, 250, 354) all follow DATA. The content after the
 * 354 must still be left out (found against Postfix: it was logged).
 */
class WireLogPipeliningTest {
  @Test
  void contentAfterAPipelinedDataIsNotLogged() {
    Logger wire = (Logger) LoggerFactory.getLogger(WireLog.LOGGER);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    wire.addAppender(captured);
    wire.setLevel(Level.DEBUG);
    try {
      PrintStream out = WireLog.stream("[p#1]", Redactor.none());
      for (String line : List.of("MAIL FROM:<shop@example.org>", "RCPT TO:<ann@example.org>",
          "RCPT TO:<ghost@example.org>", "DATA", "250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 unknown",
          "354 End data with <CR><LF>.<CR><LF>", "Subject: secret subject", "", "secret body", ".",
          "250 2.0.0 Ok: queued", "MAIL FROM:<shop@example.org>")) {
        out.println(line);
      }
    } finally {
      wire.detachAppender(captured);
      wire.setLevel(null);
    }

    List<String> lines = captured.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(lines).noneMatch(l -> l.contains("secret"));
    assertThat(lines).containsSubsequence("[p#1] S: 354 End data with <CR><LF>.<CR><LF>",
        "[p#1] C: <message content, 3 lines, not logged>", "[p#1] C: .", "[p#1] S: 250 2.0.0 Ok: queued",
        "[p#1] C: MAIL FROM:<s***@example.org>");
  }
}
