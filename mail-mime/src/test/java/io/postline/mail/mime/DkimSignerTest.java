package io.postline.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The signer's rules; signatures themselves are verified by dkimpy in mail-provider-smtp's DkimSmtpTest. */
class DkimSignerTest {
  static final PrivateKey ED25519 = generate("Ed25519", 0).getPrivate();

  static KeyPair generate(String algorithm, int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
      if (bits > 0) {
        g.initialize(bits);
      }
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static byte[] eml(String body) {
    return MimeRenderer.defaults().toEml(Email.builder().from("a@example.org").to("b@example.org")
        .subject("s").text(body).build());
  }

  static String bodyHash(byte[] signed) {
    Matcher m = Pattern.compile("bh=([^;]+);").matcher(new String(signed, StandardCharsets.US_ASCII));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void rsaKeysShorterThan2048BitsAndOtherKeyTypesAreRefused() {
    assertThatThrownBy(() -> DkimSigner.builder().key("example.org", "s", generate("RSA", 1024).getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the DKIM key for example.org (selector s) is an RSA key of 1024 bits; at least 2048 are required");
    assertThatThrownBy(() -> DkimSigner.builder().key("example.org", "s", generate("Ed448", 0).getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DKIM signs with RSA");
    assertThatThrownBy(() -> DkimSigner.builder().key("example.org", "s", generate("EC", 256).getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a EC key");
    assertThatThrownBy(() -> DkimSigner.builder().key("example.org", "bad selector", ED25519))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selector");
    assertThatThrownBy(() -> DkimSigner.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> DkimSigner.builder().signedHeaders(List.of("To", "Subject")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("From");
  }

  @Test
  void bouncyCastleEd25519GivesTheJdkSignatureByteForByte() throws Exception {
    KeyPair pair = generate("Ed25519", 0);
    java.time.Clock fixed = java.time.Clock.fixed(java.time.Instant.parse("2026-12-02T04:00:00Z"), java.time.ZoneOffset.UTC);
    byte[] message = eml("Grüße\r\n" + "long line ".repeat(200));

    byte[] fast = DkimSigner.builder().clock(fixed).key("example.org", "ed", pair.getPrivate()).build().sign(message);
    byte[] jdk = DkimSigner.builder().clock(fixed).jdkEd25519().key("example.org", "ed", pair.getPrivate()).build()
        .sign(message);

    // Bouncy Castle is on this module's test class path, so the first one took the fast path.
    assertThat(Class.forName("org.bouncycastle.math.ec.rfc8032.Ed25519")).isNotNull();
    assertThat(new String(fast, StandardCharsets.US_ASCII)).isEqualTo(new String(jdk, StandardCharsets.US_ASCII));
    assertThat(new String(fast, StandardCharsets.US_ASCII)).contains("a=ed25519-sha256;");
  }

  @Test
  void signingPrependsHeadersAndLeavesEveryByteOfTheMessageAsItWas() {
    byte[] message = eml("Hello");
    DkimSigner signer = DkimSigner.builder().key("example.org", "ed", ED25519).build();

    byte[] signed = signer.sign(message);

    assertThat(new String(signed, StandardCharsets.US_ASCII)).startsWith("DKIM-Signature: v=1; a=ed25519-sha256;");
    assertThat(Arrays.copyOfRange(signed, signed.length - message.length, signed.length)).isEqualTo(message);
    for (String line : new String(signed, StandardCharsets.US_ASCII).split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(78);
    }
  }

  @Test
  void relaxedBodyHashIgnoresTrailingWhiteSpaceAndEmptyLinesAtTheEndButNotContent() {
    DkimSigner signer = DkimSigner.builder().key("example.org", "ed", ED25519).build();

    String plain = bodyHash(signer.sign(eml("Hello  world\nbye")));

    assertThat(bodyHash(signer.sign(eml("Hello world   \nbye\n\n\n")))).isEqualTo(plain);
    assertThat(bodyHash(signer.sign(eml("Hello world\nbye!")))).isNotEqualTo(plain);
    DkimSigner simple = DkimSigner.builder().key("example.org", "ed", ED25519)
        .canonicalization(DkimCanonicalization.RELAXED, DkimCanonicalization.SIMPLE).build();
    assertThat(bodyHash(simple.sign(eml("Hello  world\nbye")))).isNotEqualTo(plain);
  }

  @Test
  void theMostSpecificDomainSignsAndAnUnrelatedOneIsRefused() {
    PrivateKey other = generate("Ed25519", 0).getPrivate();
    DkimSigner signer = DkimSigner.builder().key("example.org", "parent", ED25519)
        .key("shop.example.org", "child", other).build();
    byte[] fromShop = MimeRenderer.defaults().toEml(Email.builder().from("x@eu.shop.example.org")
        .to("b@example.net").subject("s").text("t").build());

    String signed = new String(signer.sign(fromShop), StandardCharsets.US_ASCII);

    assertThat(signed).contains("d=shop.example.org;").contains("s=child;").doesNotContain("s=parent");
    byte[] lookalike = MimeRenderer.defaults().toEml(Email.builder().from("x@badexample.org")
        .to("b@example.net").subject("s").text("t").build());
    assertThatThrownBy(() -> signer.sign(lookalike)).isInstanceOf(SigningException.class)
        .hasMessage("no DKIM key for the From domain badexample.org: keys are configured for "
            + "[example.org, shop.example.org], and a signing domain must be the From domain or a parent of it");
  }

  @Test
  void toStringNamesKeysButShowsNoKeyMaterial() {
    KeyPair rsa = generate("RSA", 2048);
    DkimSigner signer = DkimSigner.builder().key("example.org", "rsa", rsa.getPrivate())
        .key("example.org", "ed", ED25519).build();

    String text = signer.toString();

    assertThat(text).isEqualTo("DkimSigner[[example.org s=rsa rsa-sha256, example.org s=ed ed25519-sha256], c=relaxed/relaxed]");
    assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(rsa.getPrivate().getEncoded()).substring(0, 20));
  }

  @Test
  void pemKeysReadPkcs8FromTextWithLiteralLineBreaksAndNeverEchoIt() {
    String body = Base64.getEncoder().encodeToString(ED25519.getEncoded());
    PrivateKey read = PemKeys.privateKey("-----BEGIN PRIVATE KEY-----\\n" + body + "\\n-----END PRIVATE KEY-----\\n");
    assertThat(read.getEncoded()).isEqualTo(ED25519.getEncoded());

    assertThatThrownBy(() -> PemKeys.privateKey("-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openssl pkcs8 -topk8")
        .message().doesNotContain(body);
    assertThatThrownBy(() -> PemKeys.privateKey(java.nio.file.Path.of("-----BEGIN PRIVATE KEY-----" + body)))
        .isInstanceOf(IllegalArgumentException.class).message().doesNotContain(body);
  }
}
