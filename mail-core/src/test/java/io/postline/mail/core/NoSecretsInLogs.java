package io.postline.mail.core;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Registered for every test class of the module (JUnit extension auto-detection): reads every
 * log line at every level, with its exception, and fails the test class in which a line
 * contained one of {@link TestSecrets#ALL}.
 */
public final class NoSecretsInLogs implements BeforeAllCallback, AfterAllCallback {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static final Appender APPENDER = new Appender();

  @Override
  public void beforeAll(ExtensionContext context) {
    synchronized (APPENDER) {
      if (!APPENDER.isStarted()) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        APPENDER.setContext(root.getLoggerContext());
        APPENDER.start();
        root.addAppender(APPENDER);
      }
    }
    LEAKS.clear();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (!LEAKS.isEmpty()) {
      List<String> found = List.copyOf(LEAKS);
      LEAKS.clear();
      throw new AssertionError("log lines contained a configured secret: " + found);
    }
  }

  private static final class Appender extends AppenderBase<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent event) {
      StringBuilder text = new StringBuilder(event.getFormattedMessage());
      if (event.getKeyValuePairs() != null) {
        event.getKeyValuePairs().forEach(kv -> text.append(' ').append(kv.key).append('=').append(kv.value));
      }
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        text.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
        for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
          text.append(' ').append(frame.getSTEAsString());
        }
      }
      for (String secret : TestSecrets.ALL) {
        if (text.indexOf(secret) >= 0) {
          // Name the logger and the secret's position, never the line itself.
          LEAKS.add(event.getLoggerName() + " at " + event.getLevel() + " leaked secret #" + TestSecrets.ALL.indexOf(secret));
        }
      }
    }
  }
}
