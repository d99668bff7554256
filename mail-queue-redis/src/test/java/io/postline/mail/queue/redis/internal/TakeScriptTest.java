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

/** The take script on its own: a take repeated with the same request key gets the same lease. */
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

      List<Object> once = link.eval(take, ScriptOutputType.MULTI, keys, RedisLink.arg(base + ":m:"),
          RedisLink.arg(base + ":wake"), RedisLink.arg(30_000), RedisLink.arg(3), RedisLink.arg(1000), RedisLink.arg(10), requestKey, request, RedisLink.arg(1),
          RedisLink.arg(3_600_000), RedisLink.arg(10_000));
      List<Object> again = link.eval(take, ScriptOutputType.MULTI, keys, RedisLink.arg(base + ":m:"),
          RedisLink.arg(base + ":wake"), RedisLink.arg(30_000), RedisLink.arg(3), RedisLink.arg(1000), RedisLink.arg(10), requestKey, request, RedisLink.arg(1),
          RedisLink.arg(3_600_000), RedisLink.arg(10_000));
      List<Object> other = link.eval(take, ScriptOutputType.MULTI, keys, RedisLink.arg(base + ":m:"),
          RedisLink.arg(base + ":wake"), RedisLink.arg(30_000), RedisLink.arg(3), RedisLink.arg(1000), RedisLink.arg(10),
          requestKey, RedisLink.arg(UUID.randomUUID().toString()), RedisLink.arg(1), RedisLink.arg(3_600_000),
          RedisLink.arg(10_000));

      assertThat(RedisLink.text(once.get(4))).isEqualTo("first");
      assertThat(RedisLink.text(again.get(4))).isEqualTo("first");
      assertThat(RedisLink.number(again.get(5))).isEqualTo(RedisLink.number(once.get(5)));
      assertThat(RedisLink.number(again.get(6))).isEqualTo(RedisLink.number(once.get(6)));
      assertThat(RedisLink.text(other.get(4))).isEqualTo("second");
      assertThat(RedisLink.number(other.get(5))).isGreaterThan(RedisLink.number(once.get(5)));
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
