package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.postline.mail.Address;
import io.postline.mail.core.SuppressionEntry.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link SuppressionList} passes: extend it in the implementation's module
 * (mail-core's test-jar carries it) and return a new, empty list from {@link #create}. The list
 * must read time from the given clock, which the tests move.
 */
public abstract class SuppressionListContractTest {
  /** The hashing key of the tests. */
  protected static final byte[] KEY = "0123456789abcdef0123456789abcdef-test".getBytes(StandardCharsets.UTF_8);

  /** The clock the list reads; tests move it. */
  protected final MutableClock clock = MutableClock.at(Instant.parse("2026-03-01T12:00:00Z"));
  /** The list under test, new and empty for each test. */
  protected SuppressionList list;
  /** The hash of {@code ann@example.org}. */
  protected AddressHash ann;

  /** A new, empty list hashing with {@code hasher} and reading {@code clock}. */
  protected abstract SuppressionList create(AddressHasher hasher, Clock clock);

  /** Releases what {@link #create} made; nothing by default. */
  protected void release(SuppressionList list) throws Exception {}

  @BeforeEach
  void createList() {
    list = create(AddressHasher.hmacSha256(KEY), clock);
    ann = list.hash(Address.of("ann@example.org"));
  }

  @AfterEach
  void releaseList() throws Exception {
    release(list);
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
    assertThat(list.remove(ann)).isZero();
  }

  @Test
  void anEntryComesBackAsItWasAdded() {
    Instant at = Instant.parse("2026-02-28T09:15:30.123456789Z");
    SuppressionEntry entry = new SuppressionEntry(ann, Optional.of("news-letter_2"), Reason.COMPLAINT,
        "operator|with|bars and spaces", at, Optional.of(Instant.parse("2026-04-01T00:00:00.000000001Z")));
    list.add(entry);
    assertThat(list.find(ann, "news-letter_2")).contains(entry);
    assertThat(list.list()).containsExactly(entry);
  }

  @Test
  void addingAgainReplacesTheEntryForTheSameAddressAndList() {
    list.add(SuppressionEntry.of(ann, Reason.SOFT_BOUNCES, "mailgun", clock.instant())
        .until(clock.instant().plus(Duration.ofDays(1))));
    SuppressionEntry hard = SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "sendgrid", clock.instant());
    list.add(hard);
    assertThat(list.count()).isEqualTo(1);
    assertThat(list.find(ann, null)).contains(hard);
    clock.advance(Duration.ofDays(2)); // the replaced entry's expiry no longer matters
    assertThat(list.find(ann, null)).contains(hard);
    assertThat(list.count()).isEqualTo(1);
  }

  @Test
  void listEntriesApplyToTheirListOnly() {
    list.add(SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("news"));
    assertThat(list.find(ann, "news")).isPresent();
    assertThat(list.find(ann, "offers")).isEmpty();
    assertThat(list.find(ann, null)).isEmpty();
    assertThat(list.find(ann, "")).isEmpty();
    list.add(SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("offers"));
    assertThat(list.count()).isEqualTo(2);
    assertThat(list.remove(ann)).isEqualTo(2);
    assertThat(list.count()).isZero();
    assertThatIllegalArgumentException().isThrownBy(() -> SuppressionEntry.of(ann, Reason.MANUAL, "op", clock.instant())
        .forList("has space"));
  }

  @Test
  void anEntryForAllMailWinsOverAListEntry() {
    SuppressionEntry unsubscribed = SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant())
        .forList("news");
    SuppressionEntry bounced = SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "ses", clock.instant());
    list.add(unsubscribed);
    list.add(bounced);
    assertThat(list.find(ann, "news")).contains(bounced);
    assertThat(list.count()).isEqualTo(2);
    assertThat(list.list()).containsExactlyInAnyOrder(unsubscribed, bounced);
  }

  @Test
  void expiredEntriesStopApplying() {
    list.add(SuppressionEntry.of(ann, Reason.SOFT_BOUNCES, "mailgun", clock.instant())
        .until(clock.instant().plus(Duration.ofDays(30))));
    clock.advance(Duration.ofDays(29));
    assertThat(list.find(ann, null)).isPresent();
    assertThat(list.count()).isEqualTo(1);
    clock.advance(Duration.ofDays(1));
    assertThat(list.find(ann, null)).isEmpty();
    assertThat(list.count()).isZero();
    assertThat(list.list()).isEmpty();
  }

  @Test
  void aListScopedEntryExpiresOnItsOwn() {
    AddressHash bob = list.hash(Address.of("bob@example.org"));
    SuppressionEntry forGood = SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant())
        .forList("offers");
    list.add(SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("news")
        .until(clock.instant().plus(Duration.ofHours(1))));
    list.add(forGood);
    list.add(SuppressionEntry.of(bob, Reason.MANUAL, "op", clock.instant()).until(clock.instant().plus(Duration.ofHours(2))));
    assertThat(list.count()).isEqualTo(3);

    clock.advance(Duration.ofHours(1));
    assertThat(list.find(ann, "news")).isEmpty();
    assertThat(list.find(ann, "offers")).contains(forGood);
    assertThat(list.find(bob, null)).isPresent();
    assertThat(list.count()).isEqualTo(2);

    clock.advance(Duration.ofHours(1));
    assertThat(list.find(bob, null)).isEmpty();
    assertThat(list.list()).containsExactly(forGood);
    assertThat(list.count()).isEqualTo(1);
  }

  @Test
  void softBouncesAreCountedWithinAWindow() {
    Duration week = Duration.ofDays(7);
    AddressHash bob = list.hash(Address.of("bob@example.org"));
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(1);
    clock.advance(Duration.ofDays(3));
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(2);
    assertThat(list.recordSoftBounce(bob, week)).isEqualTo(1); // counted per address
    clock.advance(Duration.ofDays(4)); // the window that began with the first bounce is over
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(1);
    assertThat(list.count()).isZero(); // counting is not suppressing
    list.remove(ann);
    assertThat(list.recordSoftBounce(ann, week)).isEqualTo(1);
  }

  @Test
  void manyAddressesAreCountedListedAndRemovedExactly() {
    List<AddressHash> hashes = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      AddressHash h = list.hash(Address.of("user" + i + "@example.org"));
      hashes.add(h);
      SuppressionEntry e = SuppressionEntry.of(h, Reason.HARD_BOUNCE, "ses", clock.instant());
      list.add(i % 5 == 0 ? e.until(clock.instant().plus(Duration.ofMinutes(1))) : e);
    }
    assertThat(list.count()).isEqualTo(250);
    clock.advance(Duration.ofMinutes(1));
    assertThat(list.count()).isEqualTo(200);
    assertThat(list.list()).hasSize(200).extracting(SuppressionEntry::address).doesNotHaveDuplicates();
    for (int i = 1; i < 250; i += 5) {
      assertThat(list.remove(hashes.get(i))).isEqualTo(1);
    }
    assertThat(list.count()).isEqualTo(150);
    assertThat(list.list()).hasSize(150);
  }

  @Test
  void concurrentAddsAreAllKept() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < 50; i++) {
            AddressHash h = list.hash(Address.of("t" + thread + "-" + i + "@example.org"));
            list.add(SuppressionEntry.of(h, Reason.COMPLAINT, "sendgrid", clock.instant()));
            list.recordSoftBounce(ann, Duration.ofDays(1));
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(list.count()).isEqualTo(200);
    Set<AddressHash> listed = new HashSet<>();
    list.list().forEach(e -> listed.add(e.address()));
    assertThat(listed).hasSize(200);
    assertThat(list.recordSoftBounce(ann, Duration.ofDays(1))).isEqualTo(201);
  }
}
