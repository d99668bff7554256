package io.postline.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.spi.ProviderSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code dkim.*} and {@code smime.*} option grammar: what it builds, and errors that name the option. */
class SigningOptionsTest {
  static final KeyPair RSA = DkimSignerTest.generate("RSA", 2048);
  static final KeyPair ED = DkimSignerTest.generate("Ed25519", 0);

  static String pem(PrivateKey key) {
    return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  static ProviderSettings settings(String... options) {
    ProviderSettings.Builder b = ProviderSettings.builder("smtp").name("relay").host("localhost");
    for (int i = 0; i < options.length; i += 2) {
      b.option(options[i], options[i + 1]);
    }
    return b.build();
  }

  @Test
  void noOptionsNoSigners() {
    ProviderSettings none = settings("tls", "none");
    assertThat(SigningOptions.names(none)).isEmpty();
    assertThat(SigningOptions.dkim(none)).isEmpty();
    assertThat(SigningOptions.smime(none)).isEmpty();
  }

  @Test
  void numberedKeysShareTheCommonDomainAndMayNameTheirOwn(@TempDir Path dir) throws Exception {
    Path rsa = dir.resolve("rsa.pem");
    Files.writeString(rsa, pem(RSA.getPrivate()));
    ProviderSettings s = settings("dkim.domain", "example.org",
        "dkim.1.selector", "rsa2025", "dkim.1.key", rsa.toString(),
        "dkim.2.selector", "ed2025", "dkim.2.keyPem", pem(ED.getPrivate()),
        "dkim.10.domain", "example.net", "dkim.10.selector", "net", "dkim.10.keyPem", pem(ED.getPrivate()));

    DkimSigner signer = SigningOptions.dkim(s).orElseThrow();

    assertThat(signer.domains()).containsExactlyInAnyOrder("example.org", "example.net");
    assertThat(signer.toString()).contains("example.org s=rsa2025 rsa-sha256", "example.org s=ed2025 ed25519-sha256",
        "example.net s=net ed25519-sha256").doesNotContain(rsa.toString());
    assertThat(SigningOptions.names(s)).contains("dkim.domain", "dkim.1.key", "dkim.10.keyPem");
    String signed = new String(signer.sign(DkimSignerTest.eml("x")), StandardCharsets.US_ASCII);
    assertThat(signed.split("DKIM-Signature:", -1)).hasSize(3);
  }

  @Test
  void errorsNameTheOptionAndShowNoKeyOrPath(@TempDir Path dir) throws Exception {
    String edPem = pem(ED.getPrivate());
    Path secretDir = dir.resolve("very-secret-dir");

    assertError(settings("dkim.3.selectr", "s"), "unknown DKIM option dkim.3.selectr of provider relay");
    assertError(settings("dkim.001.selector", "s"), "unknown DKIM option dkim.001.selector");
    assertError(settings("dkim.domain", "example.org"), "option dkim.domain of provider relay has no key");
    assertError(settings("dkim.domain", "example.org", "dkim.selector", "a", "dkim.keyPem", edPem,
        "dkim.1.selector", "b", "dkim.1.keyPem", edPem), "mix one key (dkim.selector, dkim.key) with numbered keys [dkim.1.*]");
    assertError(settings("dkim.1.selector", "a", "dkim.1.keyPem", edPem), "DKIM key dkim.1.* of provider relay needs "
        + "dkim.1.domain (or dkim.domain for every key)");
    assertError(settings("dkim.domain", "example.org", "dkim.1.keyPem", edPem), "needs dkim.1.selector");
    assertError(settings("dkim.domain", "example.org", "dkim.1.selector", "a"), "needs exactly one of dkim.1.key");
    assertError(settings("dkim.domain", "example.org", "dkim.1.selector", "a", "dkim.1.keyPem", edPem,
        "dkim.1.key", "/k.pem"), "needs exactly one of dkim.1.key");
    assertError(settings("dkim.domain", "example.org", "dkim.1.selector", "a", "dkim.1.key", edPem),
        "option dkim.1.key of provider relay is the path of a PKCS#8 PEM file, not the key itself");
    assertError(settings("dkim.domain", "example.org", "dkim.1.selector", "a", "dkim.1.key",
        secretDir.resolve("k.pem").toString()), "option dkim.1.key of provider relay: cannot read the PEM private key "
        + "file (NoSuchFileException)");
    assertError(settings("dkim.domain", "example.org", "dkim.1.selector", "a", "dkim.1.keyPem", "not pem"),
        "option dkim.1.keyPem of provider relay: expected one PEM block");
    assertError(settings("dkim.domain", "example.org", "dkim.1.selector", "a", "dkim.1.keyPem",
        pem(DkimSignerTest.generate("RSA", 1024).getPrivate())), "DKIM key dkim.1.* of provider relay: the DKIM key "
        + "for example.org (selector a) is an RSA key of 1024 bits");
    assertError(settings("dkim.domain", "example.org", "dkim.1.selector", "a", "dkim.1.keyPem", edPem,
        "dkim.2.selector", "a", "dkim.2.keyPem", edPem), "already has a key for selector a");

    assertError(settings("smime.encrypted", secretDir.toString()), "unknown S/MIME option smime.encrypted");
    assertError(settings("smime.encrypt", secretDir.toString()), "option smime.encrypt of provider relay: the S/MIME "
        + "recipient certificate directory is not a readable directory");
    assertError(settings("smime.cert", "/x.pem"), "belong to a signing key: add smime.key");
    assertError(settings("smime.key", secretDir.resolve("k").toString()), "option smime.key of provider relay: the "
        + "file cannot be read (NoSuchFileException)");
    Path keyFile = dir.resolve("key.pem");
    Files.writeString(keyFile, pem(RSA.getPrivate()));
    assertError(settings("smime.key", keyFile.toString()), "is a PEM key: give its certificate chain in smime.cert");
    Path garbage = dir.resolve("garbage.p12");
    Files.write(garbage, new byte[] {1, 2, 3});
    assertError(settings("smime.key", garbage.toString(), "smime.password", "hunter2"), "the PKCS#12 file cannot be read "
        + "with the given smime.password, or is not PKCS#12");
  }

  static void assertError(ProviderSettings s, String expected) {
    assertThatThrownBy(() -> {
      SigningOptions.dkim(s);
      SigningOptions.smime(s);
    }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(expected)
        .message().doesNotContain("very-secret-dir").doesNotContain("hunter2")
        .doesNotContain(Base64.getEncoder().encodeToString(ED.getPrivate().getEncoded()).substring(0, 20))
        .doesNotContain(Base64.getEncoder().encodeToString(RSA.getPrivate().getEncoded()).substring(0, 20));
  }
}
