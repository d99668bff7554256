package io.postline.mail.queue.codec.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AesGcmCipherTest {
  private static final byte[] K1 = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] K2 = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PLAIN = "{\"v\":1,\"text\":\"personal data\"}".getBytes(StandardCharsets.UTF_8);

  @Test
  void sealsAndOpensWithTheContext() {
    AesGcmCipher cipher = new AesGcmCipher("k1", Map.of("k1", K1));

    byte[] sealed = cipher.seal(PLAIN, "msg-1");

    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("personal");
    assertThat(cipher.open(sealed, "msg-1")).isEqualTo(PLAIN);
    assertThat(cipher.seal(PLAIN, "msg-1")).as("a fresh IV each time").isNotEqualTo(sealed);
  }

  @Test
  void aValueMovedToAnotherContextOrChangedDoesNotOpen() {
    AesGcmCipher cipher = new AesGcmCipher("k1", Map.of("k1", K1));
    byte[] sealed = cipher.seal(PLAIN, "msg-1");
    byte[] tampered = sealed.clone();
    tampered[tampered.length - 1] ^= 1;

    assertThatThrownBy(() -> cipher.open(sealed, "msg-2")).isInstanceOf(CorruptPayloadException.class);
    assertThatThrownBy(() -> cipher.open(tampered, "msg-1")).isInstanceOf(CorruptPayloadException.class)
        .hasMessageContaining("k1");
  }

  @Test
  void rotationReadsOldKeysAndWritesWithTheCurrentOne() {
    AesGcmCipher old = new AesGcmCipher("k1", Map.of("k1", K1));
    AesGcmCipher rotated = new AesGcmCipher("k2", Map.of("k2", K2, "k1", K1));
    AesGcmCipher onlyNew = new AesGcmCipher("k2", Map.of("k2", K2));
    byte[] sealedOld = old.seal(PLAIN, "c");

    byte[] sealedNew = rotated.seal(PLAIN, "c");

    assertThat(rotated.open(sealedOld, "c")).isEqualTo(PLAIN);
    assertThat(onlyNew.open(sealedNew, "c")).isEqualTo(PLAIN);
    assertThatThrownBy(() -> onlyNew.open(sealedOld, "c")).isInstanceOf(CorruptPayloadException.class)
        .hasMessageContaining("key k1, which is not among the configured keys");
    assertThatThrownBy(() -> old.open(sealedNew, "c")).isInstanceOf(CorruptPayloadException.class);
  }

  @Test
  void plaintextStaysReadableAndNoneRefusesSealedData() {
    AesGcmCipher cipher = new AesGcmCipher("k1", Map.of("k1", K1));

    assertThat(cipher.open(PLAIN, "c")).isEqualTo(PLAIN);
    assertThatThrownBy(() -> PayloadCipher.NONE.open(cipher.seal(PLAIN, "c"), "c"))
        .hasMessageContaining("no encryption keys are configured");
  }
}
