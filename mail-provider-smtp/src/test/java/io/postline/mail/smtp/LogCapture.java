package io.postline.mail.smtp;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Every log event from the root logger down, at a level, until closed (which restores the level). */
final class LogCapture implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Level rootLevel = root.getLevel();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(Level level) {
    root.setLevel(level);
    appender.start();
    root.addAppender(appender);
  }

  static LogCapture start(Level level) {
    return new LogCapture(level);
  }

  /** The events so far. */
  List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    root.setLevel(rootLevel);
  }
}
