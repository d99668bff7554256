package io.postline.mail.mime;

import io.postline.mail.Address;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

/**
 * The CMS structures of {@link Smime}, made with Bouncy Castle; kept apart so that {@link Smime}
 * itself loads without Bouncy Castle and can say that it is missing.
 */
final class SmimeCms {
  private SmimeCms() {}

  /** A detached SHA-256 CMS signature of {@code entity}, with the chain. */
  static byte[] detachedSignature(byte[] entity, PrivateKey key, List<X509Certificate> chain) {
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
    return signature;
  }

  /** {@code entity} enveloped (AES-256-CBC) for every recipient's certificate. */
  static byte[] envelope(byte[] entity, List<Address> recipients, SmimeCertificates certificates) {
    byte[] enveloped;
    Map<Address, X509Certificate> found = lookUp(recipients, certificates);
    try {
      CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
      for (Map.Entry<Address, X509Certificate> e : found.entrySet()) {
        generator.addRecipientInfoGenerator(recipientInfo(e.getKey(), e.getValue()));
      }
      enveloped = generator.generate(new CMSProcessableByteArray(entity),
          new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build()).getEncoded();
    } catch (SigningException e) {
      throw e;
    } catch (CMSException | GeneralSecurityException | java.io.IOException
        | RuntimeException e) {
      throw new SigningException("the S/MIME encryption could not be made (" + e.getClass().getSimpleName() + ")", e);
    }
    return enveloped;
  }

  /**
   * Each recipient's certificate. The lookup's own exceptions pass through unchanged (a directory
   * that is down is not a bad message: the caller may retry); a recipient without one is a
   * {@link SigningException}.
   */
  private static Map<Address, X509Certificate> lookUp(List<Address> recipients, SmimeCertificates certificates) {
    Map<Address, X509Certificate> found = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (Address recipient : recipients) {
      Optional<X509Certificate> certificate = certificates.certificate(recipient);
      if (certificate == null || certificate.isEmpty()) {
        missing.add(recipient.masked());
      } else {
        found.put(recipient, certificate.get());
      }
    }
    if (!missing.isEmpty()) {
      throw new SigningException("no S/MIME certificate to encrypt to for recipient(s) " + missing
          + "; the message is not sent unencrypted");
    }
    return found;
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
}
