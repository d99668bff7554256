package io.postline.mail.tck;

import java.security.KeyPair;
import java.util.Map;

/**
 * The keys the DKIM suites of every provider that sends Postline-signed MIME sign with, made once
 * per JVM: {@code example.org} with selectors {@code rsa2025} (RSA, 2048 bits) and {@code ed2025}
 * (Ed25519), and the DNS records {@link Dkimpy#verify} checks them against.
 */
public final class DkimTestKeys {
  /** The RSA key of selector {@code rsa2025}. */
  public static final KeyPair RSA = Dkimpy.rsa(2048);
  /** The Ed25519 key of selector {@code ed2025}. */
  public static final KeyPair ED25519 = Dkimpy.ed25519();
  /** Both keys' DNS TXT records, by name. */
  public static final Map<String, String> RECORDS = Map.of(
      "rsa2025._domainkey.example.org", Dkimpy.record(RSA.getPublic()),
      "ed2025._domainkey.example.org", Dkimpy.record(ED25519.getPublic()));

  private DkimTestKeys() {}
}
