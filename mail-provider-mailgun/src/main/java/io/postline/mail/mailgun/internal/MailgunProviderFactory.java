package io.postline.mail.mailgun.internal;

import io.postline.mail.mailgun.MailgunProvider;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;

/** Creates {@link MailgunProvider}s for {@code mailgun://API_KEY@mg.example.org} DSNs. */
public final class MailgunProviderFactory implements MailProviderFactory {
  /** For {@link java.util.ServiceLoader}. */
  public MailgunProviderFactory() {}

  @Override
  public String scheme() {
    return MailgunProvider.SCHEME;
  }

  @Override
  public MailProvider create(ProviderSettings settings) {
    return MailgunProvider.create(settings);
  }
}
