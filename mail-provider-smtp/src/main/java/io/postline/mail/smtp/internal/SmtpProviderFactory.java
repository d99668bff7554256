package io.postline.mail.smtp.internal;

import io.postline.mail.smtp.SmtpProvider;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;

/** The {@code smtp://} scheme: STARTTLS (or, with {@code tls=none}, plain) SMTP. */
public final class SmtpProviderFactory implements MailProviderFactory {
  /** For {@link java.util.ServiceLoader}. */
  public SmtpProviderFactory() {}

  @Override
  public String scheme() {
    return SmtpProvider.SCHEME;
  }

  @Override
  public MailProvider create(ProviderSettings settings) {
    return SmtpProvider.create(settings);
  }
}
