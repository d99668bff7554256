package io.postline.mail.mime;

import io.postline.mail.Address;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
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
    byte[] signature;
    X509Certificate signer = chain.get(0);
    try {
      String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA"
          : key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : key.getAlgorithm();
      CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
      generator.addSignerInfoGenerator(new JcaSimpleSignerInfoGeneratorBuilder().build(algorithm, key, signer));
      generator.addCertificates(new JcaCertStore(chain));
      // Detached: the entity travels in clear beside the signature, readable without S/MIME.
      CMSSignedData data = generator.generate(new CMSProcessableByteArray(entity), false);
      signature = data.getEncoded();
    } catch (OperatorCreationException | CMSException | CertificateEncodingException | java.io.IOException
        | RuntimeException e) {
      throw new SigningException("the S/MIME signature could not be made (" + e.getClass().getSimpleName() + ")", e);
    }
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
    byte[] enveloped;
    try {
      CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
      List<String> missing = new ArrayList<>();
      for (Address recipient : recipients) {
        Optional<X509Certificate> certificate = certificates.certificate(recipient);
        if (certificate == null || certificate.isEmpty()) {
          missing.add(recipient.masked());
        } else {
          generator.addRecipientInfoGenerator(recipientInfo(recipient, certificate.get()));
        }
      }
      if (!missing.isEmpty()) {
        throw new SigningException("no S/MIME certificate to encrypt to for recipient(s) " + missing
            + "; the message is not sent unencrypted");
      }
      enveloped = generator.generate(new CMSProcessableByteArray(entity),
          new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build()).getEncoded();
    } catch (SigningException e) {
      throw e;
    } catch (CMSException | GeneralSecurityException | java.io.IOException
        | RuntimeException e) {
      throw new SigningException("the S/MIME encryption could not be made (" + e.getClass().getSimpleName() + ")", e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(enveloped.length * 4 / 3 + 512);
    ascii(out, "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        + "Content-Transfer-Encoding: base64\r\n"
        + "Content-Disposition: attachment; filename=smime.p7m\r\n\r\n");
    out.writeBytes(Base64.getMimeEncoder(76, CRLF).encode(enveloped));
    out.writeBytes(CRLF);
    return out.toByteArray();
  }

  /** Key transport for an RSA certificate, ECDH key agreement for an EC one. */
  private static org.bouncycastle.cms.RecipientInfoGenerator recipientInfo(Address recipient, X509Certificate certificate)
      throws GeneralSecurityException, CMSException {
    try {
      certificate.checkValidity();
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw new SigningException("the S/MIME certificate of recipient " + recipient.masked() + " is "
          + (e instanceof CertificateExpiredException ? "expired" : "not valid yet") + " (valid "
          + certificate.getNotBefore().toInstant() + " to " + certificate.getNotAfter().toInstant()
          + "); the message is not sent", e);
    }
    PublicKey key = certificate.getPublicKey();
    if (key instanceof RSAPublicKey) {
      return new JceKeyTransRecipientInfoGenerator(certificate);
    }
    if (key instanceof ECPublicKey ec) {
      // RFC 5753 ephemeral-static ECDH: a fresh key pair on the recipient's curve for each message.
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(ec.getParams());
      KeyPair ephemeral = generator.generateKeyPair();
      JceKeyAgreeRecipientInfoGenerator agree = new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF,
          ephemeral.getPrivate(), ephemeral.getPublic(), CMSAlgorithm.AES256_WRAP);
      agree.setProvider(Bc.PROVIDER);
      agree.addRecipient(certificate);
      return agree;
    }
    throw new SigningException("the S/MIME certificate of recipient " + recipient.masked() + " holds a "
        + key.getAlgorithm() + " key; S/MIME encrypts to RSA or EC certificates");
  }

  /** Bouncy Castle's JCA provider, made once and used by instance (never added to the JVM's list). */
  private static final class Bc {
    static final BouncyCastleProvider PROVIDER = new BouncyCastleProvider();
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
