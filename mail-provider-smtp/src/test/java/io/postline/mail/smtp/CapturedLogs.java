package io.postline.mail.smtp;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Every log line, TRACE and up, from creation until {@link #close()}, which restores the root level. */
final class CapturedLogs implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Level level = root.getLevel();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  CapturedLogs() {
    root.setLevel(Level.TRACE);
    appender.start();
    root.addAppender(appender);
  }

  /** The events so far. */
  List<ILoggingEvent> events() {
    return appender.list;
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    root.setLevel(level);
  }
}
