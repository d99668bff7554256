package io.postline.mail.queue.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.postline.mail.FailureKind;
import io.postline.mail.MailException;
import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.Priority;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.queue.redis.internal.GroupCommit;
import io.postline.mail.queue.redis.internal.KeyNames;
import io.postline.mail.queue.redis.internal.LuaScript;
import io.postline.mail.queue.codec.internal.PayloadCipher;
import io.postline.mail.queue.codec.internal.Wakeup;
import io.postline.mail.queue.codec.internal.QueuedMailJson;
import io.postline.mail.queue.redis.internal.RedisEndpoint;
import io.postline.mail.queue.redis.internal.RedisLink;
import io.postline.mail.queue.redis.internal.Retry;
import io.postline.mail.queue.redis.internal.TakePermits;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link MailQueue} on Redis, shared by every JVM that names the same queue: any of
 * them can enqueue, all of them can work it. HIGH before NORMAL before LOW, first in first out
 * within one priority (in the order messages fell due), {@code sendAt} and retries honoured on
 * Redis's own clock, dead letters with kind, reason and attempts.
 *
 * <pre>{@code
 * RedisMailQueue queue = RedisMailQueue.builder("redis://localhost:6379")
 *     .name("mail")
 *     .encryption(io.postline.mail.queue.codec.EncryptionKeys.parse(System.getenv("POSTLINE_QUEUE_KEYS")))
 *     .build();
 * Mailer mailer = Mailer.builder().queue(queue).workers(4)...build();
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>At least once. {@link #take} leases a message with a fencing token that grows with every
 *       lease; {@link #ack}, {@link #reschedule} and {@link #deadLetter} succeed only with the
 *       current token, so a worker whose lease lapsed cannot complete or overwrite the message.
 *       A message whose lease lapsed returns to the queue (counted in {@link #stats()}); one
 *       whose lease lapsed {@link Builder#maxLeaseLapses maxLeaseLapses} times goes to the dead
 *       letters as a poison message. A worker that dies after its provider accepted a message
 *       but before {@link #ack} causes one duplicate delivery.</li>
 *   <li>Every state change is one Lua script; due times and lease expiries are Redis's own clock
 *       ({@code TIME}); a client's clock only turns an absolute due time into a delay.</li>
 *   <li>Under load, the single {@link #enqueue}s and {@link #ack}s of several threads share a
 *       script call: those that arrive while two are under way go together in the next, and each
 *       still gets its own answer or exception (an enqueue whose shared call failed is tried
 *       again alone, with its own retries).</li>
 *   <li>All keys of one queue share the hash tag {@code {name}}, so the queue works on a Redis
 *       Cluster (on one shard).</li>
 *   <li>Waiting workers are woken by a Pub/Sub notification and otherwise look again at most
 *       every {@link Builder#pollInterval pollInterval}; they do not poll busily, and they carry
 *       on by themselves after Redis restarts or a connection drops.</li>
 *   <li>Payloads are versioned JSON (no Java serialization), at most
 *       {@link Builder#maxPayloadBytes maxPayloadBytes}; an enqueue that cannot be stored throws.
 *       Enqueueing a message id that is already stored does nothing, so retrying an enqueue that
 *       failed on a timeout is safe.</li>
 *   <li>Memory is bounded: at most {@link Builder#capacity capacity} unfinished messages;
 *       finished records and dead letters are trimmed by age and count.</li>
 * </ul>
 *
 * <h2>Keys</h2>
 * With prefix {@code postline} and name {@code mail}: {@code postline:{mail}:ready:high},
 * {@code :ready:normal}, {@code :ready:low} (sorted sets by readiness order), {@code :delayed}
 * (by due time), {@code :leased} (by lease expiry), {@code :dead} (by dead-letter time),
 * {@code :done} (finished records of the previous version, trimmed away), {@code :fin} (finished
 * records: the id scored by its last lease token), {@code :m:<id>} (one hash per unfinished or
 * dead-lettered message), {@code :g:<share id>} (a group's shared body with its reference count,
 * with {@link Builder#sharedGroupBodies sharedGroupBodies} on), {@code :seq}, {@code :fence},
 * {@code :stats}, {@code :count} (unfinished
 * messages, the capacity check), {@code :upkeep} (when lapsed leases and due messages were last
 * looked for: at most every 5 ms), {@code :rq:<uuid>} (one per worker thread: its last take's
 * leases, so that a take retried after a lost reply gets them back); notifications on the Pub/Sub
 * channel
 * {@code postline:{mail}:wake}.
 *
 * <p>Thread-safe. One instance holds two connections (commands and Pub/Sub).
 */
public final class RedisMailQueue implements MailQueue {
  private static final Logger log = LoggerFactory.getLogger(RedisMailQueue.class);

  /** Messages per enqueue script call in {@link #enqueueBatch}. */
  static final int BATCH_CHUNK = 500;
  /** The most messages one take script call leases. */
  static final int MAX_TAKE = 100;
  /** The most single enqueues, and acks, that one script call carries for several threads. */
  static final int MAX_TOGETHER = 64;
  /** The most such calls under way at once, each for its own group (see {@code GroupCommit}). */
  static final int CALLS_TOGETHER = 2;
  /** The enqueue script's arguments per message. */
  private static final int MESSAGE_ARGS = 6;
  /** A grouped enqueue's answer: try again in a call of its own. */
  private static final Long ALONE = Long.MIN_VALUE;

  private static final byte[] NO = RedisLink.arg(0);
  private static final SecureRandom SHARE_IDS = new SecureRandom();
  private static final byte[] YES = RedisLink.arg(1);
  private static final LuaScript ENQUEUE = script("enqueue");
  private static final LuaScript TAKE = script("take");
  private static final LuaScript RENEW = script("renew");
  private static final LuaScript ACK = script("ack");
  private static final LuaScript RESCHEDULE = script("reschedule");
  private static final LuaScript RELEASE = script("release");
  private static final LuaScript DEAD_LETTER = script("dead-letter");
  private static final LuaScript COUNTS = script("counts");
  private static final LuaScript DEAD_LIST = script("dead-list");
  private static final LuaScript REQUEUE = script("requeue");
  private static final LuaScript PURGE = script("purge");

  private final String name;
  private final String base;
  /** The queue's key names, encoded once (the scripts' KEYS, in the order queue-lib.lua names them). */
  private final byte[][] keys;
  private final byte[] messagePrefix;
  private final String channel;
  private final byte[] channelArg;
  private final RedisEndpoint endpoint;
  private final RedisLink<byte[]> link;
  private final StatefulRedisPubSubConnection<String, String> pubsub;
  private final TakePermits permits = new TakePermits();
  private final PayloadCipher cipher;
  private final Clock clock;
  private final long maxPayloadBytes;
  private final boolean sharedGroupBodies;
  private final long capacity;
  private final int maxLeaseLapses;
  private final Duration deadLetterMaxAge;
  private final int deadLetterMaxCount;
  private final Duration finishedMaxAge;
  private final int finishedMaxCount;
  private final Duration pollInterval;
  private final Duration operationTimeout;
  private final AtomicBoolean unreachable = new AtomicBoolean();
  private final ThreadLocal<Taker> takers;
  private final GroupCommit<byte[][], Long> enqueues = new GroupCommit<>(MAX_TOGETHER, CALLS_TOGETHER,
      this::enqueueTogether);
  private final GroupCommit<Lease, Boolean> acks = new GroupCommit<>(MAX_TOGETHER, CALLS_TOGETHER, this::ackTogether);
  private final GroupCommit<TakeRequest, Taken> takes = new GroupCommit<>(MAX_TOGETHER, CALLS_TOGETHER,
      this::takeTogether);
  private final byte[] finishedAgeArg;
  private final byte[] finishedCountArg;
  private final byte[] capacityArg;
  private final byte[] leaseLapsesArg;
  private final byte[] deadAgeArg;
  private final byte[] deadCountArg;
  /** What the per-message operations are called in exceptions (built once, not per call). */
  private final String whatRenew;
  private final String whatAck;
  private final String whatReschedule;
  private final String whatRelease;
  private final String whatDeadLetter;
  private volatile boolean draining;
  private volatile boolean closed;

  private RedisMailQueue(Builder b) {
    this.name = b.name;
    this.base = b.keyPrefix.isEmpty() ? "{" + b.name + "}" : b.keyPrefix + ":{" + b.name + "}";
    this.keys = java.util.stream.Stream.of(":ready:high", ":ready:normal", ":ready:low", ":delayed", ":leased",
        ":dead", ":done", ":seq", ":fence", ":stats", ":count", ":fin", ":upkeep")
        .map(suffix -> RedisLink.arg(base + suffix)).toArray(byte[][]::new);
    this.messagePrefix = RedisLink.arg(base + ":m:");
    this.channel = base + ":wake";
    this.channelArg = RedisLink.arg(channel);
    this.endpoint = b.endpoint;
    this.cipher = b.keys == null ? PayloadCipher.NONE : b.keys.cipher();
    this.clock = b.clock;
    this.maxPayloadBytes = b.maxPayloadBytes;
    this.sharedGroupBodies = b.sharedGroupBodies;
    this.capacity = b.capacity;
    this.maxLeaseLapses = b.maxLeaseLapses;
    this.deadLetterMaxAge = b.deadLetterMaxAge;
    this.deadLetterMaxCount = b.deadLetterMaxCount;
    this.finishedMaxAge = b.finishedMaxAge;
    this.finishedMaxCount = b.finishedMaxCount;
    this.pollInterval = b.pollInterval;
    this.takers = ThreadLocal.withInitial(() -> {
      permits.addTaker();
      return new Taker(RedisLink.arg(base + ":rq:" + UUID.randomUUID()));
    });
    this.finishedAgeArg = RedisLink.arg(finishedMaxAge.toMillis());
    this.finishedCountArg = RedisLink.arg(finishedMaxCount);
    this.capacityArg = RedisLink.arg(capacity);
    this.leaseLapsesArg = RedisLink.arg(maxLeaseLapses);
    this.deadAgeArg = RedisLink.arg(deadLetterMaxAge.toMillis());
    this.deadCountArg = RedisLink.arg(deadLetterMaxCount);
    this.whatRenew = "renew a lease in queue " + name;
    this.whatAck = "ack in queue " + name;
    this.whatReschedule = "reschedule in queue " + name;
    this.whatRelease = "give leases back to queue " + name;
    this.whatDeadLetter = "dead-letter in queue " + name;
    this.operationTimeout = b.operationTimeout;
    RedisLink<byte[]> link = null;
    StatefulRedisPubSubConnection<String, String> pubsub = null;
    try {
      link = endpoint.connectBinary();
      pubsub = endpoint.connectPubSub();
      pubsub.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String message) {
          permits.release(Wakeup.count(message));
        }
      });
      pubsub.sync().subscribe(channel);
    } catch (RuntimeException e) {
      if (pubsub != null) {
        pubsub.close();
      }
      if (link != null) {
        link.close();
      }
      if (b.ownsEndpoint) {
        endpoint.close();
      }
      throw new RedisUnavailableException("cannot connect to Redis for queue " + name, e);
    }
    this.link = link;
    this.pubsub = pubsub;
  }

  /** A queue on the application's Redis client; closing the queue leaves the client open. */
  public static Builder builder(RedisClient client) {
    return new Builder(RedisEndpoint.of(client), false);
  }

  /** A queue on the application's Redis Cluster client; closing the queue leaves it open. */
  public static Builder builder(RedisClusterClient client) {
    return new Builder(RedisEndpoint.of(client), false);
  }

  /**
   * A queue with a Redis client of its own, shut down when the queue is closed.
   *
   * @param redisUri such as {@code redis://localhost:6379} or {@code rediss://:secret@host:6380/2}
   */
  public static Builder builder(String redisUri) {
    return new Builder(RedisEndpoint.create(redisUri), true);
  }

  /**
   * The Lettuce client options this module works best with, for a {@link RedisClient} you create:
   * auto-reconnect, commands rejected at once while disconnected (the module retries with
   * backoff), 10 s command timeout, 5 s connect timeout, TCP keep-alive.
   */
  public static io.lettuce.core.ClientOptions recommendedClientOptions() {
    return RedisEndpoint.recommendedOptions();
  }

  /**
   * The options for a {@link RedisClusterClient}: as {@link #recommendedClientOptions()}, but
   * commands wait while a node connection is being made, and the topology is refreshed every 30 s
   * and on MOVED, ASK and reconnects.
   */
  public static io.lettuce.core.cluster.ClusterClientOptions recommendedClusterClientOptions() {
    return RedisEndpoint.recommendedClusterOptions();
  }

  /** The queue's name (the hash tag of its keys). */
  public String name() {
    return name;
  }

  /** The common start of the queue's keys, such as {@code postline:{mail}}. */
  public String keyBase() {
    return base;
  }

  /**
   * Stores a message, unless its id is already held (ready, scheduled, leased, dead-lettered, or
   * finished within the {@link Builder#finishedRetention finished retention}): one atomic script.
   *
   * @throws QueueFullException if the queue is at its capacity; nothing was stored
   * @throws PayloadTooLargeException if the encoded message is over the limit; nothing was stored
   * @throws MailOutcomeUnknownException if the script may have run but its reply never came (the
   *     connection dropped, the command timed out, the thread was interrupted while waiting);
   *     enqueuing the same message again is safe and stores nothing new
   * @throws RedisUnavailableException if Redis could not be reached for the operation timeout and
   *     no try reached it; nothing was stored
   * @throws MailException if Redis refused the script (an error reply such as {@code OOM});
   *     nothing was stored
   */
  @Override
  public void enqueue(QueuedMail mail) {
    Objects.requireNonNull(mail, "mail");
    checkOpen();
    List<QueuedMail> one = List.of(mail);
    byte[][] args = encode(one, null);
    long result;
    try {
      result = enqueues.run(args);
    } catch (RuntimeException e) {
      // The grouped call failed (Redis unreachable, an error reply, a lost reply): this enqueue
      // tries again alone, with its retries and an outcome of its own. Storing is idempotent by id.
      result = ALONE;
    }
    if (result == ALONE) {
      store(one, args, () -> link.eval(ENQUEUE, ScriptOutputType.INTEGER, keys, args));
      return;
    }
    reachable();
    stored(one, result);
  }

  /**
   * One enqueue script call for the single enqueues of several threads that {@link #enqueues}
   * grouped: the messages of all, each stored unless its id is. Answers, per enqueue, what the
   * script answered for a call of its own; or {@link #ALONE} for each if the group was over the
   * capacity together (the script stores all of a call or none), so that each enqueue then tries
   * alone and only those that do not fit are refused.
   */
  private CompletionStage<List<Long>> enqueueTogether(List<byte[][]> singles) {
    byte[][] args;
    if (singles.size() == 1) {
      args = singles.get(0);
    } else {
      args = new byte[4 + MESSAGE_ARGS * singles.size()][];
      System.arraycopy(singles.get(0), 0, args, 0, 4);
      int i = 4;
      for (byte[][] single : singles) {
        System.arraycopy(single, 4, args, i, MESSAGE_ARGS);
        i += MESSAGE_ARGS;
      }
    }
    int n = singles.size();
    return link.<Long>evalShaAsync(ENQUEUE, ScriptOutputType.INTEGER, keys, args).thenApply(result -> {
      Long each = n == 1 ? result : result < 0 ? ALONE : Long.valueOf(0);
      return Collections.nCopies(n, each);
    });
  }

  /**
   * Stores messages in chunks of up to {@value #BATCH_CHUNK}, one script call per chunk; each
   * chunk is stored whole or not at all (its capacity is checked for all its new messages). A
   * failing chunk throws as {@link #enqueue} does; the chunks before it are stored, the ones
   * after it are not tried, and enqueuing the whole batch again is safe. The next chunk is
   * encoded while Redis stores the previous one; it is sent only once that one has succeeded.
   *
   * <p>With {@link Builder#sharedGroupBodies(boolean) sharedGroupBodies} on, what consecutive
   * messages share from subject to sendAt (a group email's copies) is stored once per chunk of
   * the group rather than in every message.
   */
  @Override
  public void enqueueBatch(List<QueuedMail> mails) {
    Objects.requireNonNull(mails, "mails");
    checkOpen();
    QueuedMailJson.GroupEncoder group = sharedGroupBodies && mails.size() > 1
        ? new QueuedMailJson.GroupEncoder(RedisMailQueue::newShareId) : null;
    List<QueuedMail> sent = null;
    RedisFuture<Long> reply = null;
    byte[][] sentArgs = null;
    for (int i = 0; i < mails.size(); i += BATCH_CHUNK) {
      List<QueuedMail> chunk = mails.subList(i, Math.min(mails.size(), i + BATCH_CHUNK));
      byte[][] args;
      try {
        args = encode(chunk, group);
      } catch (RuntimeException e) {
        if (sent != null) {
          finish(sent, sentArgs, reply); // the chunks before a failing one are stored
        }
        throw e;
      }
      if (sent != null) {
        finish(sent, sentArgs, reply);
      }
      sent = chunk;
      sentArgs = args;
      reply = link.evalAsync(ENQUEUE, ScriptOutputType.INTEGER, keys, args);
    }
    if (sent != null) {
      finish(sent, sentArgs, reply);
    }
  }

  /** Waits for a chunk's first try, sent asynchronously; tries again as {@link #enqueue} would. */
  private void finish(List<QueuedMail> chunk, byte[][] args, RedisFuture<Long> reply) {
    boolean[] first = {true};
    store(chunk, args, () -> {
      if (first[0]) {
        first[0] = false;
        return link.await(reply);
      }
      return link.eval(ENQUEUE, ScriptOutputType.INTEGER, keys, args);
    });
  }

  /**
   * The enqueue script's arguments for a chunk: payloads encoded and sealed. Without {@code group},
   * every payload is whole (version 1; a group's shared body is encoded once per chunk and copied
   * into each); with it, a group's shared body is stored once, sealed with its share id, and its
   * copies' payloads (version 2) name it.
   */
  private byte[][] encode(List<QueuedMail> chunk, QueuedMailJson.@Nullable GroupEncoder group) {
    for (QueuedMail mail : chunk) {
      Objects.requireNonNull(mail, "mail");
    }
    List<byte[]> encoded;
    int[] shareOf = null;
    List<QueuedMailJson.Share> shares = List.of();
    if (group != null) {
      QueuedMailJson.Chunk c = group.encode(chunk);
      encoded = c.payloads();
      shareOf = c.shareOf();
      shares = c.shares();
    } else {
      // The copies of a group email share their body: encoded once per chunk.
      encoded = chunk.size() == 1 ? List.of(QueuedMailJson.encode(chunk.get(0))) : QueuedMailJson.encodeAll(chunk);
    }
    byte[][] args = new byte[4 + 2 * shares.size() + 6 * chunk.size()][];
    args[0] = messagePrefix;
    args[1] = channelArg;
    args[2] = capacityArg;
    args[3] = shares.isEmpty() ? NO : RedisLink.arg(shares.size());
    int i = 4;
    int[] shareBytes = new int[shares.size()];
    for (int s = 0; s < shares.size(); s++) {
      QueuedMailJson.Share share = shares.get(s);
      byte[] sealed = cipher.seal(share.json(), QueuedMailJson.shareContext(share.id()));
      shareBytes[s] = sealed.length;
      args[i++] = RedisLink.arg(share.id());
      args[i++] = sealed;
    }
    Instant now = clock.instant();
    for (int m = 0; m < chunk.size(); m++) {
      QueuedMail mail = chunk.get(m);
      byte[] payload = cipher.seal(encoded.get(m), mail.id());
      int share = shareOf == null ? -1 : shareOf[m];
      // A message whose body is shared is as large as its payload and its share together.
      long size = payload.length + (share < 0 ? 0L : shareBytes[share]);
      if (size > maxPayloadBytes) {
        throw new PayloadTooLargeException(size, maxPayloadBytes);
      }
      args[i++] = RedisLink.arg(mail.id());
      args[i++] = payload;
      args[i++] = RedisLink.arg(mail.priority().ordinal());
      args[i++] = RedisLink.arg(Math.max(0, Duration.between(now, mail.dueAt()).toMillis()));
      args[i++] = RedisLink.arg(mail.attempts());
      args[i++] = share < 0 ? NO : RedisLink.arg(share + 1);
    }
    return args;
  }

  /** A new share id: 128 random bits, base64url (22 characters). */
  private static String newShareId() {
    byte[] bits = new byte[16];
    SHARE_IDS.nextBytes(bits);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
  }

  /** Runs a chunk's enqueue (tries: {@code op}) until it is stored, or throws what the outcome was. */
  private void store(List<QueuedMail> chunk, byte[][] args, Supplier<Long> op) {
    long result = Retry.run(describe(chunk), operationTimeout, op, this::unreachable, giveUp(chunk));
    reachable();
    stored(chunk, result);
  }

  private String describe(List<QueuedMail> chunk) {
    String first = chunk.get(0).id();
    return chunk.size() == 1 ? "enqueue of message " + first + " to queue " + name
        : "enqueue of " + chunk.size() + " messages (the first " + first + ") to queue " + name;
  }

  /** The exception that ends a failed enqueue of the chunk. */
  private Retry.GiveUp giveUp(List<QueuedMail> chunk) {
    String first = chunk.get(0).id();
    return (message, cause, mayHaveRun, transientFailure) -> {
      if (mayHaveRun) {
        // Redis may have run the script: say so, never "nothing was stored".
        return new MailOutcomeUnknownException(first, message + "; the outcome is unknown: "
            + (chunk.size() == 1 ? "the message" : "the chunk") + " may or may not be stored, and"
            + " enqueuing it again is safe", cause);
      }
      if (transientFailure) {
        return new RedisUnavailableException(message + "; nothing was stored", cause);
      }
      return new MailException(message + "; nothing was stored", cause);
    };
  }

  /** Throws if the enqueue script's answer for the chunk says the queue was full. */
  private void stored(List<QueuedMail> chunk, long result) {
    if (result < 0) {
      throw new QueueFullException("the Redis queue " + name + " cannot take " + chunk.size()
          + " more message(s) within its capacity of " + capacity + " unfinished messages; nothing was queued");
    }
    if (result < chunk.size()) {
      log.debug("queue {}: {} of {} message(s) already stored, left as they were", name, chunk.size() - result,
          chunk.size());
    }
  }

  @Override
  public Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException {
    List<Lease> leases = take(1, wait, leaseFor);
    return leases.isEmpty() ? Optional.empty() : Optional.of(leases.get(0));
  }

  /**
   * Leases up to {@code max} due messages with one script call (the highest priority first, the
   * oldest first within one), waiting up to {@code wait} only while none is due. Takes of other
   * threads asked for while take calls are under way share the next call (each gets its own
   * messages).
   */
  @Override
  public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    Objects.requireNonNull(wait, "wait");
    checkLease(leaseFor);
    if (wait.isNegative()) {
      throw new IllegalArgumentException("wait must not be negative, was " + wait);
    }
    checkOpen();
    long deadline = System.nanoTime() + wait.toNanos();
    long pause = 0;
    // Set once a try failed in a way that may have run the script: only then does the next try
    // look up the leases a lost reply carried.
    byte[] retry = NO;
    // Repeated with every try of this take: if a try leased messages but its reply was lost,
    // the next try gets those leases back. The thread's request key holds the last take's leases
    // and is overwritten by its next take (one key per worker thread, not per take).
    Taker taker = takers.get();
    byte[] request = RedisLink.arg(++taker.takes);
    byte[] requestKey = taker.requestKey;
    byte[] leaseMs = RedisLink.arg(leaseFor.toMillis());
    byte[] maxArg = RedisLink.arg(Math.min(max, MAX_TAKE));
    if (taker.quiet) {
      // This thread's last take left nothing ready: wait for a notification not yet used by
      // another taker (or for what was next due) before asking Redis again, instead of asking it
      // for nothing after every message.
      taker.quiet = false;
      long nanos = Math.min(Math.min(deadline, taker.quietUntil) - System.nanoTime(), pollInterval.toNanos());
      if (nanos > 0 && !draining) {
        permits.acquire(nanos);
      }
    }
    while (!draining && !closed) {
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      long nextMs;
      try {
        // Goes to Redis together with the takes of other threads asked for while calls are under
        // way (each with its own request key and id, so that each try after a lost reply finds
        // its own leases).
        Taken t = takes.run(new TakeRequest(requestKey, request, maxArg, leaseMs, retry));
        reachable();
        pause = 0;
        reportRecovery(t.recovered(), t.poisoned());
        nextMs = t.waitMs();
        if (t.count() > 0) {
          // This take served the notifications of the messages it took beyond the first.
          permits.consume(t.count() - 1);
          if (t.more()) {
            // More is ready than this take wanted: make sure another idle worker looks.
            permits.offerOne();
          } else {
            taker.quiet(nextMs);
          }
          List<Lease> leases = leases(t);
          if (!leases.isEmpty()) {
            return leases;
          }
          taker.quiet = false;
          continue;
        }
      } catch (RuntimeException e) {
        if (!RedisLink.isTransient(e)) {
          throw e;
        }
        unreachable(e);
        retry = YES;
        pause = pause == 0 ? TimeUnit.MILLISECONDS.toNanos(50) : Math.min(pause * 2, pollInterval.toNanos());
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return List.of();
        }
        permits.pause(Math.min(left, pause));
        continue;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return List.of();
      }
      long nanos = Math.min(left, pollInterval.toNanos());
      if (nextMs >= 0) {
        nanos = Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(nextMs + 1));
      }
      permits.acquire(nanos);
    }
    return List.of();
  }

  @Override
  public Optional<Lease> renew(Lease lease, Duration leaseFor) {
    Objects.requireNonNull(lease, "lease");
    checkLease(leaseFor);
    long expires = call(whatRenew, () -> link.<Long>eval(RENEW,
        ScriptOutputType.INTEGER, keys, messagePrefix, channelArg, RedisLink.arg(lease.id()),
        RedisLink.arg(lease.token()), RedisLink.arg(leaseFor.toMillis())));
    if (expires < 0) {
      return Optional.empty();
    }
    return Optional.of(new Lease(lease.mail(), lease.token(), Instant.ofEpochMilli(expires)));
  }

  @Override
  public boolean ack(Lease lease) {
    Objects.requireNonNull(lease, "lease");
    checkOpen();
    boolean acked;
    try {
      acked = acks.run(lease);
    } catch (RuntimeException e) {
      // The grouped call failed: this ack tries again alone, with its retries (acks are
      // idempotent by token, so one that ran before its reply was lost answers true again).
      acked = call(whatAck, () -> ackScript(List.of(lease))).get(0);
    }
    if (!acked) {
      log.warn("queue {}: ack of message {} with token {} refused: its lease is no longer current",
          name, lease.id(), lease.token());
    }
    return acked;
  }

  /** One ack script call for the acks of several threads that {@link #acks} grouped. */
  private CompletionStage<List<Boolean>> ackTogether(List<Lease> leases) {
    return link.<List<Object>>evalShaAsync(ACK, ScriptOutputType.MULTI, keys, ackArgs(leases))
        .thenApply(RedisMailQueue::acked);
  }

  private List<Boolean> ackScript(List<Lease> leases) {
    return acked(link.eval(ACK, ScriptOutputType.MULTI, keys, ackArgs(leases)));
  }

  private byte[][] ackArgs(List<Lease> leases) {
    byte[][] args = arguments(2 * leases.size(), messagePrefix, channelArg, finishedAgeArg, finishedCountArg);
    int i = 4;
    for (Lease lease : leases) {
      args[i++] = RedisLink.arg(lease.id());
      args[i++] = RedisLink.arg(lease.token());
    }
    return args;
  }

  /** A script's arguments: {@code first}, then room for {@code more}. */
  private static byte[][] arguments(int more, byte[]... first) {
    return Arrays.copyOf(first, first.length + more);
  }

  private static List<Boolean> acked(List<Object> reply) {
    List<Boolean> answers = new ArrayList<>(reply.size());
    for (Object one : reply) {
      answers.add(RedisLink.number(one) == 1);
    }
    return answers;
  }

  @Override
  public boolean reschedule(Lease lease, Instant dueAt, int attempts) {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(dueAt, "dueAt");
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must not be negative, was " + attempts);
    }
    long delay = Math.max(0, Duration.between(clock.instant(), dueAt).toMillis());
    long r = call(whatReschedule, () -> link.<Long>eval(RESCHEDULE, ScriptOutputType.INTEGER,
        keys, messagePrefix, channelArg, RedisLink.arg(lease.id()), RedisLink.arg(lease.token()),
        RedisLink.arg(delay), RedisLink.arg(attempts)));
    if (r != 1) {
      log.warn("queue {}: reschedule of message {} with token {} refused: its lease is no longer current",
          name, lease.id(), lease.token());
    }
    return r == 1;
  }

  /**
   * Gives back leases taken but not worked, in one script call per {@value #MAX_TAKE}: each
   * message whose lease is current is ready again at once, ahead of the messages of its priority
   * that are ready now (so a worker that stops before reaching what it took leaves the order as it
   * was), its attempts unchanged and no lease lapse counted; one Pub/Sub wake-up tells the
   * waiting workers. Safe to retry after a lost reply.
   *
   * @return how many were given back
   */
  @Override
  public int release(List<Lease> leases) {
    Objects.requireNonNull(leases, "leases");
    int released = 0;
    // Each call puts its messages in front of what is ready, so the last chunk goes first.
    int chunks = (leases.size() + MAX_TAKE - 1) / MAX_TAKE;
    for (int c = chunks - 1; c >= 0; c--) {
      List<Lease> chunk = leases.subList(c * MAX_TAKE, Math.min(leases.size(), (c + 1) * MAX_TAKE));
      byte[][] args = new byte[2 + 2 * chunk.size()][];
      args[0] = messagePrefix;
      args[1] = channelArg;
      int i = 2;
      for (Lease lease : chunk) {
        Objects.requireNonNull(lease, "lease");
        args[i++] = RedisLink.arg(lease.id());
        args[i++] = RedisLink.arg(lease.token());
      }
      released += (int) (long) call(whatRelease, () -> link.<Long>eval(RELEASE, ScriptOutputType.INTEGER, keys,
          args));
    }
    return released; // the script's notification wakes the takers, of this JVM too
  }

  @Override
  public boolean deadLetter(Lease lease, int attempts, FailureKind kind, String reason) {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
    return deadLetter(lease.id(), lease.token(), attempts, kind, reason);
  }

  private boolean deadLetter(String id, long token, int attempts, FailureKind kind, String reason) {
    byte[] sealedReason = cipher.seal(reason.getBytes(StandardCharsets.UTF_8), id + ":reason");
    long r = call(whatDeadLetter, () -> link.<Long>eval(DEAD_LETTER, ScriptOutputType.INTEGER,
        keys, messagePrefix, channelArg, RedisLink.arg(id), RedisLink.arg(token), RedisLink.arg(attempts),
        RedisLink.arg(kind.name()), sealedReason, RedisLink.arg(deadLetterMaxAge.toMillis()),
        RedisLink.arg(deadLetterMaxCount)));
    if (r != 1) {
      log.warn("queue {}: dead-lettering message {} with token {} refused: its lease is no longer current",
          name, id, token);
    }
    return r == 1;
  }

  @Override
  public QueueCounts counts() {
    List<Object> r = call("count queue " + name, () -> link.<List<Object>>eval(COUNTS, ScriptOutputType.MULTI,
        keys, messagePrefix, channelArg, RedisLink.arg(maxLeaseLapses), RedisLink.arg(deadLetterMaxAge.toMillis()),
        RedisLink.arg(deadLetterMaxCount), RedisLink.arg(finishedMaxAge.toMillis()), RedisLink.arg(finishedMaxCount)));
    Map<Priority, Long> ready = new EnumMap<>(Priority.class);
    ready.put(Priority.HIGH, RedisLink.number(r.get(0)));
    ready.put(Priority.NORMAL, RedisLink.number(r.get(1)));
    ready.put(Priority.LOW, RedisLink.number(r.get(2)));
    return new QueueCounts(ready, RedisLink.number(r.get(3)), RedisLink.number(r.get(4)), RedisLink.number(r.get(5)));
  }

  /**
   * What the queue did on its own, since it was created in Redis (shared by every JVM).
   *
   * @return the counters
   */
  public Stats stats() {
    List<Object> r = call("count queue " + name, () -> link.<List<Object>>eval(COUNTS, ScriptOutputType.MULTI,
        keys, messagePrefix, channelArg, RedisLink.arg(maxLeaseLapses), RedisLink.arg(deadLetterMaxAge.toMillis()),
        RedisLink.arg(deadLetterMaxCount), RedisLink.arg(finishedMaxAge.toMillis()), RedisLink.arg(finishedMaxCount)));
    return new Stats(RedisLink.number(r.get(6)), RedisLink.number(r.get(7)), RedisLink.number(r.get(8)));
  }

  @Override
  public List<DeadLetter> deadLetters(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    List<Object> r = call("list dead letters of queue " + name, () -> link.<List<Object>>eval(DEAD_LIST,
        ScriptOutputType.MULTI, keys, messagePrefix, channelArg, RedisLink.arg(limit)));
    List<DeadLetter> out = new ArrayList<>(r.size() / 8);
    for (int i = 0; i + 7 < r.size(); i += 8) {
      String id = RedisLink.text(r.get(i));
      try {
        byte[] share = (byte[]) r.get(i + 7);
        QueuedMail mail = decode(id, (byte[]) r.get(i + 1), share.length == 0 ? null : share,
            RedisLink.number(r.get(i + 2)), RedisLink.number(r.get(i + 3)));
        FailureKind kind = FailureKind.valueOf(RedisLink.text(r.get(i + 4)));
        String reason = new String(cipher.open((byte[]) r.get(i + 5), id + ":reason"), StandardCharsets.UTF_8);
        out.add(new DeadLetter(mail, kind, reason, Instant.ofEpochMilli(RedisLink.number(r.get(i + 6)))));
      } catch (RuntimeException e) {
        log.warn("queue {}: dead letter {} cannot be read and is left out of the list ({}); purge it by id",
            name, id, e.getMessage());
      }
    }
    return out;
  }

  @Override
  public boolean requeueDeadLetter(String id) {
    Objects.requireNonNull(id, "id");
    return call("requeue a dead letter in queue " + name, () -> link.<Long>eval(REQUEUE, ScriptOutputType.INTEGER,
        keys, messagePrefix, channelArg, RedisLink.arg(id))) == 1;
  }

  @Override
  public boolean purgeDeadLetter(String id) {
    Objects.requireNonNull(id, "id");
    return call("purge a dead letter in queue " + name, () -> link.<Long>eval(PURGE, ScriptOutputType.INTEGER,
        keys, messagePrefix, channelArg, RedisLink.arg(id))) == 1;
  }

  @Override
  public long purgeDeadLetters() {
    long total = 0;
    for (int round = 0; round < 1_000_000; round++) {
      long n = call("purge dead letters in queue " + name, () -> link.<Long>eval(PURGE, ScriptOutputType.INTEGER,
          keys, messagePrefix, channelArg, RedisLink.arg("")));
      total += n;
      if (n == 0) {
        break;
      }
    }
    return total;
  }

  /**
   * Stops handing out messages in this JVM: {@link #take} returns empty from now on. Returns an
   * empty list: every message stays stored in Redis for the other workers (or the next start).
   * Leases still out can be completed until the queue is closed.
   */
  @Override
  public List<QueuedMail> drain() {
    draining = true;
    permits.releaseAll();
    return List.of();
  }

  /** Closes the connections, and the Redis client if the queue created it. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    draining = true;
    permits.releaseAll();
    try {
      pubsub.close();
    } finally {
      try {
        link.close();
      } finally {
        endpoint.close();
      }
    }
  }

  /**
   * Counters of what the queue did by itself, shared by every JVM working it.
   *
   * @param recoveredLeases leases that lapsed (a worker died or hung) and whose messages were
   *     returned to the queue or, as poison messages, dead-lettered
   * @param poisonMessages messages dead-lettered because their lease lapsed too often
   * @param trimmedDeadLetters dead letters deleted for being past the retention age or count
   */
  public record Stats(long recoveredLeases, long poisonMessages, long trimmedDeadLetters) {}

  /**
   * One worker thread's take state: its request key (the last take's leases, kept for a retry
   * after a lost reply) and how many takes it made, which names each take (unique per key, and
   * the key is new with every thread and queue instance).
   */
  private static final class Taker {
    final byte[] requestKey;
    long takes;
    /**
     * Whether the last take left nothing ready: the next take waits for a notification first, at
     * most until {@link #quietUntil} (System.nanoTime), when something scheduled or leased may
     * fall due.
     */
    boolean quiet;
    long quietUntil;

    Taker(byte[] requestKey) {
      this.requestKey = requestKey;
    }

    void quiet(long nextDueMs) {
      quiet = true;
      quietUntil = System.nanoTime() + (nextDueMs < 0 ? Long.MAX_VALUE / 4 : TimeUnit.MILLISECONDS.toNanos(nextDueMs + 1));
    }
  }

  /** One thread's take, carried by a take script call, maybe with those of other threads. */
  private record TakeRequest(byte[] requestKey, byte[] request, byte[] max, byte[] leaseMs, byte[] retry) {}

  /**
   * One take's answer: the lapsed leases the call recovered (in the first take's answer only), how
   * many it leased, whether more is ready, how long until something falls due (ms, -1: nothing);
   * its leases are in {@code reply} from {@code at}, the reply's shared group bodies from
   * {@code sharesAt}.
   */
  private record Taken(long recovered, long poisoned, int count, boolean more, long waitMs, List<Object> reply,
      int at, int sharesAt) {}

  /** One take script call for the takes of several threads that {@link #takes} grouped. */
  private CompletionStage<List<Taken>> takeTogether(List<TakeRequest> requests) {
    byte[][] args = arguments(5 * requests.size(), messagePrefix, channelArg, leaseLapsesArg, deadAgeArg,
        deadCountArg, finishedAgeArg, finishedCountArg);
    int i = 7;
    for (TakeRequest r : requests) {
      args[i++] = r.requestKey();
      args[i++] = r.request();
      args[i++] = r.max();
      args[i++] = r.leaseMs();
      args[i++] = r.retry();
    }
    return link.<List<Object>>evalShaAsync(TAKE, ScriptOutputType.MULTI, keys, args)
        .thenApply(reply -> split(reply, requests.size()));
  }

  /** A take script's reply, cut into one answer per take it carried. */
  private static List<Taken> split(List<Object> reply, int takes) {
    long recovered = RedisLink.number(reply.get(0));
    long poisoned = RedisLink.number(reply.get(1));
    int[] heads = new int[takes];
    int at = 2;
    for (int i = 0; i < takes; i++) {
      heads[i] = at;
      at += 3 + 7 * (int) RedisLink.number(reply.get(at));
    }
    List<Taken> out = new ArrayList<>(takes);
    for (int i = 0; i < takes; i++) {
      int h = heads[i];
      out.add(new Taken(i == 0 ? recovered : 0, i == 0 ? poisoned : 0, (int) RedisLink.number(reply.get(h)),
          RedisLink.number(reply.get(h + 1)) == 1, RedisLink.number(reply.get(h + 2)), reply, h + 3, at));
    }
    return out;
  }

  /** The leases of a take's answer; a message that cannot be read goes to the dead letters. */
  private List<Lease> leases(Taken t) {
    List<Object> r = t.reply();
    int taken = t.count();
    int shares = t.sharesAt(); // the reply's group shared bodies follow the last take's leases
    List<Lease> out = new ArrayList<>(taken);
    for (int i = t.at(), n = 0; n < taken; n++, i += 7) {
      String id = RedisLink.text(r.get(i));
      long token = RedisLink.number(r.get(i + 1));
      Instant expires = Instant.ofEpochMilli(RedisLink.number(r.get(i + 2)));
      try {
        int share = (int) RedisLink.number(r.get(i + 6));
        QueuedMail mail = decode(id, (byte[]) r.get(i + 3), share == 0 ? null : (byte[]) r.get(shares + share - 1),
            RedisLink.number(r.get(i + 4)), RedisLink.number(r.get(i + 5)));
        out.add(new Lease(mail, token, expires));
      } catch (RuntimeException e) {
        log.warn("queue {}: message {} cannot be read ({}); moving it to the dead letters", name, id, e.getMessage());
        deadLetter(id, token, 0, FailureKind.PERMANENT, "stored message cannot be read: " + e.getMessage());
      }
    }
    return out;
  }

  private QueuedMail decode(String id, byte[] stored, byte @Nullable [] share, long attempts, long dueMs) {
    return QueuedMailJson.open(stored, share, cipher, id, (int) attempts, Instant.ofEpochMilli(dueMs),
        clock.instant());
  }

  private void reportRecovery(long rec, long poi) {
    if (rec > 0) {
      log.warn("queue {}: {} lapsed lease(s) recovered (their workers died or hung); {} returned to the queue,"
          + " {} dead-lettered as poison messages", name, rec, rec - poi, poi);
    }
  }

  private <T> T call(String what, Supplier<T> op) {
    checkOpen();
    T result = Retry.run(what, operationTimeout, op, this::unreachable);
    reachable();
    return result;
  }

  private void unreachable(RuntimeException e) {
    if (unreachable.compareAndSet(false, true)) {
      log.warn("queue {}: Redis is unreachable ({}); retrying", name, e.toString());
    }
  }

  private void reachable() {
    if (unreachable.compareAndSet(true, false)) {
      log.info("queue {}: Redis is reachable again", name);
      permits.releaseAll();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("queue " + name + " is closed");
    }
  }

  private static void checkLease(Duration leaseFor) {
    Objects.requireNonNull(leaseFor, "leaseFor");
    if (leaseFor.toMillis() < 1) {
      throw new IllegalArgumentException("leaseFor must be at least 1 ms, was " + leaseFor);
    }
  }

  private static LuaScript script(String name) {
    return LuaScript.resource(name, "queue-lib.lua", name + ".lua");
  }

  @Override
  public String toString() {
    return "RedisMailQueue[" + base + (cipher.encrypts() ? ", encrypted" : "")
        + (sharedGroupBodies ? ", shared group bodies" : "") + "]";
  }

  /** Configures a {@link RedisMailQueue}. Every setter checks its value at once. */
  public static final class Builder {
    private final RedisEndpoint endpoint;
    private final boolean ownsEndpoint;
    private String name = "mail";
    private String keyPrefix = "postline";
    private long maxPayloadBytes = 10L * 1024 * 1024;
    private boolean sharedGroupBodies;
    private long capacity = 1_000_000;
    private int maxLeaseLapses = 3;
    private Duration deadLetterMaxAge = Duration.ofDays(30);
    private int deadLetterMaxCount = 100_000;
    private Duration finishedMaxAge = Duration.ofHours(1);
    private int finishedMaxCount = 10_000;
    private Duration pollInterval = Duration.ofSeconds(2);
    private Duration operationTimeout = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private io.postline.mail.queue.codec.@Nullable EncryptionKeys keys;

    private Builder(RedisEndpoint endpoint, boolean ownsEndpoint) {
      this.endpoint = endpoint;
      this.ownsEndpoint = ownsEndpoint;
    }

    /**
     * The queue's name, its keys' hash tag: 1 to 100 letters, digits, {@code _ . -}. Every JVM
     * naming the same queue (with the same prefix) shares it. Default {@code mail}.
     */
    public Builder name(String name) {
      this.name = KeyNames.hashTag("queue", name);
      return this;
    }

    /**
     * What every key starts with: up to 100 letters, digits, {@code _ . : -} (no braces); empty
     * for none. Default {@code postline}.
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = KeyNames.keyPrefix(keyPrefix);
      return this;
    }

    /**
     * The largest stored message, in bytes, after JSON encoding (attachments grow by a third in
     * base64) and encryption: 1 KiB to 256 MiB, default 10 MiB. A larger message makes
     * {@link RedisMailQueue#enqueue} throw {@link PayloadTooLargeException}.
     */
    public Builder maxPayloadBytes(long maxPayloadBytes) {
      if (maxPayloadBytes < 1024 || maxPayloadBytes > 256L * 1024 * 1024) {
        throw new IllegalArgumentException("maxPayloadBytes must be from 1 KiB to 256 MiB, was " + maxPayloadBytes);
      }
      this.maxPayloadBytes = maxPayloadBytes;
      return this;
    }

    /**
     * Whether {@link RedisMailQueue#enqueueBatch} stores what the copies of a group email share
     * (subject, text, HTML, attachments, headers, tags, metadata, priority, sendAt) once, in a
     * shared body that each copy's payload names, instead of in every copy: a group of 10,000
     * then takes Redis a few hundred bytes per message instead of the whole email each, and is
     * stored several times as fast. Takes still hand out whole messages; single enqueues and
     * batches of different emails are stored as before. A shared body lives while a message
     * names it (through retries, lapsed leases, dead letters) and is deleted with the last one;
     * with {@link #encryption encryption} it is encrypted too, bound to its own id.
     *
     * <p>Such copies are written in payload version 2, which this release reads and the
     * previous one does not (it would move them to the dead letters as unreadable, and its
     * scripts would leave their shared bodies behind). <b>Turn it on once every JVM working the
     * queue runs a version that reads it</b> (this one or later). Default off.
     */
    public Builder sharedGroupBodies(boolean sharedGroupBodies) {
      this.sharedGroupBodies = sharedGroupBodies;
      return this;
    }

    /**
     * The most unfinished messages (ready, scheduled and leased) the queue holds; an enqueue
     * beyond throws {@link QueueFullException}. At least 1, default 1,000,000.
     */
    public Builder capacity(long capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
      }
      this.capacity = capacity;
      return this;
    }

    /**
     * How many times a message's lease may lapse before it is dead-lettered as a poison message
     * (one that kills or hangs its worker). At least 1, default 3.
     */
    public Builder maxLeaseLapses(int maxLeaseLapses) {
      if (maxLeaseLapses < 1) {
        throw new IllegalArgumentException("maxLeaseLapses must be at least 1, was " + maxLeaseLapses);
      }
      this.maxLeaseLapses = maxLeaseLapses;
      return this;
    }

    /**
     * How long and how many dead letters are kept; older ones and the oldest beyond the count
     * are deleted (counted in {@link Stats#trimmedDeadLetters()}, logged). Default 30 days and
     * 100,000.
     */
    public Builder deadLetterRetention(Duration maxAge, int maxCount) {
      this.deadLetterMaxAge = positive(maxAge, "dead-letter max age");
      if (maxCount < 0) {
        throw new IllegalArgumentException("dead-letter max count must not be negative, was " + maxCount);
      }
      this.deadLetterMaxCount = maxCount;
      return this;
    }

    /**
     * How long and how many records of finished messages are kept (only the id and its lease
     * token, about 100 bytes each; they make a repeated enqueue of the same id do nothing and
     * answer a repeated ack). A count of 0 keeps none: an id is then forgotten as soon as it is
     * acked. Default 1 hour and 10,000.
     */
    public Builder finishedRetention(Duration maxAge, int maxCount) {
      this.finishedMaxAge = positive(maxAge, "finished max age");
      if (maxCount < 0) {
        throw new IllegalArgumentException("finished max count must not be negative, was " + maxCount);
      }
      this.finishedMaxCount = maxCount;
      return this;
    }

    /**
     * The longest a waiting worker goes without looking at the queue when no notification
     * arrives (notifications can be lost while a connection is down). Default 2 s.
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = positive(pollInterval, "pollInterval");
      return this;
    }

    /**
     * How long enqueue, ack, renew, reschedule and the dead-letter operations keep retrying while
     * Redis is unreachable before they throw {@link RedisUnavailableException}. Default 30 s.
     */
    public Builder operationTimeout(Duration operationTimeout) {
      this.operationTimeout = positive(operationTimeout, "operationTimeout");
      return this;
    }

    /**
     * Encrypts stored messages and dead-letter reasons with AES-GCM; messages stored before
     * encryption was turned on stay readable.
     */
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
     * The clock that turns a message's absolute due time into a delay (Redis's clock decides when
     * the delay is over). Default the system clock.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Connects and builds the queue.
     *
     * @throws RedisUnavailableException if Redis cannot be reached
     */
    public RedisMailQueue build() {
      return new RedisMailQueue(this);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }
  }
}
