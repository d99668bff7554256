package io.postline.mail.spring;

import io.postline.mail.Email;
import io.postline.mail.SendResult;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * Scheme {@code recording://KEY}: an in-memory provider that records, under KEY, each time it is
 * closed and whether the Mailer was already closed then (as the test's check for KEY says).
 */
public final class RecordingProviderFactory implements MailProviderFactory {
  /** Per KEY: one entry per close, true when the Mailer was closed at that moment. */
  static final Map<String, List<Boolean>> CLOSES = new ConcurrentHashMap<>();
  /** Per KEY: whether the Mailer is closed; set by the test. */
  static final Map<String, BooleanSupplier> MAILER_CLOSED = new ConcurrentHashMap<>();

  /** Found by ServiceLoader. */
  public RecordingProviderFactory() {}

  @Override
  public String scheme() {
    return "recording";
  }

  @Override
  public MailProvider create(ProviderSettings settings) {
    String key = settings.host();
    InMemoryProvider delegate = new InMemoryProvider(settings.name());
    return new MailProvider() {
      @Override
      public String name() {
        return delegate.name();
      }

      @Override
      public Capabilities capabilities() {
        return delegate.capabilities();
      }

      @Override
      public SendResult send(Email email) throws ProviderException {
        return delegate.send(email);
      }

      @Override
      public void close() {
        BooleanSupplier closed = MAILER_CLOSED.getOrDefault(key, () -> false);
        CLOSES.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(closed.getAsBoolean());
      }
    };
  }
}
