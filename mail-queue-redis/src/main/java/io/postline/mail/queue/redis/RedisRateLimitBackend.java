package io.postline.mail.queue.redis;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.postline.mail.core.RateLimit;
import io.postline.mail.core.RateLimitBackend;
import io.postline.mail.core.TokenBucket;
import io.postline.mail.core.internal.LocalTokenBuckets;
import io.postline.mail.queue.redis.internal.RedisEndpoint;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A {@link RateLimitBackend} whose token buckets live in Redis (Bucket4j's Lettuce integration,
 * compare-and-swap based), so that every JVM using the same prefix draws from one bucket per
 * provider: N JVMs together stay within a provider's limit.
 *
 * <p>Each provider's bucket is one key, {@code <prefix>:ratelimit:<provider>}, which expires once
 * the bucket would be full again plus {@link Builder#keepAfterRefill keepAfterRefill}. Bucket4j
 * refills by the JVM's clock: keep the fleet's clocks in sync (NTP), a JVM whose clock runs ahead
 * refills early. The first JVM to create a bucket sets its configuration; JVMs with another
 * configuration for the same provider use the stored one until the key expires. Thread-safe.
 */
public final class RedisRateLimitBackend implements RateLimitBackend, AutoCloseable {
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.:{}-]{0,100}");

  private final RedisEndpoint endpoint;
  private final StatefulConnection<byte[], byte[]> connection;
  private final ProxyManager<byte[]> proxyManager;
  private final String prefix;

  private RedisRateLimitBackend(Builder b) {
    this.endpoint = b.endpoint;
    this.prefix = b.keyPrefix.isEmpty() ? "ratelimit:" : b.keyPrefix + ":ratelimit:";
    ExpirationAfterWriteStrategy expiry =
        ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(b.keepAfterRefill);
    try {
      RedisClient client = endpoint.standalone();
      if (client != null) {
        StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
        this.connection = c;
        this.proxyManager = Bucket4jLettuce.casBasedBuilder(c).expirationAfterWrite(expiry)
            .requestTimeout(b.requestTimeout).build();
      } else {
        StatefulRedisClusterConnection<byte[], byte[]> c =
            Objects.requireNonNull(endpoint.clusterClient()).connect(ByteArrayCodec.INSTANCE);
        this.connection = c;
        this.proxyManager = Bucket4jLettuce.casBasedBuilder(c).expirationAfterWrite(expiry)
            .requestTimeout(b.requestTimeout).build();
      }
    } catch (RuntimeException e) {
      endpoint.close();
      throw new RedisUnavailableException("cannot connect to Redis for the rate limits", e);
    }
  }

  /** Buckets on the application's Redis client; closing the backend leaves the client open. */
  public static Builder builder(RedisClient client) {
    return new Builder(RedisEndpoint.of(client));
  }

  /** Buckets on the application's Redis Cluster client; closing the backend leaves it open. */
  public static Builder builder(RedisClusterClient client) {
    return new Builder(RedisEndpoint.of(client));
  }

  /** Buckets with a Redis client of their own, shut down when the backend is closed. */
  public static Builder builder(String redisUri) {
    return new Builder(RedisEndpoint.create(redisUri));
  }

  @Override
  public TokenBucket bucket(String provider, RateLimit limit) {
    Objects.requireNonNull(provider, "provider");
    BucketConfiguration configuration = LocalTokenBuckets.configuration(limit);
    return LocalTokenBuckets.of(
        proxyManager.builder().build((prefix + provider).getBytes(StandardCharsets.UTF_8), () -> configuration));
  }

  /** Closes the connection, and the Redis client if the backend created it. */
  @Override
  public void close() {
    try {
      connection.close();
    } finally {
      endpoint.close();
    }
  }

  @Override
  public String toString() {
    return "RedisRateLimitBackend[" + prefix + "*]";
  }

  /** Configures a {@link RedisRateLimitBackend}. */
  public static final class Builder {
    private final RedisEndpoint endpoint;
    private String keyPrefix = "postline";
    private Duration keepAfterRefill = Duration.ofSeconds(10);
    private Duration requestTimeout = Duration.ofSeconds(5);

    private Builder(RedisEndpoint endpoint) {
      this.endpoint = endpoint;
    }

    /** What every key starts with; up to 100 letters, digits, {@code _ . : - { }}. Default {@code postline}. */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (!PREFIX.matcher(keyPrefix).matches()) {
        throw new IllegalArgumentException("key prefix must be up to 100 letters, digits, '_', '.', ':', '-' or"
            + " braces, was '" + keyPrefix + "'");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** How long a full bucket's key stays before it expires. Default 10 s. */
    public Builder keepAfterRefill(Duration keepAfterRefill) {
      Objects.requireNonNull(keepAfterRefill, "keepAfterRefill");
      if (keepAfterRefill.isNegative()) {
        throw new IllegalArgumentException("keepAfterRefill must not be negative, was " + keepAfterRefill);
      }
      this.keepAfterRefill = keepAfterRefill;
      return this;
    }

    /** How long one bucket operation may take before it fails. Default 5 s. */
    public Builder requestTimeout(Duration requestTimeout) {
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
      }
      this.requestTimeout = requestTimeout;
      return this;
    }

    /**
     * Connects and builds the backend.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     */
    public RedisRateLimitBackend build() {
      return new RedisRateLimitBackend(this);
    }
  }
}
