package io.postline.mail.core.internal;

import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;
import java.util.Set;

/**
 * {@code memory://OUTBOX}: an {@link InMemoryProvider} on the shared outbox {@code OUTBOX}, so
 * tests reach it with {@code InMemoryProvider.named("OUTBOX")}.
 */
public final class InMemoryProviderFactory implements MailProviderFactory {
  /** Needed by {@link java.util.ServiceLoader}. */
  public InMemoryProviderFactory() {}

  @Override
  public String scheme() {
    return "memory";
  }

  @Override
  public MailProvider create(ProviderSettings settings) {
    settings.requireKnownOptions(Set.of());
    return InMemoryProvider.named(settings.name(), settings.host());
  }
}
