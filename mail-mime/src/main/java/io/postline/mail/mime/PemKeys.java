package io.postline.mail.mime;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Reads keys and certificates from PEM text, for {@link DkimSigner} and {@link Smime}. Error
 * messages say what is wrong with the text, never what it holds.
 *
 * <pre>{@code
 * PrivateKey key = PemKeys.privateKey(Path.of("/etc/postline/dkim.pem"));
 * PrivateKey fromEnv = PemKeys.privateKey(System.getenv("DKIM_KEY"));
 * }</pre>
 */
public final class PemKeys {
  private static final String PKCS8 = "PRIVATE KEY";

  private PemKeys() {}

  /**
   * The private key of a PKCS#8 PEM file ({@code -----BEGIN PRIVATE KEY-----}): RSA or Ed25519
   * (DKIM), or EC (S/MIME).
   *
   * @throws IllegalArgumentException if the file cannot be read or holds no such key; the
   *     message shows neither the file's content nor its path
   */
  public static PrivateKey privateKey(Path pemFile) {
    Objects.requireNonNull(pemFile, "pemFile");
    return privateKey(read(pemFile, "private key"));
  }

  /**
   * The private key of PKCS#8 PEM text ({@code -----BEGIN PRIVATE KEY-----}), RSA, Ed25519 or EC,
   * for example from an environment variable.
   *
   * @throws IllegalArgumentException if the text holds no such key; the message does not show it
   */
  public static PrivateKey privateKey(String pem) {
    Objects.requireNonNull(pem, "pem");
    if (pem.contains("-----BEGIN RSA PRIVATE KEY-----") || pem.contains("-----BEGIN EC PRIVATE KEY-----")) {
      throw new IllegalArgumentException("the PEM key is in the older PKCS#1/SEC1 form; convert it to "
          + "PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem");
    }
    if (pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new IllegalArgumentException("the PEM key is encrypted; give an unencrypted PKCS#8 key "
          + "(openssl pkcs8 -topk8 -nocrypt) and protect the file or variable instead");
    }
    List<byte[]> blocks = blocks(pem, PKCS8);
    if (blocks.size() != 1) {
      throw new IllegalArgumentException("expected one PEM block '-----BEGIN " + PKCS8 + "-----', found "
          + blocks.size());
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(blocks.get(0));
    for (String algorithm : List.of("RSA", "Ed25519", "EC")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // Not this algorithm: try the next.
      }
    }
    throw new IllegalArgumentException("the PEM private key is not an RSA, Ed25519 or EC PKCS#8 key");
  }

  /**
   * The X.509 certificates of a PEM file ({@code -----BEGIN CERTIFICATE-----}), in file order.
   *
   * @throws IllegalArgumentException if the file cannot be read or holds no certificate; the
   *     message does not show the file's path
   */
  public static List<X509Certificate> certificates(Path pemFile) {
    Objects.requireNonNull(pemFile, "pemFile");
    return certificates(read(pemFile, "certificate"));
  }

  /**
   * The X.509 certificates of PEM text, in order.
   *
   * @throws IllegalArgumentException if the text holds no certificate
   */
  public static List<X509Certificate> certificates(String pem) {
    Objects.requireNonNull(pem, "pem");
    List<byte[]> blocks = blocks(pem, "CERTIFICATE");
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException("no PEM block '-----BEGIN CERTIFICATE-----' found");
    }
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (byte[] der : blocks) {
        certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("a PEM certificate does not parse (" + e.getClass().getSimpleName() + ")");
    }
    return List.copyOf(certificates);
  }

  private static String read(Path file, String what) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      // Neither the path nor a key pasted where a path belongs is echoed back.
      String hint = file.toString().contains("-----") ? "; the given text looks like PEM content, not a path" : "";
      throw new IllegalArgumentException("cannot read the PEM " + what + " file (" + e.getClass().getSimpleName()
          + ")" + hint);
    }
  }

  private static List<byte[]> blocks(String text, String type) {
    // Environment variables often carry PEM with literal "\n" for line breaks.
    String pem = text.replace("\\n", "\n");
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    List<byte[]> blocks = new ArrayList<>();
    int from = 0;
    while (true) {
      int b = pem.indexOf(begin, from);
      if (b < 0) {
        return blocks;
      }
      int e = pem.indexOf(end, b);
      if (e < 0) {
        throw new IllegalArgumentException("a PEM block '" + begin + "' has no end line");
      }
      try {
        blocks.add(Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e)));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("a PEM block '" + begin + "' is not valid base64");
      }
      from = e + end.length();
    }
  }
}
