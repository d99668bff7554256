package io.postline.mail.queue.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.postline.mail.core.AuditLog;
import io.postline.mail.event.MailEvent;
import io.postline.mail.queue.redis.internal.LuaScript;
import io.postline.mail.queue.redis.internal.MailEventJson;
import io.postline.mail.queue.codec.internal.PayloadCipher;
import io.postline.mail.queue.redis.internal.RedisEndpoint;
import io.postline.mail.queue.redis.internal.RedisLink;
import io.postline.mail.queue.redis.internal.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link AuditLog} on Redis: {@link #find} works from any JVM using the same prefix.
 *
 * <p>Each message has one list, {@code <prefix>:audit:<mailId>}, of its events as JSON (see
 * {@code MailEventJson}; encrypted with {@link Builder#encryption}), oldest first. The list
 * expires {@link Builder#retention retention} after the message's last event and keeps at most
 * {@link Builder#maxEventsPerMessage} events (the oldest go first).
 *
 * <p>{@link #record} does not wait for Redis: it sends the event and returns (in order on one
 * connection, so a {@link #find} through the same instance sees it; another JVM sees it after one
 * round trip). When Redis is unreachable, or more than {@link Builder#maxPending} events are on
 * their way, events are dropped, counted in {@link #dropped()} and logged: auditing never blocks
 * or fails a send. Thread-safe.
 */
public final class RedisAuditLog implements AuditLog, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisAuditLog.class);
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.:{}-]{0,100}");
  private static final LuaScript RECORD = LuaScript.of("audit-record", """
      redis.call('RPUSH', KEYS[1], ARGV[1])
      redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
      return 1
      """);

  private final RedisEndpoint endpoint;
  private final RedisLink<String> link;
  private final String prefix;
  private final Duration retention;
  private final int maxEvents;
  private final int maxPending;
  private final PayloadCipher cipher;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicBoolean failing = new AtomicBoolean();

  private RedisAuditLog(Builder b) {
    this.endpoint = b.endpoint;
    this.prefix = b.keyPrefix.isEmpty() ? "audit:" : b.keyPrefix + ":audit:";
    this.retention = b.retention;
    this.maxEvents = b.maxEvents;
    this.maxPending = b.maxPending;
    this.cipher = b.keys == null ? PayloadCipher.NONE : b.keys.cipher();
    try {
      this.link = endpoint.connect();
    } catch (RuntimeException e) {
      endpoint.close();
      throw new RedisUnavailableException("cannot connect to Redis for the audit log", e);
    }
  }

  /** A log on the application's Redis client; closing the log leaves the client open. */
  public static Builder builder(RedisClient client) {
    return new Builder(RedisEndpoint.of(client));
  }

  /** A log on the application's Redis Cluster client; closing the log leaves it open. */
  public static Builder builder(RedisClusterClient client) {
    return new Builder(RedisEndpoint.of(client));
  }

  /** A log with a Redis client of its own, shut down when the log is closed. */
  public static Builder builder(String redisUri) {
    return new Builder(RedisEndpoint.create(redisUri));
  }

  @Override
  public void record(MailEvent event) {
    Objects.requireNonNull(event, "event");
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      drop("more than " + maxPending + " events are waiting for Redis");
      return;
    }
    try {
      byte[] stored = cipher.seal(MailEventJson.write(event), event.mailId());
      link.<Long>evalAsync(RECORD, ScriptOutputType.INTEGER, new String[] {prefix + event.mailId()}, stored,
          RedisLink.arg(retention.toMillis()), RedisLink.arg(maxEvents)).whenComplete((r, e) -> {
            pending.decrementAndGet();
            if (e != null) {
              drop(e.toString());
            } else if (failing.compareAndSet(true, false)) {
              log.info("audit log: Redis takes events again");
            }
          });
    } catch (RuntimeException e) {
      pending.decrementAndGet();
      drop(e.getClass().getSimpleName());
    }
  }

  @Override
  public List<MailEvent> find(String mailId) {
    Objects.requireNonNull(mailId, "mailId");
    List<byte[]> stored = Retry.run("read the audit log", Duration.ofSeconds(10),
        () -> link.sync().lrange(prefix + mailId, 0, -1), e -> { });
    List<MailEvent> events = new ArrayList<>(stored.size());
    for (byte[] s : stored) {
      try {
        events.add(MailEventJson.read(cipher.open(s, mailId)));
      } catch (RuntimeException e) {
        log.warn("audit log: an event of message {} cannot be read and is left out ({})", mailId, e.getMessage());
      }
    }
    return List.copyOf(events);
  }

  /** How many events were dropped because Redis was unreachable or too slow. */
  public long dropped() {
    return dropped.get();
  }

  /** Closes the connection, and the Redis client if the log created it. */
  @Override
  public void close() {
    try {
      link.close();
    } finally {
      endpoint.close();
    }
  }

  private void drop(String why) {
    dropped.incrementAndGet();
    if (failing.compareAndSet(false, true)) {
      log.warn("audit log: dropping events while Redis does not take them ({})", why);
    }
  }

  @Override
  public String toString() {
    return "RedisAuditLog[" + prefix + "*, retention=" + retention + (cipher.encrypts() ? ", encrypted" : "") + "]";
  }

  /** Configures a {@link RedisAuditLog}. */
  public static final class Builder {
    private final RedisEndpoint endpoint;
    private String keyPrefix = "postline";
    private Duration retention = Duration.ofDays(30);
    private int maxEvents = 1000;
    private int maxPending = 10_000;
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

    /** How long a message's events are kept after its last event. Default 30 days. */
    public Builder retention(Duration retention) {
      Objects.requireNonNull(retention, "retention");
      if (retention.toMillis() < 1) {
        throw new IllegalArgumentException("audit retention must be at least 1 ms, was " + retention);
      }
      this.retention = retention;
      return this;
    }

    /** The most events kept per message (the oldest go first). Default 1,000. */
    public Builder maxEventsPerMessage(int maxEvents) {
      if (maxEvents < 1) {
        throw new IllegalArgumentException("maxEventsPerMessage must be at least 1, was " + maxEvents);
      }
      this.maxEvents = maxEvents;
      return this;
    }

    /** The most events on their way to Redis at once; more are dropped. Default 10,000. */
    public Builder maxPending(int maxPending) {
      if (maxPending < 1) {
        throw new IllegalArgumentException("maxPending must be at least 1, was " + maxPending);
      }
      this.maxPending = maxPending;
      return this;
    }

    /** Encrypts the stored events. */
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
     * Connects and builds the log.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     */
    public RedisAuditLog build() {
      return new RedisAuditLog(this);
    }
  }
}
