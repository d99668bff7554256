package io.postline.mail.queue.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.postline.mail.SendResult;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.queue.redis.internal.KeyNames;
import io.postline.mail.queue.redis.internal.LuaScript;
import io.postline.mail.queue.codec.internal.KeyDigest;
import io.postline.mail.queue.codec.internal.PayloadCipher;
import io.postline.mail.queue.redis.internal.RedisEndpoint;
import io.postline.mail.queue.redis.internal.RedisLink;
import io.postline.mail.queue.redis.internal.Retry;
import io.postline.mail.queue.redis.internal.SendResultJson;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link IdempotencyStore} on Redis, shared by every JVM using the same prefix: a duplicate
 * submitted to any of them within the window is dropped.
 *
 * <p>Each key is one hash, {@code <prefix>:idem:<SHA-256 of the key, base64url>} (the key itself,
 * which may hold personal data, is not stored), with the claiming message id and, once sent, its
 * {@link SendResult} as JSON (encrypted with {@link Builder#encryption}); it expires
 * {@link Builder#window window} after the claim, and again a full window after the send.
 * {@link #claim} is one atomic script (create if absent, with its expiry); {@link #succeeded} and
 * {@link #release} are compare-and-set scripts that act only while {@code mailId} still holds the
 * key. Thread-safe.
 */
public final class RedisIdempotencyStore implements IdempotencyStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisIdempotencyStore.class);
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.:{}-]{0,100}");

  private static final LuaScript CLAIM = LuaScript.of("idempotency-claim", """
      if redis.call('EXISTS', KEYS[1]) == 0 then
        redis.call('HSET', KEYS[1], 'm', ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return {}
      end
      local f = redis.call('HMGET', KEYS[1], 'm', 'r')
      return {f[1], f[2] or ''}
      """);
  private static final LuaScript FIND = LuaScript.of("idempotency-find", """
      local f = redis.call('HMGET', KEYS[1], 'm', 'r')
      if not f[1] then return {} end
      return {f[1], f[2] or ''}
      """);
  private static final LuaScript SUCCEEDED = LuaScript.of("idempotency-succeeded", """
      if redis.call('HGET', KEYS[1], 'm') == ARGV[1] then
        redis.call('HSET', KEYS[1], 'r', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
      end
      return 0
      """);
  private static final LuaScript RELEASE = LuaScript.of("idempotency-release", """
      if redis.call('HGET', KEYS[1], 'm') == ARGV[1] then
        return redis.call('DEL', KEYS[1])
      end
      return 0
      """);

  private final RedisEndpoint endpoint;
  private final RedisLink<String> link;
  private final String prefix;
  private final Duration window;
  private final PayloadCipher cipher;
  private final Duration operationTimeout;

  private RedisIdempotencyStore(Builder b) {
    this.endpoint = b.endpoint;
    this.prefix = b.keyPrefix.isEmpty() ? "idem:" : b.keyPrefix + ":idem:";
    this.window = b.window;
    this.cipher = b.keys == null ? PayloadCipher.NONE : b.keys.cipher();
    this.operationTimeout = b.operationTimeout;
    try {
      this.link = endpoint.connect();
    } catch (RuntimeException e) {
      endpoint.close();
      throw new RedisUnavailableException("cannot connect to Redis for the idempotency store", e);
    }
  }

  /** A store on the application's Redis client; closing the store leaves the client open. */
  public static Builder builder(RedisClient client) {
    return new Builder(RedisEndpoint.of(client));
  }

  /** A store on the application's Redis Cluster client; closing the store leaves it open. */
  public static Builder builder(RedisClusterClient client) {
    return new Builder(RedisEndpoint.of(client));
  }

  /** A store with a Redis client of its own, shut down when the store is closed. */
  public static Builder builder(String redisUri) {
    return new Builder(RedisEndpoint.create(redisUri));
  }

  @Override
  public Optional<Claim> claim(String key, String mailId) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(mailId, "mailId");
    String redisKey = redisKey(key);
    List<Object> r = call("claim an idempotency key", () -> link.<List<Object>>eval(CLAIM, ScriptOutputType.MULTI,
        new String[] {redisKey}, RedisLink.arg(mailId), RedisLink.arg(window.toMillis())));
    return claimOf(redisKey, r);
  }

  @Override
  public Optional<Claim> find(String key) {
    Objects.requireNonNull(key, "key");
    String redisKey = redisKey(key);
    List<Object> r = call("find an idempotency key", () -> link.<List<Object>>eval(FIND, ScriptOutputType.MULTI,
        new String[] {redisKey}));
    return claimOf(redisKey, r);
  }

  @Override
  public void succeeded(String key, String mailId, SendResult result) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(mailId, "mailId");
    Objects.requireNonNull(result, "result");
    String redisKey = redisKey(key);
    byte[] stored = cipher.seal(SendResultJson.write(result), redisKey);
    long r = call("record an idempotent send", () -> link.<Long>eval(SUCCEEDED, ScriptOutputType.INTEGER,
        new String[] {redisKey}, RedisLink.arg(mailId), stored, RedisLink.arg(window.toMillis())));
    if (r == 0) {
      log.debug("idempotency key of message {} is no longer held by it; result not recorded", mailId);
    }
  }

  @Override
  public void release(String key, String mailId) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(mailId, "mailId");
    String redisKey = redisKey(key);
    call("release an idempotency key", () -> link.<Long>eval(RELEASE, ScriptOutputType.INTEGER,
        new String[] {redisKey}, RedisLink.arg(mailId)));
  }

  /** The window a claim is kept for. */
  public Duration window() {
    return window;
  }

  /** Closes the connection, and the Redis client if the store created it. */
  @Override
  public void close() {
    try {
      link.close();
    } finally {
      endpoint.close();
    }
  }

  private Optional<Claim> claimOf(String redisKey, List<Object> r) {
    if (r.isEmpty()) {
      return Optional.empty();
    }
    String mailId = RedisLink.text(r.get(0));
    byte[] result = r.get(1) instanceof byte[] b ? b : new byte[0];
    if (result.length == 0) {
      return Optional.of(new Claim(mailId, Optional.empty()));
    }
    SendResult sent = SendResultJson.read(cipher.open(result, redisKey));
    return Optional.of(new Claim(mailId, Optional.of(sent)));
  }

  private String redisKey(String key) {
    return prefix + KeyDigest.of(key);
  }

  private <T> T call(String what, Supplier<T> op) {
    return Retry.run(what, operationTimeout, op, e -> log.debug("{}: Redis unreachable, retrying", what));
  }

  @Override
  public String toString() {
    return "RedisIdempotencyStore[" + prefix + "*, window=" + window + (cipher.encrypts() ? ", encrypted" : "") + "]";
  }

  /** Configures a {@link RedisIdempotencyStore}. */
  public static final class Builder {
    private final RedisEndpoint endpoint;
    private String keyPrefix = "postline";
    private Duration window = Duration.ofHours(24);
    private Duration operationTimeout = Duration.ofSeconds(10);
    private io.postline.mail.queue.codec.@Nullable EncryptionKeys keys;

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

    /** How long a key stays claimed: after the claim, and again after the send. Default 24 hours. */
    public Builder window(Duration window) {
      Objects.requireNonNull(window, "window");
      if (window.toMillis() < 1) {
        throw new IllegalArgumentException("idempotency window must be at least 1 ms, was " + window);
      }
      this.window = window;
      return this;
    }

    /** How long an operation retries while Redis is unreachable. Default 10 s. */
    public Builder operationTimeout(Duration operationTimeout) {
      this.operationTimeout = KeyNames.operationTimeout(operationTimeout);
      return this;
    }

    /** Encrypts the stored send results (they name the recipients). */
    public Builder encryption(io.postline.mail.queue.codec.EncryptionKeys keys) {
      this.keys = Objects.requireNonNull(keys, "keys");
      return this;
    }

    /**
     * The same as {@link #encryption(io.postline.mail.queue.codec.EncryptionKeys)}.
     *
     * @deprecated use the shared {@link io.postline.mail.queue.codec.EncryptionKeys}
     */
    @Deprecated(since = "0.2.0", forRemoval = true)
    @SuppressWarnings("removal")
    public Builder encryption(EncryptionKeys keys) {
      return encryption(keys.shared());
    }

    /**
     * Connects and builds the store.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     */
    public RedisIdempotencyStore build() {
      return new RedisIdempotencyStore(this);
    }
  }
}
