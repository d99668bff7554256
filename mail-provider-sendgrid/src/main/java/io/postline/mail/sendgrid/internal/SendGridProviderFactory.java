package io.postline.mail.sendgrid.internal;

import io.postline.mail.sendgrid.SendGridProvider;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;

/** Creates {@link SendGridProvider}s for {@code sendgrid://API_KEY@default} DSNs. */
public final class SendGridProviderFactory implements MailProviderFactory {
  /** For {@link java.util.ServiceLoader}. */
  public SendGridProviderFactory() {}

  @Override
  public String scheme() {
    return SendGridProvider.SCHEME;
  }

  @Override
  public MailProvider create(ProviderSettings settings) {
    return SendGridProvider.create(settings);
  }
}
