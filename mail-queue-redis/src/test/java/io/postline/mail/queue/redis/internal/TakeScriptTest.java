package io.postline.mail.queue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.postline.mail.Email;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.queue.redis.RedisMailQueue;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The take script on its own: a take retried after a lost reply (same request, retry flag set) gets
 * the same lease back; a new take gets the next message.
 */
class TakeScriptTest {
  @Test
  void aRepeatedTakeGetsItsLeaseBackInsteadOfASecondMessage() {
    String url = Optional.ofNullable(System.getenv("REDIS_URL")).filter(s -> !s.isBlank()).orElse("redis://127.0.0.1:6379");
    String prefix = "pltest-" + UUID.randomUUID().toString().substring(0, 13);
    RedisClient client = RedisClient.create(url);
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("q").build();
        RedisLink<String> link = RedisEndpoint.of(client).connect()) {
      Instant now = Instant.now();
      for (String id : List.of("first", "second")) {
        Email email = Email.builder().from("a@example.org").to("b@example.org").subject(id).text("x").build();
        queue.enqueue(new QueuedMail(id, email, 0, now, now, Optional.empty()));
      }
      String base = queue.keyBase();
      String[] keys = {base + ":ready:high", base + ":ready:normal", base + ":ready:low", base + ":delayed",
          base + ":leased", base + ":dead", base + ":done", base + ":seq", base + ":fence", base + ":stats",
          base + ":count", base + ":fin", base + ":upkeep"};
      LuaScript take = LuaScript.resource("take", "queue-lib.lua", "take.lua");
      byte[] requestKey = RedisLink.arg(base + ":rq:worker-1");
      byte[] request = RedisLink.arg(UUID.randomUUID().toString());

      byte[] prefixArg = RedisLink.arg(base + ":m:");
      byte[] channel = RedisLink.arg(base + ":wake");
      java.util.function.BiFunction<byte[], String, List<Object>> takeOnce = (req, retry) -> link.eval(take,
          ScriptOutputType.MULTI, keys, prefixArg, channel, RedisLink.arg(30_000), RedisLink.arg(3),
          RedisLink.arg(1000), RedisLink.arg(10), requestKey, req, RedisLink.arg(1), RedisLink.arg(3_600_000),
          RedisLink.arg(10_000), RedisLink.arg(retry));

      List<Object> once = takeOnce.apply(request, "0");
      // The reply was lost: the retry says so and gets the same lease back.
      List<Object> again = takeOnce.apply(request, "1");
      List<Object> other = takeOnce.apply(RedisLink.arg(UUID.randomUUID().toString()), "0");

      // Leases start at index 5: {n, more, recovered, poisoned, wait, id, token, expires, ...}.
      assertThat(RedisLink.text(once.get(5))).isEqualTo("first");
      assertThat(RedisLink.text(again.get(5))).isEqualTo("first");
      assertThat(RedisLink.number(again.get(6))).isEqualTo(RedisLink.number(once.get(6)));
      assertThat(RedisLink.number(again.get(7))).isEqualTo(RedisLink.number(once.get(7)));
      assertThat(RedisLink.text(other.get(5))).isEqualTo("second");
      assertThat(RedisLink.number(other.get(6))).isGreaterThan(RedisLink.number(once.get(6)));
      assertThat(RedisLink.number(other.get(1))).as("nothing more ready").isZero();
      assertThat(RedisLink.number(other.get(4))).as("until the first lease lapses").isBetween(29_000L, 30_000L);
      assertThat(queue.counts().leased()).isEqualTo(2);
    } finally {
      try (var c = client.connect()) {
        var keys = c.sync().keys(prefix + "*");
        if (!keys.isEmpty()) {
          c.sync().del(keys.toArray(new String[0]));
        }
      }
      client.shutdown();
    }
  }
}
