package io.postline.mail.tck;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Every Logback event from the root logger down, at a level, from its start until closed (which
 * restores the levels); as a {@code @RegisterExtension} instance field
 * ({@code final LogCapture logs = LogCapture.start(Level.TRACE);}) it is closed after each test. Postline's own loggers ({@code io.postline}) are lowered too, since a test
 * configuration may set them apart: what the hygiene tests read to prove that no secret, body or address is logged. Needs
 * {@code logback-classic} on the test class path (the kit declares it optional).
 */
public final class LogCapture implements AutoCloseable, AfterEachCallback {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Level rootLevel = root.getLevel();
  private final Logger postline = (Logger) LoggerFactory.getLogger("io.postline");
  private final @Nullable Level postlineLevel = postline.getLevel();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(Level level) {
    root.setLevel(level);
    postline.setLevel(level);
    appender.setContext(root.getLoggerContext());
    appender.start();
    root.addAppender(appender);
  }

  /** Starts capturing every event at {@code level} and above. */
  public static LogCapture start(Level level) {
    return new LogCapture(level);
  }

  /** The events so far. */
  public List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  /** Each event so far as one line: logger name, formatted message and stack trace, if any. */
  public List<String> lines() {
    return events().stream().map(LogCapture::line).toList();
  }

  /** An event as one line: logger name, formatted message and stack trace, if any. */
  public static String line(ILoggingEvent event) {
    return event.getLoggerName() + " " + event.getFormattedMessage() + " "
        + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
  }

  /** Closes the capture after the test it was created for. */
  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    root.setLevel(rootLevel);
    postline.setLevel(postlineLevel);
  }
}
