package io.postline.mail.smtp;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test opened (servers, providers, proxies), in the order it was added, after each
 * test and after the class's own {@code @AfterEach} methods:
 * {@code @RegisterExtension final Closer closer = new Closer();}, then {@code closer.add(server)}.
 */
final class Closer implements AfterEachCallback {
  private final List<AutoCloseable> opened = new ArrayList<>();

  /** Closes {@code c} after the test; returns it. */
  <T extends AutoCloseable> T add(T c) {
    opened.add(c);
    return c;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      for (AutoCloseable c : opened) {
        c.close();
      }
    } finally {
      opened.clear();
    }
  }
}
