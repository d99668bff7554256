package io.postline.mail.feedback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/** Signs as SendGrid does (ECDSA P-256 over timestamp and body); shared with the Spring endpoints' tests. */
public final class SendGridSigner {
  private SendGridSigner() {}

  /** A fresh P-256 key pair. */
  public static KeyPair keys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The verification key as SendGrid shows it: base64 of the SubjectPublicKeyInfo. */
  public static String verificationKey(KeyPair keys) {
    return Base64.getEncoder().encodeToString(keys.getPublic().getEncoded());
  }

  /** The base64 signature of {@code timestamp} followed by {@code body}. */
  public static String sign(KeyPair keys, String timestamp, byte[] body) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(keys.getPrivate());
      s.update(timestamp.getBytes(StandardCharsets.UTF_8));
      s.update(body);
      return Base64.getEncoder().encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
