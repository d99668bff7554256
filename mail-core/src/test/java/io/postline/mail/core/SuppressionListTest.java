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

  @Test
  void hashingFromManyThreadsAtOnceGivesTheSameHashes() throws Exception {
    AddressHasher hasher = AddressHasher.hmacSha256(KEY);
    java.util.List<Address> addresses = java.util.stream.IntStream.range(0, 500)
        .mapToObj(i -> Address.of("user" + i + "@example.org")).toList();
    java.util.List<AddressHash> expected = addresses.stream().map(hasher::hash).toList();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<java.util.List<AddressHash>>> runs = new java.util.ArrayList<>();
      for (int t = 0; t < 8; t++) {
        runs.add(pool.submit(() -> addresses.stream().map(hasher::hash).toList()));
      }
      for (var run : runs) {
        assertThat(run.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
