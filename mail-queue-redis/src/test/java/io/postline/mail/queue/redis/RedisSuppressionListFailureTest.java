package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.postline.mail.Address;
import io.postline.mail.MailException;
import io.postline.mail.core.AddressHash;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.tck.DroppingProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What an unreachable Redis, a restart, a lost reply and a refused write do to the suppression list. */
@Timeout(120)
class RedisSuppressionListFailureTest {
  private static final AddressHasher HASHER = AddressHasher.hmacSha256(
      "0123456789abcdef0123456789abcdef-failures".getBytes(StandardCharsets.UTF_8));
  private final String prefix = RedisTestSupport.uniquePrefix();
  private final AddressHash ann = HASHER.hash(Address.of("ann@example.org"));

  private RedisSuppressionList list(RedisClient client, Duration timeout) {
    return RedisSuppressionList.builder(client, HASHER).keyPrefix(prefix).operationTimeout(timeout).build();
  }

  @Test
  void whileRedisIsDownEveryCallFailsClearlyAndAfterARestartTheEntriesAreStillThere() throws Exception {
    try (RedisServerProcess redis = new RedisServerProcess()) {
      redis.start();
      RedisClient client = RedisTestSupport.client(redis.url());
      try (RedisSuppressionList list = list(client, Duration.ofMillis(800))) {
        list.add(SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "ses", Instant.now()));
        assertThat(list.count()).isEqualTo(1);

        redis.stop();
        assertThatThrownBy(() -> list.find(ann, null)).isInstanceOf(RedisUnavailableException.class)
            .hasMessageContaining("find a suppression entry").hasMessageNotContaining(ann.hex());
        assertThatThrownBy(() -> list.add(SuppressionEntry.of(ann, Reason.COMPLAINT, "sendgrid", Instant.now())))
            .isInstanceOf(RedisUnavailableException.class);
        assertThatThrownBy(list::count).isInstanceOf(RedisUnavailableException.class);
        assertThatThrownBy(() -> list.recordSoftBounce(ann, Duration.ofDays(1)))
            .isInstanceOf(RedisUnavailableException.class);

        redis.start(); // AOF: what was written before the stop is back
        Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
            .until(() -> list.find(ann, null).isPresent());
        assertThat(list.find(ann, null)).get().extracting(SuppressionEntry::reason).isEqualTo(Reason.HARD_BOUNCE);
        assertThat(list.count()).isEqualTo(1);
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void anUnreachableRedisAtBuildTimeIsARedisUnavailableException() throws Exception {
    try (RedisServerProcess never = new RedisServerProcess()) { // a free port nothing listens on
      RedisClient client = RedisTestSupport.client(never.url());
      try {
        assertThatThrownBy(() -> list(client, Duration.ofMillis(500))).isInstanceOf(RedisUnavailableException.class)
            .hasMessageContaining("suppression list");
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void aLostReplyToAnAddIsReportedAndRepeatingTheAddStoresOneEntry() throws Exception {
    RedisClient direct = RedisTestSupport.client();
    try (DroppingProxy proxy = RedisTestSupport.droppingProxy()) {
      RedisClient viaProxy = RedisTestSupport.client(proxy);
      try (RedisSuppressionList list = list(viaProxy, Duration.ofSeconds(1));
          RedisSuppressionList observer = list(direct, Duration.ofSeconds(5))) {
        SuppressionEntry entry = SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "ses", Instant.now());
        proxy.dropRepliesTo(ann.hex());

        assertThatThrownBy(() -> list.add(entry)).isInstanceOf(RedisUnavailableException.class)
            .hasMessageContaining("may or may not have been applied");
        assertThat(proxy.dropped()).isPositive();
        assertThat(observer.find(ann, null)).contains(entry);

        proxy.passThrough();
        Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> list.add(entry));
        assertThat(observer.count()).isEqualTo(1);
        assertThat(observer.list()).containsExactly(entry);
      } finally {
        viaProxy.shutdown();
      }
    } finally {
      RedisTestSupport.cleanup(direct, prefix);
      direct.shutdown();
    }
  }

  @Test
  void aLostReplyToASoftBounceIsNotTriedAgainSoTheBounceCountsOnce() throws Exception {
    RedisClient direct = RedisTestSupport.client();
    try (DroppingProxy proxy = RedisTestSupport.droppingProxy()) {
      RedisClient viaProxy = RedisTestSupport.client(proxy);
      try (RedisSuppressionList list = list(viaProxy, Duration.ofSeconds(5));
          RedisSuppressionList observer = list(direct, Duration.ofSeconds(5))) {
        proxy.dropRepliesTo(ann.hex());
        assertThatThrownBy(() -> list.recordSoftBounce(ann, Duration.ofDays(1)))
            .isInstanceOf(RedisUnavailableException.class).hasMessageContaining("may or may not have been applied");
        assertThat(proxy.dropped()).isEqualTo(1);
        assertThat(observer.recordSoftBounce(ann, Duration.ofDays(1))).isEqualTo(2);
      } finally {
        viaProxy.shutdown();
      }
    } finally {
      RedisTestSupport.cleanup(direct, prefix);
      direct.shutdown();
    }
  }

  @Test
  void aCommandRedisRefusesIsAMailExceptionNotAnOutage() {
    RedisClient client = RedisTestSupport.client();
    try (RedisSuppressionList list = list(client, Duration.ofSeconds(2))) {
      try (var c = client.connect()) {
        c.sync().set(prefix + ":{suppression}:i", "not a sorted set"); // something else took the index's key
      }
      assertThatThrownBy(() -> list.add(SuppressionEntry.of(ann, Reason.HARD_BOUNCE, "ses", Instant.now())))
          .isInstanceOf(MailException.class).isNotInstanceOf(RedisUnavailableException.class)
          .hasMessageContaining("refused by Redis").hasMessageContaining("WRONGTYPE");
      assertThatThrownBy(list::count).isInstanceOf(MailException.class).isNotInstanceOf(RedisUnavailableException.class);
    } finally {
      RedisTestSupport.cleanup(client, prefix);
      client.shutdown();
    }
  }
}
