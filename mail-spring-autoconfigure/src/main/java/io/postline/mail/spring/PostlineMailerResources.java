package io.postline.mail.spring;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the auto-configuration creates and hands to the Mailer's builder (providers, a queue, a
 * rate-limit backend, Postline's Redis connection). A Mailer never closes what it is given, so this
 * bean does: the Mailer bean depends on it, hence Spring closes the Mailer first and this after,
 * newest first, so that Postline's Redis client (added first) outlives the queue built on it.
 */
final class PostlineMailerResources implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostlineMailerResources.class);

  private final Deque<AutoCloseable> owned = new ArrayDeque<>();

  /** Takes {@code resource} into this bean's care and returns it. */
  synchronized <T extends AutoCloseable> T add(T resource) {
    owned.push(resource);
    return resource;
  }

  /** What is held, newest first. */
  synchronized List<AutoCloseable> owned() {
    return List.copyOf(owned);
  }

  /** Closes everything held, newest first; a failure is logged and the rest still closed. */
  @Override
  public synchronized void close() {
    while (!owned.isEmpty()) {
      AutoCloseable resource = owned.pop();
      try {
        resource.close();
      } catch (Exception e) {
        // toString() only: a provider's exception message may hold what it was configured with.
        log.warn("Closing {} failed: {}", resource, e.getClass().getName());
      }
    }
  }
}
