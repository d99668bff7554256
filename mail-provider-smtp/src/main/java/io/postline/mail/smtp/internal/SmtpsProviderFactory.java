package io.postline.mail.smtp.internal;

import io.postline.mail.smtp.SmtpProvider;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;

/** The {@code smtps://} scheme: SMTP over implicit TLS. */
public final class SmtpsProviderFactory implements MailProviderFactory {
  /** For {@link java.util.ServiceLoader}. */
  public SmtpsProviderFactory() {}

  @Override
  public String scheme() {
    return SmtpProvider.SCHEME_TLS;
  }

  @Override
  public MailProvider create(ProviderSettings settings) {
    return SmtpProvider.create(settings);
  }
}
