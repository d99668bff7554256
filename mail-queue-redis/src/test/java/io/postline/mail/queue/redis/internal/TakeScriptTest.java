package io.postline.mail.queue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.postline.mail.Email;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.queue.redis.RedisMailQueue;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The take script on its own: a take retried after a lost reply (same request, retry flag set) gets
 * the same lease back; a new take gets the next message; takes carried together in one call are
 * served in order, and each one's retry finds its own leases.
 */
class TakeScriptTest {
  private static final LuaScript TAKE = LuaScript.resource("take", "queue-lib.lua", "take.lua");
  private static final byte[] ONE = RedisLink.arg(1);
  private static final byte[] NO = RedisLink.arg(0);
  private static final byte[] YES = RedisLink.arg(1);
  private static final byte[] LEASE_MS = RedisLink.arg(30_000);

  private final String prefix = "pltest-" + UUID.randomUUID().toString().substring(0, 13);
  private RedisClient client;
  private RedisMailQueue queue;
  private RedisLink<String> link;
  private String base;

  @BeforeEach
  void start() {
    String url = Optional.ofNullable(System.getenv("REDIS_URL")).filter(s -> !s.isBlank())
        .orElse("redis://127.0.0.1:6379");
    client = RedisClient.create(url);
    queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("q").build();
    link = RedisEndpoint.of(client).connect();
    base = queue.keyBase();
  }

  @AfterEach
  void stop() {
    link.close();
    queue.close();
    try (var c = client.connect()) {
      var keys = c.sync().keys(prefix + "*");
      if (!keys.isEmpty()) {
        c.sync().del(keys.toArray(new String[0]));
      }
    }
    client.shutdown();
  }

  private void enqueue(String... ids) {
    Instant now = Instant.now();
    for (String id : ids) {
      Email email = Email.builder().from("a@example.org").to("b@example.org").subject(id).text("x").build();
      queue.enqueue(new QueuedMail(id, email, 0, now, now, Optional.empty()));
    }
  }

  /** One take call carrying the takes given, 5 arguments each (see take.lua). */
  private List<Object> take(byte[]... takes) {
    String[] keys = {base + ":ready:high", base + ":ready:normal", base + ":ready:low", base + ":delayed",
        base + ":leased", base + ":dead", base + ":done", base + ":seq", base + ":fence", base + ":stats",
        base + ":count", base + ":fin", base + ":upkeep"};
    byte[][] fixed = {RedisLink.arg(base + ":m:"), RedisLink.arg(base + ":wake"), RedisLink.arg(3),
        RedisLink.arg(1000), RedisLink.arg(10), RedisLink.arg(3_600_000), RedisLink.arg(10_000)};
    byte[][] args = Arrays.copyOf(fixed, fixed.length + takes.length);
    System.arraycopy(takes, 0, args, fixed.length, takes.length);
    return link.eval(TAKE, ScriptOutputType.MULTI, keys, args);
  }

  private byte[] requestKey(String taker) {
    return RedisLink.arg(base + ":rq:" + taker);
  }

  @Test
  void aRepeatedTakeGetsItsLeaseBackInsteadOfASecondMessage() {
    enqueue("first", "second");
    byte[] rq = requestKey("worker-1");
    byte[] request = RedisLink.arg(UUID.randomUUID().toString());

    List<Object> once = take(rq, request, ONE, LEASE_MS, NO);
    // The reply was lost: the retry says so and gets the same lease back.
    List<Object> again = take(rq, request, ONE, LEASE_MS, YES);
    List<Object> other = take(rq, RedisLink.arg(UUID.randomUUID().toString()), ONE, LEASE_MS, NO);

    // One take's lease starts at index 5: {recovered, poisoned, n, more, wait, id, token, expires, ...}.
    assertThat(RedisLink.text(once.get(5))).isEqualTo("first");
    assertThat(RedisLink.text(again.get(5))).isEqualTo("first");
    assertThat(RedisLink.number(again.get(6))).isEqualTo(RedisLink.number(once.get(6)));
    assertThat(RedisLink.number(again.get(7))).isEqualTo(RedisLink.number(once.get(7)));
    assertThat(RedisLink.text(other.get(5))).isEqualTo("second");
    assertThat(RedisLink.number(other.get(6))).isGreaterThan(RedisLink.number(once.get(6)));
    assertThat(RedisLink.number(other.get(3))).as("nothing more ready").isZero();
    assertThat(RedisLink.number(other.get(4))).as("until the first lease lapses").isBetween(29_000L, 30_000L);
    assertThat(queue.counts().leased()).isEqualTo(2);
  }

  @Test
  void takesCarriedTogetherEachGetTheirOwnLeasesAndEachRetryFindsItsOwn() {
    enqueue("first", "second", "third");
    byte[] two = RedisLink.arg(2);

    // Take a wants one, take b two, take c one: a gets "first", b the other two, c none.
    List<Object> together = take(requestKey("a"), RedisLink.arg("a-1"), ONE, LEASE_MS, NO,
        requestKey("b"), RedisLink.arg("b-1"), two, LEASE_MS, NO,
        requestKey("c"), RedisLink.arg("c-1"), ONE, LEASE_MS, NO);
    // {recovered, poisoned, a: 1, more, wait, 7 fields, b: 2, more, wait, 14 fields, c: 0, more, wait}
    assertThat(RedisLink.number(together.get(2))).isEqualTo(1);
    assertThat(RedisLink.text(together.get(5))).isEqualTo("first");
    assertThat(RedisLink.number(together.get(12))).isEqualTo(2);
    assertThat(RedisLink.text(together.get(15))).isEqualTo("second");
    assertThat(RedisLink.text(together.get(22))).isEqualTo("third");
    assertThat(RedisLink.number(together.get(29))).as("c leased nothing").isZero();
    assertThat(RedisLink.number(together.get(30))).as("nothing more ready").isZero();
    assertThat(together).hasSize(32);

    // The reply was lost: b's retry, carried alone, gets b's two leases back, not a's.
    List<Object> retried = take(requestKey("b"), RedisLink.arg("b-1"), two, LEASE_MS, YES);
    assertThat(RedisLink.number(retried.get(2))).isEqualTo(2);
    assertThat(RedisLink.text(retried.get(5))).isEqualTo("second");
    assertThat(RedisLink.number(retried.get(6))).isEqualTo(RedisLink.number(together.get(16)));
    assertThat(RedisLink.text(retried.get(12))).isEqualTo("third");
    assertThat(queue.counts().leased()).isEqualTo(3);
  }
}
