package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.RecipientsSuppressedException;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.AddressHash;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.core.SuppressionListContractTest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Redis list passes the shared contract, holds across two instances, and stores no address. */
@Timeout(60)
class RedisSuppressionListTest extends SuppressionListContractTest {
  private final String prefix = RedisTestSupport.uniquePrefix();
  private final RedisClient client = RedisTestSupport.client();
  private final List<RedisSuppressionList> opened = new ArrayList<>();

  @Override
  protected SuppressionList create(AddressHasher hasher, Clock clock) {
    return open(client, hasher, clock);
  }

  private RedisSuppressionList open(RedisClient c, AddressHasher hasher, Clock clock) {
    RedisSuppressionList l = RedisSuppressionList.builder(c, hasher).keyPrefix(prefix).clock(clock).build();
    opened.add(l);
    return l;
  }

  @AfterEach
  void cleanup() {
    opened.forEach(RedisSuppressionList::close);
    RedisTestSupport.cleanup(client, prefix);
    client.shutdown();
  }

  @Test
  void twoInstancesOnTwoConnectionsShareOneList() {
    RedisClient other = RedisTestSupport.client();
    try {
      RedisSuppressionList second = open(other, AddressHasher.hmacSha256(KEY), clock);
      AddressHash bob = second.hash(Address.of("bob@example.org"));
      assertThat(second.hash(Address.of("ann@example.org"))).isEqualTo(ann);

      list.add(SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "ses", clock.instant()));
      second.add(SuppressionEntry.of(bob, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("news"));
      assertThat(second.find(ann, null)).isPresent();
      assertThat(list.find(bob, "news")).isPresent();
      assertThat(list.count()).isEqualTo(2);
      assertThat(second.list()).hasSize(2);

      // Soft bounces counted by either instance add up.
      Duration week = Duration.ofDays(7);
      assertThat(list.recordSoftBounce(bob, week)).isEqualTo(1);
      assertThat(second.recordSoftBounce(bob, week)).isEqualTo(2);
      assertThat(list.recordSoftBounce(bob, week)).isEqualTo(3);

      assertThat(second.remove(ann)).isEqualTo(1);
      assertThat(list.find(ann, null)).isEmpty();
      assertThat(list.count()).isEqualTo(1);
    } finally {
      other.shutdown();
    }
  }

  @Test
  void twoMailersOnOneRedisEnforceWhatEitherListRecords() {
    RedisClient other = RedisTestSupport.client();
    InMemoryProvider providerA = new InMemoryProvider("a");
    InMemoryProvider providerB = new InMemoryProvider("b");
    RedisSuppressionList second = open(other, AddressHasher.hmacSha256(KEY), Clock.systemUTC());
    RedisSuppressionList first = open(client, AddressHasher.hmacSha256(KEY), Clock.systemUTC());
    try (Mailer a = Mailer.builder().provider(providerA).suppressionList(first).build();
        Mailer b = Mailer.builder().provider(providerB).suppressionList(second).build()) {
      Email toAnn = Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("x").build();
      a.send(toAnn);
      first.add(SuppressionEntry.of(ann, Reason.COMPLAINT, "sendgrid", Instant.now()));

      assertThatThrownBy(() -> b.send(toAnn)).isInstanceOf(RecipientsSuppressedException.class);
      assertThatThrownBy(() -> a.send(toAnn)).isInstanceOf(RecipientsSuppressedException.class);
      assertThat(providerB.sent()).isEmpty();
      assertThat(providerA.sent()).hasSize(1);

      second.remove(ann);
      a.send(toAnn);
      assertThat(providerA.sent()).hasSize(2);
    } finally {
      other.shutdown();
    }
  }

  @Test
  void aListLongerThanOnePageIsReadWholeWithoutExpiredEntries() {
    for (int i = 0; i < 1_150; i++) {
      AddressHash h = list.hash(Address.of("page" + i + "@example.org"));
      SuppressionEntry e = SuppressionEntry.of(h, Reason.HARD_BOUNCE, "ses", clock.instant());
      list.add(i % 10 == 0 ? e.until(clock.instant().plus(Duration.ofMinutes(1))) : e);
    }
    clock.advance(Duration.ofMinutes(2)); // 115 expired, not yet pruned (no add since)
    assertThat(list.count()).isEqualTo(1_035);
    assertThat(list.list()).hasSize(1_035).extracting(SuppressionEntry::address).doesNotHaveDuplicates();
  }

  @Test
  void noAddressIsStoredInAnyKeyOrValue() {
    AddressHash bob = list.hash(Address.of("bob.smith@corp.example"));
    list.add(SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "sendgrid", clock.instant()));
    list.add(SuppressionEntry.of(bob, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("news")
        .until(clock.instant().plus(Duration.ofDays(3))));
    list.recordSoftBounce(bob, Duration.ofDays(7));

    List<String> keys = RedisTestSupport.keys(client, prefix);
    assertThat(keys).hasSize(4).allMatch(k -> k.contains("{suppression}"));
    StringBuilder everything = new StringBuilder(String.join("\n", keys));
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
      for (String key : keys) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        switch (c.sync().type(k)) {
          case "hash" -> {
            for (Map.Entry<byte[], byte[]> e : c.sync().hgetall(k).entrySet()) {
              everything.append('\n').append(text(e.getKey())).append('=').append(text(e.getValue()));
            }
          }
          case "zset" -> c.sync().zrange(k, 0, -1).forEach(m -> everything.append('\n').append(text(m)));
          default -> throw new AssertionError("unexpected key type of " + key);
        }
      }
    }
    String stored = everything.toString();
    assertThat(stored).contains(ann.hex()).contains(bob.hex())
        .doesNotContain("ann@").doesNotContain("bob.smith").doesNotContain("example.org").doesNotContain("corp.example");
  }

  @Test
  void expiringEntriesGiveTheirKeyARedisTtlAndPermanentOnesNone() {
    AddressHash bob = list.hash(Address.of("bob@example.org"));
    list.add(SuppressionEntry.of(bob, Reason.SOFT_BOUNCES, "mailgun", clock.instant())
        .until(clock.instant().plus(Duration.ofHours(2))));
    list.add(SuppressionEntry.of(ann, Reason.SOFT_BOUNCES, "mailgun", clock.instant())
        .until(clock.instant().plus(Duration.ofHours(2))));
    list.add(SuppressionEntry.of(ann, Reason.UNSUBSCRIBE, "one-click", clock.instant()).forList("news"));
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      long bobTtl = c.sync().pttl(prefix + ":{suppression}:a:" + bob.hex());
      assertThat(bobTtl).isBetween(Duration.ofHours(25).toMillis() - 60_000, Duration.ofHours(26).toMillis());
      assertThat(c.sync().pttl(prefix + ":{suppression}:a:" + ann.hex())).isEqualTo(-1); // one entry is for good
    }
  }

  @Test
  void theBuilderRejectsBadNames() {
    AddressHasher hasher = AddressHasher.hmacSha256(KEY);
    assertThatIllegalArgumentException().isThrownBy(() -> RedisSuppressionList.builder(client, hasher).name("a{b}"))
        .withMessageContaining("a{b}");
    assertThatIllegalArgumentException().isThrownBy(() -> RedisSuppressionList.builder(client, hasher).keyPrefix("x y"));
    assertThatIllegalArgumentException().isThrownBy(() -> RedisSuppressionList.builder(client, hasher)
        .operationTimeout(Duration.ZERO));
    assertThatIllegalArgumentException().isThrownBy(() -> list.recordSoftBounce(ann, Duration.ZERO));
    assertThat(list.toString()).contains("{suppression}").doesNotContain(new String(KEY, StandardCharsets.UTF_8));
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
