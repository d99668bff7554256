package io.postline.mail.spring;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.RateLimitBackend;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.queue.codec.EncryptionKeys;
import io.postline.mail.queue.redis.RedisAuditLog;
import io.postline.mail.queue.redis.RedisIdempotencyStore;
import io.postline.mail.queue.redis.RedisMailQueue;
import io.postline.mail.queue.redis.RedisRateLimitBackend;
import io.postline.mail.queue.redis.RedisSuppressionList;
import io.postline.mail.spi.ProviderSettings;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Postline's Redis resources: the Lettuce client (one of its own from
 * {@code postline.mail.redis.url}, or the application's, from its Lettuce connection factory),
 * connected on first use, and the Redis stores built on it. Closes the idempotency store and
 * audit log it created, then its own client, and leaves the application's client open; the queue
 * and rate limits it builds are closed by their owner, {@link PostlineMailerResources}, which
 * closes this last. Only loaded when mail-queue-redis is present.
 */
final class PostlineRedis implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostlineRedis.class);

  private final PostlineMailProperties.Redis properties;
  private final Supplier<@Nullable AbstractRedisClient> applicationClient;
  private final Deque<AutoCloseable> created = new ArrayDeque<>();
  private @Nullable AbstractRedisClient client;
  private @Nullable ClientResources ownResources;
  private @Nullable EncryptionKeys keys;
  private boolean keysParsed;

  PostlineRedis(PostlineMailProperties.Redis properties, Supplier<@Nullable AbstractRedisClient> applicationClient) {
    this.properties = properties;
    this.applicationClient = applicationClient;
  }

  /** A durable queue on Redis, closed by {@code owner} (before this). */
  synchronized MailQueue queue(PostlineMailProperties.Queue queue, PostlineMailerResources owner) {
    AbstractRedisClient c = client();
    RedisMailQueue.Builder b = c instanceof RedisClusterClient cluster
        ? RedisMailQueue.builder(cluster) : RedisMailQueue.builder((RedisClient) c);
    MailerFactory.check("postline.mail.queue.name", () -> b.name(queue.getName()));
    MailerFactory.check("postline.mail.redis.key-prefix", () -> b.keyPrefix(properties.getKeyPrefix()));
    Long capacity = queue.getCapacity();
    if (capacity != null) {
      MailerFactory.check("postline.mail.queue.capacity", () -> b.capacity(capacity));
    }
    EncryptionKeys k = encryptionKeys();
    if (k != null) {
      b.encryption(k);
    }
    b.sharedGroupBodies(queue.isSharedGroupBodies());
    return owner.add(connect("the queue", b::build));
  }

  /** Idempotency keys on Redis. */
  synchronized IdempotencyStore idempotency(Duration window) {
    return idempotencyStore("the idempotency store", "postline.mail.idempotency.window", window,
        properties.getKeyPrefix());
  }

  /**
   * The webhook verifiers' replay memory on Redis, shared by the fleet: keys kept for
   * {@code window} (twice the tolerance of {@code provider}'s webhook), under the key prefix followed
   * by {@code :webhooks}, apart from the mail's idempotency keys.
   */
  synchronized IdempotencyStore webhookReplays(String provider, Duration window) {
    String prefix = properties.getKeyPrefix().isEmpty() ? "webhooks" : properties.getKeyPrefix() + ":webhooks";
    return idempotencyStore("the " + provider + " webhook's replay memory",
        "postline.mail.webhooks." + provider + ".tolerance", window, prefix);
  }

  private IdempotencyStore idempotencyStore(String what, String windowProperty, Duration window, String keyPrefix) {
    AbstractRedisClient c = client();
    RedisIdempotencyStore.Builder b = c instanceof RedisClusterClient cluster
        ? RedisIdempotencyStore.builder(cluster) : RedisIdempotencyStore.builder((RedisClient) c);
    MailerFactory.check(windowProperty, () -> b.window(window));
    MailerFactory.check("postline.mail.redis.key-prefix", () -> b.keyPrefix(keyPrefix));
    EncryptionKeys k = encryptionKeys();
    if (k != null) {
      b.encryption(k);
    }
    return track(connect(what, b::build));
  }

  /** An audit log on Redis. */
  synchronized AuditLog audit(Duration retention) {
    AbstractRedisClient c = client();
    RedisAuditLog.Builder b = c instanceof RedisClusterClient cluster
        ? RedisAuditLog.builder(cluster) : RedisAuditLog.builder((RedisClient) c);
    MailerFactory.check("postline.mail.audit.retention", () -> b.retention(retention));
    MailerFactory.check("postline.mail.redis.key-prefix", () -> b.keyPrefix(properties.getKeyPrefix()));
    EncryptionKeys k = encryptionKeys();
    if (k != null) {
      b.encryption(k);
    }
    return track(connect("the audit log", b::build));
  }

  /** Rate-limit buckets on Redis, shared by every instance, closed by {@code owner} (before this). */
  synchronized RateLimitBackend rateLimits(PostlineMailerResources owner) {
    AbstractRedisClient c = client();
    RedisRateLimitBackend.Builder b = c instanceof RedisClusterClient cluster
        ? RedisRateLimitBackend.builder(cluster) : RedisRateLimitBackend.builder((RedisClient) c);
    MailerFactory.check("postline.mail.redis.key-prefix", () -> b.keyPrefix(properties.getKeyPrefix()));
    return owner.add(connect("the rate limits", b::build));
  }

  /** The fleet-wide suppression list on Redis, named {@code name}, hashing with {@code hasher}. */
  synchronized SuppressionList suppressionList(AddressHasher hasher, String name) {
    AbstractRedisClient c = client();
    RedisSuppressionList.Builder b = c instanceof RedisClusterClient cluster
        ? RedisSuppressionList.builder(cluster, hasher) : RedisSuppressionList.builder((RedisClient) c, hasher);
    MailerFactory.check("postline.mail.suppression.name", () -> b.name(name));
    MailerFactory.check("postline.mail.redis.key-prefix", () -> b.keyPrefix(properties.getKeyPrefix()));
    return track(connect("the suppression list", b::build));
  }

  /** Whether the client is Postline's own (from postline.mail.redis.url). */
  synchronized boolean ownsClient() {
    return ownResources != null;
  }

  private <T extends AutoCloseable> T track(T closeable) {
    created.push(closeable);
    return closeable;
  }

  private <T> T connect(String what, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      String where = properties.getUrl() != null
          ? "postline.mail.redis.url (" + masked(properties.getUrl()) + ")"
          : "the application's Redis connection (spring.data.redis.*)";
      throw new IllegalStateException("Postline cannot reach Redis for " + what + " at " + where + ": " + e.getMessage(), e);
    }
  }

  private @Nullable EncryptionKeys encryptionKeys() {
    if (!keysParsed) {
      String spec = properties.getEncryptionKeys();
      if (spec != null && !spec.isBlank()) {
        keys = MailerFactory.check("postline.mail.redis.encryption-keys", () -> EncryptionKeys.parse(spec));
      }
      keysParsed = true;
    }
    return keys;
  }

  private AbstractRedisClient client() {
    if (client != null) {
      return client;
    }
    String url = properties.getUrl();
    if (url != null && !url.isBlank()) {
      RedisURI uri = MailerFactory.check("postline.mail.redis.url", () -> {
        try {
          return RedisURI.create(url);
        } catch (RuntimeException e) {
          // Lettuce's message may repeat the URL, password included.
          throw new IllegalArgumentException("not a Redis URL such as redis://localhost:6379 or "
              + "rediss://:password@host:6380/0 (" + masked(url) + ")");
        }
      });
      ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
      RedisClient own = RedisClient.create(resources, uri);
      own.setOptions(ClientOptions.builder()
          .autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(10)))
          .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(5)).keepAlive(true).build())
          .build());
      ownResources = resources;
      client = own;
      return own;
    }
    AbstractRedisClient app = applicationClient.get();
    if (app == null) {
      throw new InvalidPostlinePropertyException("postline.mail.redis.url",
          "Postline is configured to keep its queue or stores on Redis, but this property is not set and the "
              + "application has no Lettuce connection factory (Spring Data Redis with spring.data.redis.*) to share");
    }
    if (!(app instanceof RedisClient) && !(app instanceof RedisClusterClient)) {
      throw new InvalidPostlinePropertyException("postline.mail.redis.url", "the application's Redis client is a "
          + app.getClass().getName() + ", which Postline cannot use; set this property to give Postline a Redis of its own");
    }
    client = app;
    return app;
  }

  /** Closes the stores it created (newest first), then its own client; never the application's. */
  @Override
  public synchronized void close() {
    while (!created.isEmpty()) {
      AutoCloseable c = created.pop();
      try {
        c.close();
      } catch (Exception e) {
        log.warn("Closing {} failed: {}", c, e.toString());
      }
    }
    if (ownResources != null && client != null) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      ownResources.shutdown(0, 2, TimeUnit.SECONDS);
      ownResources = null;
    }
    client = null;
  }

  static String masked(String url) {
    try {
      return ProviderSettings.parse(url).maskedDsn();
    } catch (RuntimeException e) {
      return "******";
    }
  }
}
