package io.postline.mail.ses.internal;

import io.postline.mail.ses.SesProvider;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;

/** Creates {@link SesProvider}s for {@code ses://ACCESS_KEY:SECRET@default?region=...} DSNs. */
public final class SesProviderFactory implements MailProviderFactory {
  /** For {@link java.util.ServiceLoader}. */
  public SesProviderFactory() {}

  @Override
  public String scheme() {
    return SesProvider.SCHEME;
  }

  @Override
  public MailProvider create(ProviderSettings settings) {
    return SesProvider.create(settings);
  }
}
