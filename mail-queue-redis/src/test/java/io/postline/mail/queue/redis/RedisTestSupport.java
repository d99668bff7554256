package io.postline.mail.queue.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.postline.mail.Email;
import io.postline.mail.Priority;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.tck.DroppingProxy;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The Redis the tests use (REDIS_URL, or 127.0.0.1:6379), unique prefixes, cleanup, messages. */
final class RedisTestSupport {
  static final String URL = Optional.ofNullable(System.getenv("REDIS_URL")).filter(s -> !s.isBlank())
      .orElse("redis://127.0.0.1:6379");

  private RedisTestSupport() {}

  /** A key prefix no other test uses. */
  static String uniquePrefix() {
    return "pltest-" + UUID.randomUUID().toString().substring(0, 13);
  }

  /** A client with the module's recommended options. */
  static RedisClient client() {
    return client(URL);
  }

  /** A proxy in front of the test Redis that can lose its replies. */
  static DroppingProxy droppingProxy() throws IOException {
    URI target = URI.create(URL);
    return new DroppingProxy(target.getHost(), target.getPort());
  }

  /** A client with the recommended options that reaches the test Redis through {@code proxy}. */
  static RedisClient client(DroppingProxy proxy) {
    return client("redis://127.0.0.1:" + proxy.port());
  }

  static RedisClient client(String url) {
    RedisClient client = RedisClient.create(url);
    client.setOptions(RedisMailQueue.recommendedClientOptions());
    return client;
  }

  /** Every key starting with {@code prefix}. */
  static List<String> keys(RedisClient client, String prefix) {
    List<String> out = new ArrayList<>();
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      ScanCursor cursor = ScanCursor.INITIAL;
      for (int i = 0; i < 100_000; i++) {
        KeyScanCursor<String> page = c.sync().scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(1000));
        out.addAll(page.getKeys());
        if (page.isFinished()) {
          break;
        }
        cursor = page;
      }
    }
    return out;
  }

  /** ZCARD of a key. */
  static long zcard(RedisClient client, String key) {
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      return c.sync().zcard(key);
    }
  }

  /** Deletes every key starting with {@code prefix}. */
  static void cleanup(RedisClient client, String prefix) {
    List<String> keys = keys(client, prefix);
    if (!keys.isEmpty()) {
      try (StatefulRedisConnection<String, String> c = client.connect()) {
        for (int i = 0; i < keys.size(); i += 500) {
          c.sync().unlink(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(new String[0]));
        }
      }
    }
  }

  static Email email(String subject, Priority priority) {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject(subject)
        .text("body of " + subject).priority(priority).build();
  }

  static QueuedMail mail(String id, Priority priority) {
    Instant now = Instant.now();
    return new QueuedMail(id, email(id, priority), 0, now, now, Optional.of("corr-" + id));
  }

  static QueuedMail mailDueIn(String id, Duration delay) {
    Instant now = Instant.now();
    return new QueuedMail(id, email(id, Priority.NORMAL), 0, now, now.plus(delay), Optional.empty());
  }
}
