package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.postline.mail.Address;
import io.postline.mail.core.SuppressionEntry.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SuppressionListTest {
  static final byte[] KEY = "0123456789abcdef0123456789abcdef-test".getBytes(StandardCharsets.UTF_8);
  final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T12:00:00Z"));
  final SuppressionList list = SuppressionList.inMemory(AddressHasher.hmacSha256(KEY), clock);
  final AddressHash ann = list.hash(Address.of("ann@example.org"));

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

  @Test
  void addFindRemoveAndCount() {
    assertThat(list.find(ann, null)).isEmpty();
    list.add(SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "ses", clock.instant()));
    assertThat(list.find(ann, null)).get().extracting(SuppressionEntry::reason).isEqualTo(Reason.HARD_BOUNCE);
    assertThat(list.find(ann, "news")).isPresent(); // all mail includes every list
    assertThat(list.count()).isEqualTo(1);
    assertThat(list.list()).singleElement().extracting(SuppressionEntry::source).isEqualTo("ses");
    assertThat(list.list().toString()).doesNotContain("ann@example.org");

    assertThat(list.remove(ann)).isEqualTo(1);
    assertThat(list.find(ann, null)).isEmpty();
    assertThat(list.count()).isZero();
  }

  @Test
  void listEntriesApplyToTheirListOnly() {
    list.add(SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("news"));
    assertThat(list.find(ann, "news")).isPresent();
    assertThat(list.find(ann, "offers")).isEmpty();
    assertThat(list.find(ann, null)).isEmpty();
    list.add(SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("offers"));
    assertThat(list.count()).isEqualTo(2);
    assertThat(list.remove(ann)).isEqualTo(2);
    assertThatIllegalArgumentException().isThrownBy(() -> SuppressionEntry.of(ann, Reason.MANUAL, "op", clock.instant())
        .forList("has space"));
  }

  @Test
  void expiredEntriesStopApplying() {
    list.add(SuppressionEntry.of(ann, Reason.SOFT_BOUNCES, "mailgun", clock.instant())
        .until(clock.instant().plus(Duration.ofDays(30))));
    clock.advance(Duration.ofDays(29));
    assertThat(list.find(ann, null)).isPresent();
    clock.advance(Duration.ofDays(1));
    assertThat(list.find(ann, null)).isEmpty();
    assertThat(list.count()).isZero();
  }

  @Test
  void softBouncesAreCountedWithinAWindow() {
    Duration week = Duration.ofDays(7);
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(1);
    clock.advance(Duration.ofDays(3));
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(2);
    clock.advance(Duration.ofDays(4)); // the window that began with the first bounce is over
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(1);
    list.remove(ann);
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(1);
  }
}
