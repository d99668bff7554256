package io.postline.mail.core.internal;

import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MailProviderFactory}s {@link ServiceLoader} finds, by scheme. A factory that fails
 * to load is logged and skipped (and named when its scheme is asked for); two factories for one
 * scheme are an error.
 */
public final class ProviderRegistry {
  private static final Logger log = LoggerFactory.getLogger(ProviderRegistry.class);
  /** Stops a broken iterator that keeps failing on the same entry from looping forever. */
  private static final int MAX_LOAD_FAILURES = 100;

  private final Map<String, MailProviderFactory> factories;
  private final List<String> loadFailures;

  private ProviderRegistry(Map<String, MailProviderFactory> factories, List<String> loadFailures) {
    this.factories = factories;
    this.loadFailures = loadFailures;
  }

  /**
   * Loads every factory visible to {@code classLoader}.
   *
   * @throws IllegalStateException if two factories claim one scheme
   */
  public static ProviderRegistry load(ClassLoader classLoader) {
    Map<String, MailProviderFactory> factories = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    Iterator<MailProviderFactory> it = ServiceLoader.load(MailProviderFactory.class, classLoader).iterator();
    while (failures.size() < MAX_LOAD_FAILURES) {
      MailProviderFactory factory;
      try {
        if (!it.hasNext()) {
          break;
        }
        factory = it.next();
      } catch (ServiceConfigurationError | LinkageError e) {
        failures.add(e.getMessage());
        log.warn("A mail provider factory failed to load and is skipped: {}", e.getMessage());
        continue;
      }
      String scheme = factory.scheme();
      MailProviderFactory existing = factories.putIfAbsent(scheme, factory);
      if (existing != null) {
        throw new IllegalStateException("two mail provider factories claim the scheme '" + scheme
            + "': " + existing.getClass().getName() + " and " + factory.getClass().getName()
            + "; keep only one of them on the classpath");
      }
    }
    return new ProviderRegistry(factories, failures);
  }

  /** The schemes with a factory, sorted. */
  public List<String> schemes() {
    return List.copyOf(factories.keySet());
  }

  /**
   * Creates the provider for {@code settings}.
   *
   * @throws IllegalArgumentException if no factory serves the scheme (naming the schemes there
   *     are and the factories that failed to load), or the factory rejects the settings
   */
  public MailProvider create(ProviderSettings settings) {
    MailProviderFactory factory = factories.get(settings.scheme());
    if (factory == null) {
      StringBuilder message = new StringBuilder("no mail provider for the scheme '")
          .append(settings.scheme()).append("' of provider ").append(settings.name())
          .append(" (").append(settings.maskedDsn()).append("); available schemes: ")
          .append(factories.keySet())
          .append(". Add the module for it (such as io.postline:mail-provider-")
          .append(settings.scheme()).append(") to the classpath");
      if (!loadFailures.isEmpty()) {
        message.append("; factories that failed to load: ").append(loadFailures);
      }
      throw new IllegalArgumentException(message.toString());
    }
    try {
      return factory.create(settings);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("provider " + settings.name() + " (" + settings.maskedDsn()
          + ") could not be created: " + e.getMessage(), e);
    }
  }
}
