package io.postline.mail.mime;

import io.postline.mail.Address;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * S/MIME (RFC 8551) over rendered MIME bytes: signs ({@code multipart/signed}, a detached
 * SHA-256 CMS signature) and encrypts to the recipients' certificates
 * ({@code application/pkcs7-mime; smime-type=enveloped-data}, AES-256-CBC), signing first when
 * both are configured. Recipients may hold RSA certificates (key transport, RSA PKCS#1 v1.5) or EC
 * certificates (ECDH key agreement, RFC 5753: an ephemeral key on the recipient's curve, the
 * SHA-256 KDF and AES-256 key wrap). Needs Bouncy Castle ({@code org.bouncycastle:bcpkix-jdk18on})
 * on the class path; the EC key agreement uses Bouncy Castle's JCA provider, never registered
 * globally.
 *
 * <p>Only the message's content is wrapped: its {@code Content-*} headers and body become the
 * signed or encrypted entity; every other header (From, To, Subject, Date, Message-ID,
 * MIME-Version, custom and {@code X-Postline-*} headers) stays in place byte for byte.
 *
 * <pre>{@code
 * Smime smime = Smime.builder()
 *     .signWith(PemKeys.privateKey(Path.of("signer.key.pem")), PemKeys.certificates(Path.of("signer.pem")))
 *     .encryptTo(SmimeCertificates.directory(Path.of("/etc/postline/recipients")))
 *     .build();
 * byte[] out = smime.apply(MimeRenderer.defaults().toEml(email), email.recipients());
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #toString()} names the signer's subject, never its key.
 */
public final class Smime {
  private static final byte[] CRLF = {'\r', '\n'};

  private final @Nullable PrivateKey signingKey;
  private final List<X509Certificate> chain;
  private final @Nullable SmimeCertificates certificates;

  private Smime(Builder b) {
    this.signingKey = b.signingKey;
    this.chain = List.copyOf(b.chain);
    this.certificates = b.certificates;
  }

  /** A builder; configure signing, encryption or both. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The message signed and/or encrypted.
   *
   * @param message a MIME message with CRLF line ends, as {@link MimeRenderer#toEml} writes it
   * @param recipients every envelope recipient (to, cc and bcc): each must have a certificate
   *     when encrypting
   * @throws SigningException if a recipient has no certificate, or one that is expired, not yet
   *     valid or neither RSA nor EC, or the CMS structure cannot be made; nothing is then to be sent
   * @throws RuntimeException whatever the {@link SmimeCertificates} lookup throws, unchanged (a
   *     directory service that is down: sending again later may succeed)
   */
  public byte[] apply(byte[] message, List<Address> recipients) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(recipients, "recipients");
    RawMessage m = RawMessage.parse(message);
    ByteArrayOutputStream outer = new ByteArrayOutputStream(message.length * 2);
    ByteArrayOutputStream entity = new ByteArrayOutputStream(message.length);
    for (RawMessage.Field f : m.fields) {
      boolean content = f.name().toLowerCase(Locale.ROOT).startsWith("content-");
      (content ? entity : outer).write(m.bytes, f.start(), f.end() - f.start());
    }
    entity.writeBytes(CRLF);
    entity.write(m.bytes, m.bodyStart, m.bytes.length - m.bodyStart);
    byte[] inner = entity.toByteArray();
    if (signingKey != null) {
      inner = signed(inner, signingKey);
    }
    if (certificates != null) {
      inner = encrypted(inner, recipients, certificates);
    }
    outer.writeBytes(inner);
    return outer.toByteArray();
  }

  private byte[] signed(byte[] entity, PrivateKey key) {
    byte[] signature = SmimeCms.detachedSignature(entity, key, chain);
    String boundary = boundary();
    ByteArrayOutputStream out = new ByteArrayOutputStream(entity.length + signature.length * 2);
    ascii(out, "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n"
        + "\tboundary=\"" + boundary + "\"\r\n\r\n"
        + "This is an S/MIME signed message\r\n--" + boundary + "\r\n");
    out.writeBytes(entity);
    ascii(out, "\r\n--" + boundary + "\r\n"
        + "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
        + "Content-Transfer-Encoding: base64\r\n"
        + "Content-Disposition: attachment; filename=smime.p7s\r\n\r\n");
    out.writeBytes(Base64.getMimeEncoder(76, CRLF).encode(signature));
    ascii(out, "\r\n--" + boundary + "--\r\n");
    return out.toByteArray();
  }

  private static byte[] encrypted(byte[] entity, List<Address> recipients, SmimeCertificates certificates) {
    byte[] enveloped = SmimeCms.envelope(entity, recipients, certificates);
    ByteArrayOutputStream out = new ByteArrayOutputStream(enveloped.length * 4 / 3 + 512);
    ascii(out, "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        + "Content-Transfer-Encoding: base64\r\n"
        + "Content-Disposition: attachment; filename=smime.p7m\r\n\r\n");
    out.writeBytes(Base64.getMimeEncoder(76, CRLF).encode(enveloped));
    out.writeBytes(CRLF);
    return out.toByteArray();
  }

  private static String boundary() {
    return "postline-smime-" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }

  private static void ascii(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** What is done: the signer's subject and whether messages are encrypted; never a key. */
  @Override
  public String toString() {
    return "Smime[sign=" + (signingKey == null ? "no" : chain.get(0).getSubjectX500Principal().getName())
        + ", encrypt=" + (certificates != null) + "]";
  }

  /** Settings for {@link Smime}. */
  public static final class Builder {
    private @Nullable PrivateKey signingKey;
    private List<X509Certificate> chain = List.of();
    private @Nullable SmimeCertificates certificates;

    private Builder() {}

    /**
     * Signs every message.
     *
     * @param key the signer's private key (RSA or EC); see {@link PemKeys}, or a PKCS#12 file read
     *     with {@link java.security.KeyStore}
     * @param chain the signer's certificate first, then any intermediates, sent with the signature
     */
    public Builder signWith(PrivateKey key, List<X509Certificate> chain) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(chain, "chain");
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("S/MIME signing needs the signer's certificate");
      }
      this.signingKey = key;
      this.chain = List.copyOf(chain);
      return this;
    }

    /**
     * Encrypts every message to its recipients; {@code certificates} gives each recipient's RSA or
     * EC certificate ({@link SmimeCertificates#directory(java.nio.file.Path)}, or a lambda such as
     * {@code a -> Optional.ofNullable(map.get(a.email()))}). A recipient without one fails the
     * message.
     */
    public Builder encryptTo(SmimeCertificates certificates) {
      this.certificates = Objects.requireNonNull(certificates, "certificates");
      return this;
    }

    /**
     * The S/MIME settings.
     *
     * @throws IllegalStateException if neither signing nor encryption is configured, or Bouncy
     *     Castle is not on the class path
     */
    public Smime build() {
      if (signingKey == null && certificates == null) {
        throw new IllegalStateException("S/MIME needs signWith(..), encryptTo(..) or both");
      }
      try {
        Class.forName("org.bouncycastle.cms.CMSSignedDataGenerator", false, Smime.class.getClassLoader());
        Class.forName("org.bouncycastle.jce.provider.BouncyCastleProvider", false, Smime.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalStateException("S/MIME needs Bouncy Castle on the class path: add the dependency "
            + "org.bouncycastle:bcpkix-jdk18on", e);
      }
      return new Smime(this);
    }
  }
}
