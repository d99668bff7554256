package io.postline.mail.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class WireLogTest {
  Logger wire;
  ListAppender<ILoggingEvent> appender;

  @BeforeEach
  void capture() {
    wire = (Logger) LoggerFactory.getLogger(WireLog.LOGGER);
    wire.setLevel(Level.TRACE);
    appender = new ListAppender<>();
    appender.start();
    wire.addAppender(appender);
  }

  @AfterEach
  void release() {
    wire.detachAppender(appender);
    wire.setLevel(null);
  }

  List<String> lines() {
    return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  @Test
  void logsCommandsAndRepliesWithDirectionsAndHidesAuthAndContent() {
    PrintStream out = WireLog.stream("[p#1]", new Redactor("ann", "pa55word"));
    out.println("220 mx ESMTP");
    out.println("EHLO client");
    out.println("AUTH PLAIN AGFubgBwYTU1d29yZA==");
    out.println("334 ");
    out.println("cGE1NXdvcmQ=");
    out.println("235 2.7.0 ok");
    out.println("MAIL FROM:<ann@example.org>");
    out.println("250 OK");
    out.println("DATA");
    out.println("354 go");
    out.println("Subject: secret subject");
    out.println("");
    out.println("secret body with pa55word");
    out.println(".");
    out.println("250 queued");
    out.println("DEBUG SMTP: something about bob@example.org");
    out.println("\tat org.example.Foo.bar(Foo.java:1)");

    assertThat(lines()).containsExactly(
        "DEBUG [p#1] S: 220 mx ESMTP",
        "DEBUG [p#1] C: EHLO client",
        "DEBUG [p#1] C: AUTH PLAIN ****",
        "DEBUG [p#1] S: 334 ****",
        "DEBUG [p#1] C: ****",
        "DEBUG [p#1] S: 235 2.7.0 ok",
        "DEBUG [p#1] C: MAIL FROM:<a***@example.org>",
        "DEBUG [p#1] S: 250 OK",
        "DEBUG [p#1] C: DATA",
        "DEBUG [p#1] S: 354 go",
        "DEBUG [p#1] C: <message content, 3 lines, not logged>",
        "DEBUG [p#1] C: .",
        "DEBUG [p#1] S: 250 queued",
        "TRACE [p#1] DEBUG SMTP: something about b***@example.org");
  }

  @Test
  void aRefusedDataCommandDoesNotSwallowTheConversation() {
    PrintStream out = WireLog.stream("[p#2]", Redactor.none());
    out.println("DATA");
    out.println("554 5.5.1 no valid recipients");
    out.println("RSET");
    out.println("250 OK");

    assertThat(lines()).containsExactly("DEBUG [p#2] C: DATA", "DEBUG [p#2] S: 554 5.5.1 no valid recipients",
        "DEBUG [p#2] C: RSET", "DEBUG [p#2] S: 250 OK");
  }
}
