package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.postline.mail.Priority;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueueFullException;
import java.time.Duration;
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
}
