package io.postline.mail.bench;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The ceiling of scenario 4: the least a Redis queue with leases must do, as raw Lettuce calls of
 * one Lua script per state change, three per message. The data layout is the one
 * {@code RedisMailQueue} uses (a hash per message, a ready sorted set ordered by a sequence
 * number, a leased sorted set scored by lease expiry on Redis's clock), without what Postline
 * adds on top: priorities, schedules, the capacity check, fencing tokens, lapsed-lease recovery,
 * retried-take records, finished records, dead letters and Pub/Sub wake-ups.
 */
final class RedisCeiling {
  /** KEYS: ready, seq. ARGV: message key prefix, id, payload. */
  private static final String ENQUEUE = """
      local seq = redis.call('INCR', KEYS[2])
      redis.call('HSET', ARGV[1] .. ARGV[2], 'p', ARGV[3])
      redis.call('ZADD', KEYS[1], seq, ARGV[2])
      return seq
      """;
  /** KEYS: ready, leased. ARGV: message key prefix, lease ms. Returns {id, payload} or {}. */
  private static final String TAKE = """
      local popped = redis.call('ZPOPMIN', KEYS[1])
      if #popped == 0 then return {} end
      local id = popped[1]
      local t = redis.call('TIME')
      local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
      redis.call('ZADD', KEYS[2], expires, id)
      return {id, redis.call('HGET', ARGV[1] .. id, 'p')}
      """;
  /** KEYS: leased. ARGV: message key prefix, id. */
  private static final String ACK = """
      redis.call('ZREM', KEYS[1], ARGV[2])
      redis.call('DEL', ARGV[1] .. ARGV[2])
      return 1
      """;

  private final RedisCommands<String, byte[]> redis;
  private final String enqueueSha;
  private final String takeSha;
  private final String ackSha;
  private final String[] enqueueKeys;
  private final String[] takeKeys;
  private final String[] ackKeys;
  private final byte[] messagePrefix;
  private final byte[] leaseMs;

  /** A queue whose keys start with {@code base}, which should carry a hash tag. */
  RedisCeiling(RedisCommands<String, byte[]> redis, String base, long leaseMillis) {
    this.redis = redis;
    this.enqueueSha = redis.scriptLoad(ENQUEUE);
    this.takeSha = redis.scriptLoad(TAKE);
    this.ackSha = redis.scriptLoad(ACK);
    this.enqueueKeys = new String[] {base + ":ready", base + ":seq"};
    this.takeKeys = new String[] {base + ":ready", base + ":leased"};
    this.ackKeys = new String[] {base + ":leased"};
    this.messagePrefix = bytes(base + ":m:");
    this.leaseMs = bytes(Long.toString(leaseMillis));
  }

  void enqueue(String id, byte[] payload) {
    redis.<Long>evalsha(enqueueSha, ScriptOutputType.INTEGER, enqueueKeys, messagePrefix, bytes(id), payload);
  }

  /** Leases the oldest ready message; its id and payload, or null when none is ready. */
  @Nullable Taken take() {
    List<Object> r = redis.evalsha(takeSha, ScriptOutputType.MULTI, takeKeys, messagePrefix, leaseMs);
    if (r.isEmpty()) {
      return null;
    }
    return new Taken(new String((byte[]) r.get(0), StandardCharsets.UTF_8), (byte[]) r.get(1));
  }

  void ack(String id) {
    redis.<Long>evalsha(ackSha, ScriptOutputType.INTEGER, ackKeys, messagePrefix, bytes(id));
  }

  /** A leased message. */
  record Taken(String id, byte[] payload) {}

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
