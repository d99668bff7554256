package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.postline.mail.Priority;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueueFullException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A queue holding what the previous version wrote (message hashes with version 1 JSON payloads,
 * finished records as content-less hashes in {@code :done}, no capacity counter) keeps working
 * after the upgrade: its messages are taken and read, its finished ids stay no-ops, its capacity
 * counts them.
 */
@Timeout(60)
class RedisUpgradeTest {
  /** A payload exactly as the previous version's QueuedMailJson wrote it. */
  private static final String V1_PAYLOAD = "{\"v\":1,\"id\":\"old-ready\",\"attempts\":1,"
      + "\"enqueuedAt\":\"2026-11-30T10:15:30.123Z\",\"dueAt\":\"2026-11-30T10:15:30.123Z\","
      + "\"correlationId\":\"corr-7\",\"email\":{\"from\":{\"email\":\"shop@example.org\",\"name\":\"Shop\"},"
      + "\"to\":[{\"email\":\"ann@example.org\"}],\"cc\":[],\"bcc\":[],\"replyTo\":[],"
      + "\"subject\":\"Written before the upgrade\",\"text\":\"line one\\r\\nline two\",\"attachments\":[],"
      + "\"headers\":{\"X-Campaign\":\"spring\"},\"tags\":[\"welcome\"],\"metadata\":{\"userId\":\"42\"},"
      + "\"priority\":\"HIGH\"}}";

  private static RedisClient client;
  private final String prefix = RedisTestSupport.uniquePrefix();

  @BeforeAll
  static void connect() {
    client = RedisTestSupport.client();
  }

  @AfterAll
  static void disconnect() {
    client.shutdown();
  }

  @AfterEach
  void cleanup() {
    RedisTestSupport.cleanup(client, prefix);
  }

  @Test
  void messagesAndFinishedRecordsOfThePreviousVersionAreReadAndKept() throws Exception {
    String base = prefix + ":{mail}";
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      RedisCommands<String, String> redis = c.sync();
      // As the previous enqueue script stored a ready HIGH message ...
      redis.hset(base + ":m:old-ready", Map.of("p", V1_PAYLOAD, "pr", "0", "a", "1", "d", "1764497730123",
          "t", "0", "x", "0", "s", "ready"));
      redis.zadd(base + ":ready:high", redis.incr(base + ":seq"), "old-ready");
      // ... and as its ack left a finished record.
      redis.hset(base + ":m:old-done", Map.of("s", "done", "t", "0", "lt", "1764497730123000:ack",
          "f", Long.toString(System.currentTimeMillis())));
      redis.zadd(base + ":done", System.currentTimeMillis(), "old-done");
    }

    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").capacity(2).build()) {
      // Both old ids are held: enqueuing them again stores nothing.
      queue.enqueue(RedisTestSupport.mail("old-ready", Priority.LOW));
      queue.enqueue(RedisTestSupport.mail("old-done", Priority.LOW));
      assertThat(queue.counts().ready()).containsEntry(Priority.HIGH, 1L).containsEntry(Priority.LOW, 0L);

      // The capacity counts the old message: one more fits, a second does not.
      queue.enqueue(RedisTestSupport.mail("new-1", Priority.NORMAL));
      assertThatThrownBy(() -> queue.enqueue(RedisTestSupport.mail("new-2", Priority.NORMAL)))
          .isInstanceOf(QueueFullException.class);

      Lease old = queue.take(Duration.ofSeconds(5), Duration.ofSeconds(30)).orElseThrow();
      assertThat(old.id()).isEqualTo("old-ready");
      assertThat(old.mail().attempts()).isEqualTo(1);
      assertThat(old.mail().correlationId()).contains("corr-7");
      assertThat(old.mail().email().subject()).contains("Written before the upgrade");
      assertThat(old.mail().email().text()).contains("line one\r\nline two");
      assertThat(old.mail().email().headers()).containsEntry("X-Campaign", "spring");
      assertThat(old.mail().email().priority()).isEqualTo(Priority.HIGH);
      assertThat(queue.ack(old)).isTrue();
      assertThat(queue.ack(old)).as("a repeated ack answers as the first").isTrue();

      // Finished now under the new layout: still a no-op to enqueue, and room for one more.
      queue.enqueue(RedisTestSupport.mail("old-ready", Priority.HIGH));
      queue.enqueue(RedisTestSupport.mail("new-2", Priority.NORMAL));
      assertThat(queue.counts().ready()).containsEntry(Priority.HIGH, 0L).containsEntry(Priority.NORMAL, 2L);
    }
  }

  /**
   * A rolling upgrade: a JVM of the previous version (its scripts, frozen in the test resources
   * under {@code previous/}) and one of this version work the same queue at once. Each takes what
   * the other enqueued, acks what the other took, and recovers the other's lapsed leases; the
   * capacity counter stays exact; every message is delivered once and its id stays finished.
   */
  @Test
  void previousAndNewScriptsWorkOneQueueSideBySide() throws Exception {
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").capacity(4).build();
        StatefulRedisConnection<String, byte[]> c = client.connect(
            io.lettuce.core.codec.RedisCodec.of(io.lettuce.core.codec.StringCodec.UTF8,
                io.lettuce.core.codec.ByteArrayCodec.INSTANCE))) {
      PreviousVersion old = new PreviousVersion(c.sync(), queue.keyBase());
      assertThat(old.enqueue("o1", 4)).isEqualTo(1);
      queue.enqueue(RedisTestSupport.mail("n1", Priority.NORMAL));
      assertThat(old.enqueue("o2", 4)).isEqualTo(1);
      queue.enqueue(RedisTestSupport.mail("n2", Priority.NORMAL));
      assertThat(old.enqueue("o3", 4)).as("the previous enqueue sees the counter this version keeps").isEqualTo(-1);
      assertThatThrownBy(() -> queue.enqueue(RedisTestSupport.mail("n3", Priority.NORMAL)))
          .isInstanceOf(QueueFullException.class);

      // New take of an old message, old take of a new one; each acked by the other version.
      Lease o1 = queue.take(Duration.ZERO, Duration.ofSeconds(30)).orElseThrow();
      assertThat(o1.id()).isEqualTo("o1");
      List<Object> n1 = old.take(30_000);
      assertThat(PreviousVersion.text(n1.get(4))).isEqualTo("n1");
      assertThat(old.ack("o1", o1.token())).as("old ack of a new lease").isEqualTo(1);
      Lease n1Lease = new Lease(RedisTestSupport.mail("n1", Priority.NORMAL), Long.parseLong(PreviousVersion.text(n1.get(5))),
          java.time.Instant.now().plusSeconds(30));
      assertThat(queue.ack(n1Lease)).as("new ack of an old lease").isTrue();

      // An old lease that lapses is recovered by the new takers' upkeep, and delivered once.
      List<Object> o2 = old.take(1);
      assertThat(PreviousVersion.text(o2.get(4))).isEqualTo("o2");
      Lease n2 = queue.take(Duration.ZERO, Duration.ofSeconds(30)).orElseThrow();
      assertThat(n2.id()).isEqualTo("n2");
      assertThat(queue.ack(n2)).isTrue();
      Lease again = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> queue.take(Duration.ZERO, Duration.ofSeconds(30)).orElse(null), l -> l != null);
      assertThat(again.id()).isEqualTo("o2");
      assertThat(old.ack("o2", Long.parseLong(PreviousVersion.text(o2.get(5))))).as("the lapsed lease is fenced off")
          .isEqualTo(0);
      assertThat(queue.ack(again)).isTrue();

      assertThat(queue.take(Duration.ZERO, Duration.ofSeconds(30))).isEmpty();
      assertThat(new String(c.sync().get(queue.keyBase() + ":count"), StandardCharsets.UTF_8)).isEqualTo("0");
      // Every id is finished, whichever version acked it: enqueuing any again stores nothing.
      for (String id : List.of("o1", "n1", "o2", "n2")) {
        assertThat(old.enqueue(id, 4)).as(id).isZero();
        queue.enqueue(RedisTestSupport.mail(id, Priority.NORMAL));
      }
      assertThat(queue.counts().ready()).containsEntry(Priority.NORMAL, 0L);
      assertThat(queue.counts().leased()).isZero();
    }
  }

  /**
   * With {@code sharedGroupBodies} off (the default), a group this version stores is what the
   * previous version reads: whole version 1 payloads, no shared body; the previous take hands them
   * out and its ack completes them. Turned on, the copies are version 2, which the previous
   * version's reader refuses (so the option waits until every JVM runs this version).
   */
  @Test
  void aGroupStoredWithTheOptionOffIsWhatThePreviousScriptsRead() throws Exception {
    java.time.Instant now = java.time.Instant.now();
    io.postline.mail.Email group = io.postline.mail.Email.builder().from("shop@example.org")
        .subject("Group before the upgrade").text("the same body ".repeat(100)).build();
    List<io.postline.mail.core.QueuedMail> copies = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      copies.add(new io.postline.mail.core.QueuedMail("copy-" + i, group.forRecipient(io.postline.mail.Recipient.of(
          io.postline.mail.Address.of("r" + i + "@example.org"), Map.of())), 0, now, now, java.util.Optional.empty()));
    }
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build();
        RedisMailQueue early = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").sharedGroupBodies(true)
            .build();
        StatefulRedisConnection<String, byte[]> c = client.connect(
            io.lettuce.core.codec.RedisCodec.of(io.lettuce.core.codec.StringCodec.UTF8,
                io.lettuce.core.codec.ByteArrayCodec.INSTANCE))) {
      PreviousVersion old = new PreviousVersion(c.sync(), queue.keyBase());
      queue.enqueueBatch(copies);

      List<Object> taken = old.take(30_000);
      assertThat(PreviousVersion.text(taken.get(4))).isEqualTo("copy-0");
      assertThat(PreviousVersion.text(taken.get(7))).startsWith("{\"v\":1,").contains("Group before the upgrade")
          .contains("r0@example.org");
      assertThat(old.ack("copy-0", Long.parseLong(PreviousVersion.text(taken.get(5))))).isEqualTo(1);
      for (Lease lease : queue.take(5, Duration.ZERO, Duration.ofSeconds(30))) {
        assertThat(lease.mail().email().subject()).contains("Group before the upgrade");
        assertThat(queue.ack(lease)).isTrue();
      }
      assertThat(RedisTestSupport.keys(client, queue.keyBase() + ":g:")).isEmpty();

      // Turned on while a previous-version JVM still takes: it gets a version 2 payload it cannot read.
      early.enqueueBatch(copies.stream().map(m -> new io.postline.mail.core.QueuedMail("early-" + m.id(), m.email(), 0,
          now, now, java.util.Optional.empty())).toList());
      List<Object> early0 = old.take(30_000);
      assertThat(PreviousVersion.text(early0.get(7))).startsWith("{\"v\":2,").doesNotContain("the same body");
    }
  }

  /** The previous version's enqueue, take and ack scripts, called as its RedisMailQueue called them. */
  private static final class PreviousVersion {
    private static final String[] SUFFIXES = {":ready:high", ":ready:normal", ":ready:low", ":delayed", ":leased",
        ":dead", ":done", ":seq", ":fence", ":stats", ":count", ":fin", ":upkeep"};
    private final RedisCommands<String, byte[]> redis;
    private final String[] keys;
    private final byte[] prefix;
    private final byte[] channel;
    private int takes;

    PreviousVersion(RedisCommands<String, byte[]> redis, String base) {
      this.redis = redis;
      this.keys = java.util.Arrays.stream(SUFFIXES).map(s -> base + s).toArray(String[]::new);
      this.prefix = bytes(base + ":m:");
      this.channel = bytes(base + ":wake");
    }

    long enqueue(String id, long capacity) {
      byte[] payload = io.postline.mail.queue.codec.internal.QueuedMailJson.encode(
          RedisTestSupport.mail(id, Priority.NORMAL));
      return redis.eval(script("enqueue"), io.lettuce.core.ScriptOutputType.INTEGER, keys, prefix, channel,
          bytes(Long.toString(capacity)), bytes(id), payload, bytes("1"), bytes("0"), bytes("0"));
    }

    List<Object> take(long leaseMs) {
      takes++;
      return redis.eval(script("take"), io.lettuce.core.ScriptOutputType.MULTI, keys, prefix, channel,
          bytes(Long.toString(leaseMs)), bytes("3"), bytes("2592000000"), bytes("100000"),
          bytes(keys[0] + ":rq:previous"), bytes(Integer.toString(takes)), bytes("1"), bytes("3600000"),
          bytes("10000"));
    }

    long ack(String id, long token) {
      return redis.eval(script("ack"), io.lettuce.core.ScriptOutputType.INTEGER, keys, prefix, channel, bytes(id),
          bytes(Long.toString(token)), bytes("3600000"), bytes("10000"));
    }

    static String text(Object reply) {
      return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    private static String script(String name) {
      StringBuilder body = new StringBuilder();
      for (String file : List.of("queue-lib", name)) {
        try (var in = RedisUpgradeTest.class.getResourceAsStream("previous/" + file + ".lua")) {
          body.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return body.toString();
    }

    private static byte[] bytes(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
  }
}
