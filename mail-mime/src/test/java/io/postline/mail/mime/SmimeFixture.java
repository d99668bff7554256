package io.postline.mail.mime;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A self-signed RSA certificate for a recipient, made in memory. */
final class SmimeFixture {
  private static final X509Certificate CERTIFICATE = make();

  private SmimeFixture() {}

  static X509Certificate certificate() {
    return CERTIFICATE;
  }

  private static X509Certificate make() {
    try {
      KeyPair keys = DkimSignerTest.generate("RSA", 2048);
      X500Name name = new X500Name("CN=b@example.org");
      Instant now = Instant.now();
      var builder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(now.minus(Duration.ofHours(1))),
          Date.from(now.plus(Duration.ofDays(2))), name, keys.getPublic());
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
