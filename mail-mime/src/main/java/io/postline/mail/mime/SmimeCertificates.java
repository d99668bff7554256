package io.postline.mail.mime;

import io.postline.mail.Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the certificate to encrypt to for one recipient, for {@link Smime.Builder#encryptTo}:
 * a directory of PEM files ({@link #directory(Path)}), or any lookup of the application's (an
 * LDAP directory, a database), written as a lambda.
 *
 * <pre>{@code
 * SmimeCertificates fromMap = address -> Optional.ofNullable(certificates.get(address.email()));
 * SmimeCertificates fromDisk = SmimeCertificates.directory(Path.of("/etc/postline/recipients"));
 * }</pre>
 */
@FunctionalInterface
public interface SmimeCertificates {
  /**
   * The certificate (RSA or EC) to encrypt to for {@code recipient}, or empty when there is none;
   * a recipient without one fails the message, which is then not sent.
   */
  Optional<X509Certificate> certificate(Address recipient);

  /**
   * Certificates read from {@code directory}: the recipient {@code Ann@Example.org} is the file
   * {@code ann@example.org.pem} (the address in lower case), whose first PEM certificate is used.
   * Files are read at each lookup, so a certificate added or renewed is used at once. An address
   * that cannot name a file of the directory (one holding {@code /}, {@code \} or starting with
   * {@code .}) has no certificate.
   *
   * @throws IllegalArgumentException if {@code directory} is not a readable directory (the message
   *     does not show its path)
   */
  static SmimeCertificates directory(Path directory) {
    Objects.requireNonNull(directory, "directory");
    if (!Files.isDirectory(directory) || !Files.isReadable(directory)) {
      throw new IllegalArgumentException("the S/MIME recipient certificate directory is not a readable directory");
    }
    return recipient -> {
      String name = recipient.email().toLowerCase(Locale.ROOT);
      if (name.startsWith(".") || name.contains("/") || name.contains("\\")) {
        return Optional.empty();
      }
      Path file = directory.resolve(name + ".pem");
      if (!Files.isRegularFile(file)) {
        return Optional.empty();
      }
      try {
        return Optional.of(PemKeys.certificates(file).get(0));
      } catch (IllegalArgumentException e) {
        throw new SigningException("the S/MIME certificate file of recipient " + recipient.masked()
            + " cannot be used: " + e.getMessage(), e);
      }
    };
  }
}
