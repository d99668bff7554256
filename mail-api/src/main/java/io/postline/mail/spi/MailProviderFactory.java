package io.postline.mail.spi;

/**
 * Creates providers from settings, found with {@link java.util.ServiceLoader}: list the
 * implementation in {@code META-INF/services/io.postline.mail.spi.MailProviderFactory}. Exactly
 * one factory may claim a scheme.
 *
 * <p>Factories need a public no-argument constructor and must be cheap to create: they are
 * instantiated when a {@code Mailer} is built, even when their scheme is not used.
 */
public interface MailProviderFactory {

  /** The DSN scheme this factory serves, such as {@code smtp}; lower case. */
  String scheme();

  /**
   * Creates a provider.
   *
   * @param settings the parsed DSN; {@link ProviderSettings#name()} is the provider's name
   * @throws IllegalArgumentException naming the setting that is missing or wrong
   */
  MailProvider create(ProviderSettings settings);
}
