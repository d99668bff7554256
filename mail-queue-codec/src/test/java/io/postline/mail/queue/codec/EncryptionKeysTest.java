package io.postline.mail.queue.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class EncryptionKeysTest {
  private static final byte[] K16 = new byte[16];
  private static final byte[] K32 = new byte[32];

  @Test
  void parsesConfigurationWithTheCurrentKeyFirst() {
    String spec = "2025:" + Base64.getEncoder().encodeToString(K32) + ", 2024:" + Base64.getEncoder().encodeToString(K16);

    EncryptionKeys keys = EncryptionKeys.parse(spec);

    assertThat(keys.current()).isEqualTo("2025");
    assertThat(keys.ids()).containsExactly("2025", "2024");
  }

  @Test
  void toStringNeverShowsKeyMaterial() {
    byte[] key = "ABCDEFGHIJKLMNOP".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    EncryptionKeys keys = EncryptionKeys.current("k", key);

    assertThat(keys.toString()).isEqualTo("EncryptionKeys[current=k, ids=[k]]")
        .doesNotContain("ABCDEF").doesNotContain(Base64.getEncoder().encodeToString(key));
  }

  @Test
  void refusesBadKeysAndIdsWithoutEchoingTheKey() {
    assertThatThrownBy(() -> EncryptionKeys.current("k", new byte[10])).hasMessageContaining("has 10 bytes");
    assertThatThrownBy(() -> EncryptionKeys.current("bad id", K16)).hasMessageContaining("key id");
    assertThatThrownBy(() -> EncryptionKeys.current("k", K16).withPrevious("k", K32)).hasMessageContaining("twice");
    assertThatThrownBy(() -> EncryptionKeys.parse("k:%%%secret%%%")).hasMessageContaining("not base64")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> EncryptionKeys.parse(" , ")).hasMessageContaining("got none");
  }
}
