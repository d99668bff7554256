package io.postline.mail.queue.redis;

import io.lettuce.core.KeyValue;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.postline.mail.Address;
import io.postline.mail.MailException;
import io.postline.mail.core.AddressHash;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.queue.redis.internal.KeyNames;
import io.postline.mail.queue.redis.internal.LuaScript;
import io.postline.mail.queue.redis.internal.RedisEndpoint;
import io.postline.mail.queue.redis.internal.RedisLink;
import io.postline.mail.queue.redis.internal.Retry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SuppressionList} on Redis, shared by every JVM that names the same list: an address
 * suppressed through one instance is suppressed for the whole fleet.
 *
 * <p>Only keyed hashes are stored ({@link AddressHasher}; every instance needs the same key), never
 * an address. With prefix {@code postline} and name {@code suppression}, all keys share the hash
 * tag {@code {suppression}} (so the list works on Redis Cluster, on one node):
 * <ul>
 *   <li>{@code postline:{suppression}:a:<hash>}, a hash: per list ({@code *} for all mail) the
 *       entry's reason, times and source;
 *   <li>{@code postline:{suppression}:i}, a sorted set of {@code <hash>:<list>} scored by expiry
 *       (milliseconds; {@code +inf} for never), so that {@link #count} is one {@code ZCOUNT} and
 *       {@link #list} reads no expired entry, without scanning the keyspace;
 *   <li>{@code postline:{suppression}:b:<hash>}, a hash: the start and count of the current
 *       soft-bounce window, expiring with the window.
 * </ul>
 *
 * <p>Expiry is checked against this list's {@link Builder#clock clock} (as the in-memory list
 * does); expired entries are dropped from the index on every {@link #add}, and an address's key
 * carries a Redis TTL a day past its last expiry, so nothing expired stays for long. Every change
 * is one atomic script. {@link #add} and {@link #remove} are safe to repeat, and are retried while
 * Redis is unreachable, for at most {@link Builder#operationTimeout}; {@link #recordSoftBounce} is
 * not retried once a try may have reached Redis (a lost reply), so a bounce is never counted twice
 * by this list. When Redis stays unreachable, every method throws {@link RedisUnavailableException};
 * an error reply (such as out of memory) is a {@link MailException} saying so. Thread-safe.
 */
public final class RedisSuppressionList implements SuppressionList, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisSuppressionList.class);
  private static final String ALL = "*";
  private static final long GRACE_MILLIS = Duration.ofDays(1).toMillis();
  private static final int PAGE = 500;

  /**
   * KEYS: address hash, index. ARGV: field, entry, index member, score, now (ms), grace (ms), the
   * address hash. Stores the entry, drops the address's expired entries, sets the address key's
   * TTL past its last expiry (none while an entry is for good) and prunes the index.
   */
  private static final LuaScript ADD = LuaScript.of("suppression-add", """
      local now = tonumber(ARGV[5])
      redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      local fields = redis.call('HGETALL', KEYS[1])
      local forever = false
      local last = 0
      for i = 1, #fields, 2 do
        local expires = string.match(fields[i + 1], '^1|[^|]*|[^|]*|([^|]*)|')
        if expires == nil or expires == '' then
          forever = true
        else
          local ms = tonumber(expires) * 1000
          if ms <= now then
            redis.call('HDEL', KEYS[1], fields[i])
            redis.call('ZREM', KEYS[2], ARGV[7] .. ':' .. fields[i])
          elseif ms > last then
            last = ms
          end
        end
      end
      if forever then
        redis.call('PERSIST', KEYS[1])
      elseif last > 0 then
        redis.call('PEXPIRE', KEYS[1], math.ceil(last - now) + tonumber(ARGV[6]))
      end
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
      return 1
      """);

  /** KEYS: address hash, index, soft bounces. ARGV: the address hash. */
  private static final LuaScript REMOVE = LuaScript.of("suppression-remove", """
      local fields = redis.call('HKEYS', KEYS[1])
      for i = 1, #fields do
        redis.call('ZREM', KEYS[2], ARGV[1] .. ':' .. fields[i])
      end
      redis.call('DEL', KEYS[1], KEYS[3])
      return #fields
      """);

  /** KEYS: soft bounces. ARGV: now (ms), window (ms). */
  private static final LuaScript SOFT_BOUNCE = LuaScript.of("suppression-soft-bounce", """
      local now = tonumber(ARGV[1])
      local start = redis.call('HGET', KEYS[1], 's')
      if not start or now >= tonumber(start) + tonumber(ARGV[2]) then
        redis.call('HSET', KEYS[1], 's', ARGV[1], 'n', 1)
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
      end
      return redis.call('HINCRBY', KEYS[1], 'n', 1)
      """);

  private final RedisEndpoint endpoint;
  private final RedisLink<String> link;
  private final AddressHasher hasher;
  private final Clock clock;
  private final String base;
  private final String index;
  private final Duration operationTimeout;

  private RedisSuppressionList(Builder b) {
    this.endpoint = b.endpoint;
    this.hasher = b.hasher;
    this.clock = b.clock;
    this.base = b.keyPrefix.isEmpty() ? "{" + b.name + "}" : b.keyPrefix + ":{" + b.name + "}";
    this.index = base + ":i";
    this.operationTimeout = b.operationTimeout;
    try {
      this.link = endpoint.connect();
    } catch (RuntimeException e) {
      endpoint.close();
      throw new RedisUnavailableException("cannot connect to Redis for the suppression list", e);
    }
  }

  /** A list on the application's Redis client, hashing with {@code hasher}; closing the list leaves the client open. */
  public static Builder builder(RedisClient client, AddressHasher hasher) {
    return new Builder(RedisEndpoint.of(client), hasher);
  }

  /** A list on the application's Redis Cluster client; closing the list leaves it open. */
  public static Builder builder(RedisClusterClient client, AddressHasher hasher) {
    return new Builder(RedisEndpoint.of(client), hasher);
  }

  /** A list with a Redis client of its own, shut down when the list is closed. */
  public static Builder builder(String redisUri, AddressHasher hasher) {
    return new Builder(RedisEndpoint.create(redisUri), hasher);
  }

  @Override
  public AddressHash hash(Address address) {
    return hasher.hash(address);
  }

  @Override
  public void add(SuppressionEntry entry) {
    Objects.requireNonNull(entry, "entry");
    String hash = entry.address().hex();
    String field = entry.list().orElse(ALL);
    String score = entry.expiresAt().map(e -> Long.toString(ceilMillis(e))).orElse("+inf");
    byte[] value = RedisLink.arg(encode(entry));
    long now = clock.millis();
    call("add a suppression entry", () -> link.<Long>eval(ADD, ScriptOutputType.INTEGER,
        new String[] {addressKey(hash), index}, RedisLink.arg(field), value, RedisLink.arg(hash + ":" + field),
        RedisLink.arg(score), RedisLink.arg(now), RedisLink.arg(GRACE_MILLIS), RedisLink.arg(hash)));
  }

  @Override
  public Optional<SuppressionEntry> find(AddressHash address, @Nullable String list) {
    Objects.requireNonNull(address, "address");
    String field = list == null || list.isEmpty() ? null : list;
    List<KeyValue<String, byte[]>> values = call("find a suppression entry", () -> field == null
        ? link.sync().hmget(addressKey(address.hex()), ALL)
        : link.sync().hmget(addressKey(address.hex()), ALL, field));
    Instant now = clock.instant();
    for (var kv : values) {
      if (kv.hasValue()) {
        SuppressionEntry e = decode(address, kv.getKey(), kv.getValue());
        if (e.activeAt(now)) {
          return Optional.of(e);
        }
      }
    }
    return Optional.empty();
  }

  @Override
  public int remove(AddressHash address) {
    Objects.requireNonNull(address, "address");
    String hash = address.hex();
    long removed = call("remove suppression entries", () -> link.<Long>eval(REMOVE, ScriptOutputType.INTEGER,
        new String[] {addressKey(hash), index, bounceKey(hash)}, RedisLink.arg(hash)));
    return (int) removed;
  }

  @Override
  public int recordSoftBounce(AddressHash address, Duration window) {
    Objects.requireNonNull(address, "address");
    if (window.toMillis() < 1) {
      throw new IllegalArgumentException("the soft bounce window must be at least 1 ms, was " + window);
    }
    long now = clock.millis();
    long count = Retry.runAtMostOnce("count a soft bounce", operationTimeout,
        () -> link.<Long>eval(SOFT_BOUNCE, ScriptOutputType.INTEGER, new String[] {bounceKey(address.hex())},
            RedisLink.arg(now), RedisLink.arg(window.toMillis())),
        this::unreachable, RedisSuppressionList::failure);
    return (int) Math.min(count, Integer.MAX_VALUE);
  }

  /**
   * The entries that apply now, read in pages by rank of the index (each page one {@code ZRANGE}
   * from the first live rank, so a page costs the same anywhere in a large list; a snapshot per
   * page, not of the whole list).
   */
  @Override
  public List<SuppressionEntry> list() {
    Instant now = clock.instant();
    long nowMillis = clock.millis();
    long expired = call("list suppression entries", () -> link.sync().zcount(index,
        Range.from(Range.Boundary.including(Double.NEGATIVE_INFINITY), Range.Boundary.including((double) nowMillis))));
    List<SuppressionEntry> out = new ArrayList<>();
    for (long rank = expired; ; rank += PAGE) {
      long from = rank;
      List<byte[]> members = call("list suppression entries", () -> link.sync().zrange(index, from, from + PAGE - 1));
      List<String> names = members.stream().map(m -> new String(m, StandardCharsets.UTF_8)).toList();
      List<byte @Nullable []> values = names.isEmpty() ? List.of()
          : call("list suppression entries", () -> fetch(names));
      for (int i = 0; i < names.size(); i++) {
        byte[] value = values.get(i);
        String name = names.get(i);
        int colon = name.indexOf(':');
        if (value != null && colon > 0) {
          SuppressionEntry e = decode(new AddressHash(name.substring(0, colon)), name.substring(colon + 1), value);
          if (e.activeAt(now)) {
            out.add(e);
          }
        }
      }
      if (members.size() < PAGE) {
        return out;
      }
    }
  }

  /** How many entries apply now: one {@code ZCOUNT} on the index. */
  @Override
  public long count() {
    Range<Double> active = Range.from(Range.Boundary.excluding((double) clock.millis()),
        Range.Boundary.including(Double.POSITIVE_INFINITY));
    return call("count suppression entries", () -> link.sync().zcount(index, active));
  }

  /** Closes the connection, and the Redis client if the list created it. */
  @Override
  public void close() {
    try {
      link.close();
    } finally {
      endpoint.close();
    }
  }

  @Override
  public String toString() {
    return "RedisSuppressionList[" + base + "]";
  }

  /** Pipelines one HGET per member on this connection and waits for all of them. */
  private List<byte @Nullable []> fetch(List<String> members) {
    List<RedisFuture<byte[]>> futures = new ArrayList<>(members.size());
    for (String member : members) {
      int colon = member.indexOf(':');
      futures.add(link.async().hget(addressKey(member.substring(0, Math.max(colon, 0))), member.substring(colon + 1)));
    }
    List<byte @Nullable []> values = new ArrayList<>(members.size());
    long deadline = System.nanoTime() + operationTimeout.toNanos();
    for (RedisFuture<byte[]> f : futures) {
      try {
        values.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RedisCommandInterruptedException(e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new RedisException(e.getCause());
      } catch (TimeoutException e) {
        throw new RedisCommandTimeoutException("reading suppression entries timed out");
      }
    }
    return values;
  }

  private String addressKey(String hash) {
    return base + ":a:" + hash;
  }

  private String bounceKey(String hash) {
    return base + ":b:" + hash;
  }

  /** Runs an operation that is safe to repeat, again while Redis is unreachable. */
  private <T> T call(String what, Supplier<T> op) {
    return Retry.run(what, operationTimeout, op, this::unreachable, RedisSuppressionList::failure);
  }

  private void unreachable(RuntimeException e) {
    log.debug("suppression list {}: Redis unreachable, retrying ({})", base, e.getClass().getSimpleName());
  }

  private static RuntimeException failure(String message, RuntimeException cause, boolean mayHaveRun,
      boolean transientFailure) {
    String outcome = mayHaveRun ? "; it may or may not have been applied" : "";
    return transientFailure ? new RedisUnavailableException(message + outcome, cause)
        : new MailException(message + outcome, cause);
  }

  /** {@code 1|REASON|created|expires|source}, times as {@code seconds.nanos}; the source last, as it may hold '|'. */
  private static String encode(SuppressionEntry e) {
    return "1|" + e.reason().name() + "|" + time(e.createdAt()) + "|" + e.expiresAt().map(RedisSuppressionList::time)
        .orElse("") + "|" + e.source();
  }

  private static SuppressionEntry decode(AddressHash address, String field, byte[] value) {
    String[] parts = new String(value, StandardCharsets.UTF_8).split("\\|", 5);
    if (parts.length != 5 || !parts[0].equals("1")) {
      throw new MailException("the suppression list holds an entry this version cannot read (format "
          + parts[0] + ")");
    }
    Optional<String> list = field.equals(ALL) ? Optional.empty() : Optional.of(field);
    Optional<Instant> expires = parts[3].isEmpty() ? Optional.empty() : Optional.of(instant(parts[3]));
    return new SuppressionEntry(address, list, Reason.valueOf(parts[1]), parts[4], instant(parts[2]), expires);
  }

  private static String time(Instant t) {
    return t.getEpochSecond() + "." + String.format("%09d", t.getNano());
  }

  private static Instant instant(String s) {
    int dot = s.indexOf('.');
    return Instant.ofEpochSecond(Long.parseLong(s.substring(0, dot)), Long.parseLong(s.substring(dot + 1)));
  }

  private static long ceilMillis(Instant t) {
    long ms = t.toEpochMilli();
    return t.getNano() % 1_000_000 == 0 ? ms : ms + 1;
  }

  /** Configures a {@link RedisSuppressionList}. */
  public static final class Builder {
    private final RedisEndpoint endpoint;
    private final AddressHasher hasher;
    private String keyPrefix = "postline";
    private String name = "suppression";
    private Clock clock = Clock.systemUTC();
    private Duration operationTimeout = Duration.ofSeconds(10);

    private Builder(RedisEndpoint endpoint, AddressHasher hasher) {
      this.endpoint = endpoint;
      this.hasher = Objects.requireNonNull(hasher, "hasher");
    }

    /** What every key starts with: up to 100 letters, digits, {@code _ . : -} (no braces). Default {@code postline}. */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = KeyNames.keyPrefix(keyPrefix);
      return this;
    }

    /**
     * The list's name, its keys' hash tag: 1 to 100 letters, digits, {@code _ . -}. Every JVM
     * naming the same list (with the same prefix) shares it. Default {@code suppression}.
     */
    public Builder name(String name) {
      this.name = KeyNames.hashTag("list", name);
      return this;
    }

    /** The clock expiry and soft-bounce windows are measured by. Default the system clock (UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How long an operation retries while Redis is unreachable. Default 10 s. */
    public Builder operationTimeout(Duration operationTimeout) {
      this.operationTimeout = KeyNames.operationTimeout(operationTimeout);
      return this;
    }

    /**
     * Connects and builds the list.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     */
    public RedisSuppressionList build() {
      return new RedisSuppressionList(this);
    }
  }
}
