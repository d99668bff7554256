package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.postline.mail.Address;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The in-memory list passes the shared contract; and what the hasher promises. */
class SuppressionListTest extends SuppressionListContractTest {

  @Override
  protected SuppressionList create(AddressHasher hasher, Clock clock) {
    return SuppressionList.inMemory(hasher, clock);
  }

  @Test
  void hashesAreKeyedNormalizedAndHoldNoAddress() {
    assertThat(list.hash(Address.of("Ann@EXAMPLE.org"))).isEqualTo(ann);
    assertThat(list.hash(Address.of("bob@example.org"))).isNotEqualTo(ann);
    byte[] otherKey = "another-key-of-thirty-two-bytes-or-more".getBytes(StandardCharsets.UTF_8);
    assertThat(AddressHasher.hmacSha256(otherKey).hash(Address.of("ann@example.org"))).isNotEqualTo(ann);
    assertThat(ann.hex()).hasSize(64).doesNotContain("ann");
    assertThatIllegalArgumentException().isThrownBy(() -> AddressHasher.hmacSha256(new byte[16]));
    assertThat(AddressHasher.hmacSha256(KEY).toString()).doesNotContain(new String(KEY, StandardCharsets.UTF_8));
  }
}
