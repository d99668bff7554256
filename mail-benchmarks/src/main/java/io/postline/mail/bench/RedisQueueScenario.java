package io.postline.mail.bench;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.postline.mail.Email;
import io.postline.mail.Priority;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.Receipt;
import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import io.postline.mail.queue.redis.RedisMailQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Optional;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Scenarios 4 and 5, on the Redis at {@code REDIS_URL} (default {@code redis://127.0.0.1:6379}),
 * under a key prefix of their own that is deleted afterwards.
 *
 * <p><b>4. Queue end to end.</b> {@value #MESSAGES} messages (the ~5 KB {@link BenchMail}) are
 * enqueued with {@code Mailer.enqueue} from {@link #PRODUCERS} threads into a
 * {@link RedisMailQueue} and worked, at the same time, by the mailer's {@link #WORKERS} workers
 * into an {@link InMemoryProvider}: messages per second from the first enqueue to the last
 * "sent". The ceiling does the same with {@link RedisCeiling} (three Lua calls per message, same
 * payload, same threads). Latency (from enqueue to the provider accepting the message) is
 * measured at a steady offered load, half the lower of the two throughputs, paced per message
 * from the intended enqueue time, so that a producer falling behind counts against the figure.
 *
 * <p><b>5. Memory.</b> Redis's {@code used_memory} before and after {@value #MESSAGES} messages
 * enqueued through a producer-only {@code Mailer} ({@code workers(0)}: nothing is taken), per
 * message, against twice the stored payload plus 300 bytes. And the JVM heap in use after full
 * collections before the load of scenario 4 (after a warm-up of {@value #WARMUP} messages, which
 * fills the default in-memory audit log to its bound) and after it, the mailer still open.
 */
final class RedisQueueScenario implements Scenario {
  static final int MESSAGES = 100_000;
  static final int WARMUP = 10_000;
  static final int LATENCY_MESSAGES = 20_000;
  /**
   * Rounds per side in 4a, 4d and 4e, alternating the sides: a shared machine's speed drifts by
   * tens of percent within a minute, and one long phase per side let that drift decide a ratio.
   */
  static final int ROUNDS = 4;
  /** Mailer workers (and ceiling workers); the best of 2, 4, 8 and 16 on 2 cores, see docs/benchmarks.md. */
  static final int WORKERS = Integer.getInteger("bench.redis.workers", 8);
  /** Threads calling {@code Mailer.enqueue} (and the ceiling's enqueue). */
  static final int PRODUCERS = Integer.getInteger("bench.redis.producers", 4);
  static final long HEAP_FLAT_BYTES = 8L * 1024 * 1024;
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final long PHASE_TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(3);

  @Override
  public String name() {
    return "4./5. Redis queue";
  }

  @Override
  public void run(ResultTable table) throws Exception {
    String uri = System.getenv().getOrDefault("REDIS_URL", "redis://127.0.0.1:6379");
    String prefix = "postline-bench-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
    RedisClient client = RedisClient.create(uri);
    client.setOptions(RedisMailQueue.recommendedClientOptions());
    try (StatefulRedisConnection<String, byte[]> admin = client.connect(CODEC)) {
      try {
        Memory memory = memory(client, admin.sync(), prefix);
        delete(admin.sync(), prefix);
        Extra extra = extra(client, admin.sync(), prefix);
        delete(admin.sync(), prefix);
        Figures load = load(client, admin.sync(), prefix, memory.payload());
        report(table, load, memory, extra);
      } finally {
        long deleted = delete(admin.sync(), prefix);
        System.out.printf(Locale.ROOT, "scenario 4/5: deleted %,d keys under %s%n", deleted, prefix);
      }
    } finally {
      client.shutdown();
    }
  }

  // ---------------------------------------------------------------- scenario 5: Redis memory

  /**
   * What scenario 5 measured in Redis.
   *
   * @param payload one stored payload, as the ceiling of scenario 4 stores it too
   * @param bytesPerMessage the growth of used_memory per queued message
   * @param hashBytes MEMORY USAGE of one message's hash
   * @param enqueueRate messages per second of the enqueue
   */
  private record Memory(byte[] payload, double bytesPerMessage, long hashBytes, double enqueueRate) {}

  private static Memory memory(RedisClient client, RedisCommands<String, byte[]> redis, String prefix)
      throws InterruptedException {
    RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("memory").build();
    Mailer mailer = Mailer.builder().provider(new InMemoryProvider("memory")).queue(queue).workers(0).build();
    try {
      // One message first, so that the scripts, counters and sorted sets exist before the baseline.
      Receipt first = mailer.enqueue(BenchMail.email());
      String key = queue.keyBase() + ":m:" + first.id();
      byte[] payload = redis.hget(key, "p");
      Long hashBytes = redis.dispatch(CommandType.MEMORY, new IntegerOutput<>(CODEC),
          new CommandArgs<>(CODEC).add("USAGE").addKey(key).add("SAMPLES").add(0));
      long before = usedMemory(redis);
      Load.Result r = Load.run("enqueue", PRODUCERS, MESSAGES, i -> mailer.enqueue(BenchMail.email()));
      long after = usedMemory(redis);
      if (r.failed() > 0) {
        throw new IllegalStateException(r.failed() + " of " + MESSAGES + " enqueues failed; first: " + r.firstFailure());
      }
      QueueCounts counts = mailer.queueCounts();
      long ready = counts.ready().getOrDefault(Priority.NORMAL, 0L);
      if (ready != MESSAGES + 1) {
        throw new IllegalStateException("expected " + (MESSAGES + 1) + " ready messages in Redis, found " + counts);
      }
      double perMessage = (after - before) / (double) MESSAGES;
      System.out.printf(Locale.ROOT, "scenario 5: %,d messages queued in %s (%,.0f msg/s); used_memory %s -> %s,"
              + " %,.0f bytes per message; payload %,d bytes; one message's hash %,d bytes (MEMORY USAGE)%n",
          MESSAGES, r.seconds(), r.perSecond(MESSAGES), Load.mib(before), Load.mib(after), perMessage,
          payload.length, hashBytes == null ? -1 : hashBytes);
      return new Memory(payload, perMessage, hashBytes == null ? -1 : hashBytes, r.perSecond(MESSAGES));
    } finally {
      mailer.close();
      queue.close(); // the application's: the mailer leaves it open
    }
  }

  // ------------------------------------------------- scenario 4e and 5c: batches, finished records

  /**
   * What the group and finished-record measurements found.
   *
   * @param batchRate messages per second of one {@code enqueueBatch} of {@value #GROUP} messages
   * @param singleRate messages per second of {@value #GROUP} single {@code enqueue} calls
   * @param finishedBytes growth of used_memory per finished (acked) message, its record kept
   */
  private record Extra(double batchRate, double singleRate, double finishedBytes, double inlineRate,
      double groupBytes, double inlineGroupBytes) {}

  static final int GROUP = 10_000;

  /**
   * A queued group send: {@value #GROUP} messages (one per recipient) stored by one
   * {@code RedisMailQueue.enqueueBatch} call on a queue with {@code sharedGroupBodies(true)} (the
   * group's body stored once), against the same number of single enqueues from one thread, in the
   * same run, each into a new queue that nobody works, in {@value #ROUNDS} rounds of each taking
   * turns (batch, singles, singles, batch, ...); the same batch on a queue with the option off
   * (every copy whole) is measured once beside them, and used_memory around a batch gives a
   * group's bytes per message. Then bytes per
   * finished record: {@value #GROUP} messages taken and acked (the default finished retention
   * keeps the last 10,000), used_memory after against before the enqueue.
   */
  private static Extra extra(RedisClient client, RedisCommands<String, byte[]> redis, String prefix) {
    List<QueuedMail> warm = group("w");
    long batchNanos = 0;
    long singleNanos = 0;
    double groupBytes = 0;
    try (RedisMailQueue warmQueue = RedisMailQueue.builder(client).keyPrefix(prefix).name("warm")
            .sharedGroupBodies(true).build();
        RedisMailQueue warmInline = RedisMailQueue.builder(client).keyPrefix(prefix).name("warm-inline").build()) {
      warmQueue.enqueueBatch(warm.subList(0, GROUP / 2));
      warm.subList(GROUP / 2, GROUP).forEach(warmQueue::enqueue);
      warmInline.enqueueBatch(group("v").subList(0, GROUP / 2)); // warms the path without shared bodies
    }
    deleteQueue(redis, prefix, "warm");
    deleteQueue(redis, prefix, "warm-inline");
    // Rounds in the order batch, singles, singles, batch, ...; each into a new queue, deleted after.
    for (int r = 0; r < ROUNDS; r++) {
      for (int side = 0; side < 2; side++) {
        boolean batch = (side == 0) == (r % 2 == 0);
        String name = (batch ? "group-" : "single-") + r;
        List<QueuedMail> mails = group((batch ? "g" : "s") + r);
        try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name(name)
            .sharedGroupBodies(batch).build()) {
          long m0 = usedMemory(redis);
          long t0 = System.nanoTime();
          if (batch) {
            queue.enqueueBatch(mails);
          } else {
            mails.forEach(queue::enqueue);
          }
          long nanos = System.nanoTime() - t0;
          long m1 = usedMemory(redis);
          checkReady(queue, GROUP, "4e");
          if (batch) {
            batchNanos += nanos;
            if (r == 0) {
              groupBytes = (m1 - m0) / (double) GROUP;
            }
          } else {
            singleNanos += nanos;
          }
          System.out.printf(Locale.ROOT, "scenario 4e: round %d, %s %,.0f msg/s%n", r + 1,
              batch ? "enqueueBatch with shared bodies" : "single enqueues", GROUP * 1e9 / nanos);
        }
        deleteQueue(redis, prefix, name);
      }
    }
    double batchRate = ROUNDS * GROUP * 1e9 / batchNanos;
    double singleRate = ROUNDS * GROUP * 1e9 / singleNanos;
    double inlineRate;
    double inlineGroupBytes;
    try (RedisMailQueue inlineQueue = RedisMailQueue.builder(client).keyPrefix(prefix).name("inline").build()) {
      List<QueuedMail> inline = group("i");
      long m2 = usedMemory(redis);
      long t2 = System.nanoTime();
      inlineQueue.enqueueBatch(inline);
      long t3 = System.nanoTime();
      long m3 = usedMemory(redis);
      checkReady(inlineQueue, GROUP, "4e");
      inlineRate = GROUP * 1e9 / (t3 - t2);
      inlineGroupBytes = (m3 - m2) / (double) GROUP;
    }
    deleteQueue(redis, prefix, "inline");
    System.out.printf(Locale.ROOT, "scenario 4e: group of %,d, %d rounds each: enqueueBatch with shared bodies %,.0f msg/s"
        + " (%,.0f bytes per message), single enqueues %,.0f msg/s, enqueueBatch with every copy whole %,.0f msg/s"
        + " (%,.0f bytes per message)%n", GROUP, ROUNDS, batchRate, groupBytes, singleRate, inlineRate, inlineGroupBytes);
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("finished").build()) {
      List<QueuedMail> mails = group("f");
      queue.enqueue(group("x").get(0));
      queue.take(Duration.ZERO, Duration.ofMinutes(1)).ifPresent(queue::ack);
      long before = usedMemory(redis);
      queue.enqueueBatch(mails);
      int acked = 0;
      while (acked < GROUP) {
        Optional<Lease> lease = queue.take(Duration.ofSeconds(5), Duration.ofMinutes(1));
        if (lease.isEmpty() || !queue.ack(lease.get())) {
          throw new IllegalStateException("scenario 5c: take or ack failed after " + acked + " messages");
        }
        acked++;
      }
      long after = usedMemory(redis);
      double perRecord = (after - before) / (double) GROUP;
      System.out.printf(Locale.ROOT, "scenario 5c: %,d finished records, used_memory %s -> %s, %,.0f bytes per record%n",
          GROUP, Load.mib(before), Load.mib(after), perRecord);
      return new Extra(batchRate, singleRate, perRecord, inlineRate, groupBytes, inlineGroupBytes);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void checkReady(RedisMailQueue queue, long expected, String scenario) {
    Long ready = queue.counts().ready().get(Priority.NORMAL);
    if (ready == null || ready != expected) {
      throw new IllegalStateException("scenario " + scenario + ": expected " + expected + " ready messages in "
          + queue + ", found " + ready);
    }
  }

  /** Deletes one queue's keys (they carry its name as their hash tag). */
  private static void deleteQueue(RedisCommands<String, byte[]> redis, String prefix, String name) {
    delete(redis, prefix + ":{" + name + "}");
  }

  private static List<QueuedMail> group(String tag) {
    Instant now = Instant.now();
    List<QueuedMail> out = new ArrayList<>(GROUP);
    for (int i = 0; i < GROUP; i++) {
      Email email = Email.builder().from(BenchMail.FROM).to("r" + i + "@example.org").subject(BenchMail.SUBJECT)
          .text(BenchMail.TEXT).html(BenchMail.HTML).build();
      out.add(new QueuedMail(String.format(Locale.ROOT, "%s%025d", tag, i), email, 0, now, now, Optional.empty()));
    }
    return out;
  }

  private static long usedMemory(RedisCommands<String, byte[]> redis) {
    for (String line : redis.info("memory").split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).strip());
      }
    }
    throw new IllegalStateException("INFO memory has no used_memory");
  }

  /** Deletes every key under the prefix; how many. */
  private static long delete(RedisCommands<String, byte[]> redis, String prefix) {
    long deleted = 0;
    ScanArgs match = ScanArgs.Builder.matches(prefix + ":*").limit(1000);
    KeyScanCursor<String> cursor = redis.scan(ScanCursor.INITIAL, match);
    for (int i = 0; i < 1_000_000; i++) {
      if (!cursor.getKeys().isEmpty()) {
        deleted += redis.unlink(cursor.getKeys().toArray(String[]::new));
      }
      if (cursor.isFinished()) {
        break;
      }
      cursor = redis.scan(cursor, match);
    }
    return deleted;
  }

  // ---------------------------------------------------------------- scenario 4: load

  /**
   * One phase of scenario 4.
   *
   * @param messages how many were enqueued and sent
   * @param nanos from the first enqueue to the last message sent
   * @param enqueueNanos from the first enqueue to the last
   * @param latencies enqueue-to-sent of every message, sorted
   */
  private record Phase(int messages, long nanos, long enqueueNanos, long[] latencies, Usage usage) {
    /** Rounds of one side as one phase: their messages, times and costs added, their latencies merged. */
    static Phase pooled(List<Phase> rounds) {
      int messages = 0;
      long nanos = 0;
      long enqueueNanos = 0;
      Usage usage = new Usage(0, 0, 0, 0, 0);
      long[] latencies = new long[0];
      for (Phase r : rounds) {
        messages += r.messages;
        nanos += r.nanos;
        enqueueNanos += r.enqueueNanos;
        usage = usage.plus(r.usage);
        int from = latencies.length;
        latencies = Arrays.copyOf(latencies, from + r.latencies.length);
        System.arraycopy(r.latencies, 0, latencies, from, r.latencies.length);
      }
      Arrays.sort(latencies);
      return new Phase(messages, nanos, enqueueNanos, latencies, usage);
    }

    double rate() {
      return messages * 1e9 / nanos;
    }

    double enqueueRate() {
      return messages * 1e9 / enqueueNanos;
    }

    double percentileMillis(double p) {
      int i = (int) Math.min(latencies.length - 1, Math.ceil(p / 100 * latencies.length) - 1);
      return latencies[Math.max(0, i)] / 1e6;
    }

    String describe() {
      return String.format(Locale.ROOT, "%,d messages in %.2f s = %,.0f msg/s (enqueue %,.0f msg/s);"
              + " enqueue-to-sent p50 %.2f ms, p99 %.2f ms; per message %.1f Redis script calls, %.0f µs Redis CPU,"
              + " %.0f µs JVM CPU, %.2f socket reads and %.2f writes by Redis",
          messages, nanos / 1e9, rate(), enqueueRate(), percentileMillis(50), percentileMillis(99),
          usage.scriptCalls() / (double) messages,
          usage.redisCpuNanos() / 1e3 / messages, usage.jvmCpuNanos() / 1e3 / messages,
          usage.reads() / (double) messages, usage.writes() / (double) messages);
    }
  }

  /**
   * What a phase cost, from one {@code INFO all}: Lua script calls (EVAL and EVALSHA, commandstats),
   * CPU time of the Redis server (cpu) and of this JVM, and the socket reads and writes of Redis's
   * event loop (stats; a Pub/Sub notification is a write). Redis's figures are server-wide: another
   * client of the same Redis would show up in them.
   */
  private record Usage(long scriptCalls, long redisCpuNanos, long jvmCpuNanos, long reads, long writes) {
    static Usage now(RedisCommands<String, byte[]> redis) {
      long calls = 0;
      double cpu = 0;
      long reads = 0;
      long writes = 0;
      for (String line : redis.info("all").split("\r?\n")) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = line.substring(0, colon);
        String value = line.substring(colon + 1).strip();
        switch (name) {
          case "cmdstat_evalsha", "cmdstat_eval" -> {
            String first = value.split(",")[0]; // calls=N
            calls += Long.parseLong(first.substring(first.indexOf('=') + 1));
          }
          case "used_cpu_sys", "used_cpu_user" -> cpu += Double.parseDouble(value);
          case "total_reads_processed" -> reads = Long.parseLong(value);
          case "total_writes_processed" -> writes = Long.parseLong(value);
          default -> { }
        }
      }
      return new Usage(calls, (long) (cpu * 1e9), Load.processCpuNanos(), reads, writes);
    }

    Usage since(Usage before) {
      return new Usage(scriptCalls - before.scriptCalls, redisCpuNanos - before.redisCpuNanos,
          jvmCpuNanos - before.jvmCpuNanos, reads - before.reads, writes - before.writes);
    }

    Usage plus(Usage other) {
      return new Usage(scriptCalls + other.scriptCalls, redisCpuNanos + other.redisCpuNanos,
          jvmCpuNanos + other.jvmCpuNanos, reads + other.reads, writes + other.writes);
    }
  }

  /**
   * What scenario 4 measured.
   *
   * @param paceRate the offered load of the latency phases
   */
  private record Figures(Phase postline, Phase ceiling, Phase postlinePaced, Phase ceilingPaced, double paceRate,
      long heapBefore, long heapAfter) {}

  private static Figures load(RedisClient client, RedisCommands<String, byte[]> admin, String prefix, byte[] payload)
      throws InterruptedException {
    Tracker tracker = new Tracker();
    InMemoryProvider memory = new InMemoryProvider("memory");
    RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("load").build();
    Mailer mailer = Mailer.builder().provider(memory).queue(queue).workers(WORKERS).listener(tracker).build();
    tracker.provider = memory;
    try (StatefulRedisConnection<String, byte[]> connection = client.connect(CODEC)) {
      RedisCeiling ceiling = new RedisCeiling(connection.sync(), prefix + ":{ceiling}", 60_000);
      print("postline warm-up", postline(mailer, tracker, admin, WARMUP, 0));
      print("ceiling warm-up", ceiling(ceiling, admin, payload, WARMUP, 0, 0));
      memory.clear();
      long heapBefore = Load.usedHeapAfterGc();
      int[] run = {1};
      Phase[] full = alternate(ROUNDS, MESSAGES / ROUNDS, "",
          n -> postline(mailer, tracker, admin, n, 0), n -> ceiling(ceiling, admin, payload, n, 0, run[0]++));
      Phase postline = print("postline", full[0]);
      Phase raw = print("ceiling", full[1]);
      double pace = Math.floor(Math.min(postline.rate(), raw.rate()) / 2 / 100) * 100;
      String paced = String.format(Locale.ROOT, " paced %,.0f/s", pace);
      Phase[] halfLoad = alternate(ROUNDS, LATENCY_MESSAGES / ROUNDS, paced,
          n -> postline(mailer, tracker, admin, n, pace), n -> ceiling(ceiling, admin, payload, n, pace, run[0]++));
      Phase postlinePaced = print("postline" + paced, halfLoad[0]);
      Phase rawPaced = print("ceiling" + paced, halfLoad[1]);
      backlog(client, admin, prefix, ceiling, payload);
      memory.clear();
      long heapAfter = Load.usedHeapAfterGc();
      System.out.printf(Locale.ROOT, "scenario 5: heap used after GC %s before the load, %s after%n",
          Load.mib(heapBefore), Load.mib(heapAfter));
      return new Figures(postline, raw, postlinePaced, rawPaced, pace, heapBefore, heapAfter);
    } finally {
      mailer.close();
      queue.close(); // the application's: the mailer leaves it open
    }
  }

  static final int BACKLOG = 2 * GROUP;

  /**
   * A backlog (printed, not a row): {@value #BACKLOG} messages stored first, then worked by a new
   * mailer's {@link #WORKERS} workers, which take several per call from a deep queue; the
   * ceiling's workers drain the same backlog one per take. Messages per second from the workers'
   * start to the last sent, with script calls and Redis CPU per message.
   */
  private static void backlog(RedisClient client, RedisCommands<String, byte[]> admin, String prefix,
      RedisCeiling ceiling, byte[] payload) throws InterruptedException {
    List<QueuedMail> mails = new ArrayList<>(group("b"));
    mails.addAll(group("B"));
    CountDownLatch sent = new CountDownLatch(BACKLOG);
    InMemoryProvider memory = new InMemoryProvider("memory");
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("backlog").build()) {
      queue.enqueueBatch(mails);
      Usage before = Usage.now(admin);
      long start = System.nanoTime();
      Mailer mailer = Mailer.builder().provider(memory).queue(queue).workers(WORKERS).listener(e -> {
        if (e instanceof MailEvent.Sent) {
          sent.countDown();
        }
      }).build();
      try {
        if (!sent.await(PHASE_TIMEOUT_NANOS, TimeUnit.NANOSECONDS)) {
          throw new IllegalStateException("backlog: only " + (BACKLOG - sent.getCount()) + " sent");
        }
        long nanos = System.nanoTime() - start;
        Usage u = Usage.now(admin).since(before);
        System.out.printf(Locale.ROOT, "scenario 4: postline backlog of %,d: %,.0f msg/s; per message %.2f Redis script"
            + " calls, %.0f µs Redis CPU, %.0f µs JVM CPU%n", BACKLOG, BACKLOG * 1e9 / nanos,
            u.scriptCalls() / (double) BACKLOG, u.redisCpuNanos() / 1e3 / BACKLOG, u.jvmCpuNanos() / 1e3 / BACKLOG);
      } finally {
        mailer.close();
      }
    }
    for (int i = 0; i < BACKLOG; i++) {
      ceiling.enqueue(String.format(Locale.ROOT, "cb%026d", i), payload);
    }
    Usage before = Usage.now(admin);
    AtomicInteger left = new AtomicInteger(BACKLOG);
    long start = System.nanoTime();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      Thread t = new Thread(() -> {
        RedisCeiling.Taken taken;
        while ((taken = ceiling.take()) != null) {
          ceiling.ack(taken.id());
          left.decrementAndGet();
        }
      }, "ceiling-backlog-" + (w + 1));
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    for (Thread t : workers) {
      t.join(TimeUnit.NANOSECONDS.toMillis(PHASE_TIMEOUT_NANOS));
    }
    long nanos = System.nanoTime() - start;
    Usage u = Usage.now(admin).since(before);
    System.out.printf(Locale.ROOT, "scenario 4: ceiling backlog of %,d: %,.0f msg/s (%d left); per message %.2f Redis"
        + " script calls, %.0f µs Redis CPU, %.0f µs JVM CPU%n", BACKLOG, (BACKLOG - left.get()) * 1e9 / nanos,
        left.get(), u.scriptCalls() / (double) BACKLOG, u.redisCpuNanos() / 1e3 / BACKLOG,
        u.jvmCpuNanos() / 1e3 / BACKLOG);
  }

  /** One side's phase of {@code n} messages. */
  @FunctionalInterface
  private interface Side {
    Phase run(int n) throws InterruptedException;
  }

  /**
   * Runs Postline and the ceiling in {@code rounds} pairs of {@code n} messages each, in the order
   * P C, C P, P C, ... (so that a machine whose speed drifts during the scenario weighs on both
   * alike), printing each round; returns each side's rounds pooled: Postline's, then the ceiling's.
   */
  private static Phase[] alternate(int rounds, int n, String what, Side postline, Side ceiling)
      throws InterruptedException {
    List<Phase> p = new ArrayList<>();
    List<Phase> c = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      boolean postlineFirst = r % 2 == 0;
      for (int side = 0; side < 2; side++) {
        if ((side == 0) == postlineFirst) {
          p.add(print(String.format(Locale.ROOT, "postline%s round %d", what, r + 1), postline.run(n)));
        } else {
          c.add(print(String.format(Locale.ROOT, "ceiling%s round %d", what, r + 1), ceiling.run(n)));
        }
      }
    }
    return new Phase[] {Phase.pooled(p), Phase.pooled(c)};
  }

  private static Phase print(String what, Phase p) {
    System.out.printf(Locale.ROOT, "scenario 4: %-26s %s%n", what, p.describe());
    return p;
  }

  /**
   * Enqueues {@code count} messages through the mailer and waits until its workers sent them all.
   *
   * @param rate messages per second to offer, or 0 for as fast as the producers go
   */
  private static Phase postline(Mailer mailer, Tracker tracker, RedisCommands<String, byte[]> admin, int count,
      double rate) throws InterruptedException {
    Tracker.Run run = tracker.begin(count);
    Usage before = Usage.now(admin);
    long interval = rate > 0 ? (long) (1e9 / rate) : 0;
    long start = System.nanoTime();
    Load.Result r = Load.run("enqueue", PRODUCERS, count, i -> {
      long t0 = interval > 0 ? waitUntil(start + i * interval) : System.nanoTime();
      Tracker.ENQUEUED_AT.get()[0] = t0;
      mailer.enqueue(BenchMail.email());
    });
    if (r.failed() > 0) {
      throw new IllegalStateException(r.failed() + " of " + count + " enqueues failed; first: " + r.firstFailure());
    }
    long enqueued = System.nanoTime();
    if (!run.done.await(PHASE_TIMEOUT_NANOS, TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException("only " + run.sent.get() + " of " + count + " queued messages were sent within "
          + TimeUnit.NANOSECONDS.toSeconds(PHASE_TIMEOUT_NANOS) + " s");
    }
    if (run.failures.get() > 0) {
      throw new IllegalStateException(run.failures.get() + " send attempts failed; every one should succeed");
    }
    return new Phase(count, run.last - start, enqueued - start, run.sortedLatencies(), Usage.now(admin).since(before));
  }

  /**
   * The same with the ceiling: {@link #PRODUCERS} threads enqueue, {@link #WORKERS} threads take
   * and ack. A worker waits on a semaphore released per enqueue, so it never takes from an empty
   * queue: a perfect wake-up, which no real queue has.
   */
  private static Phase ceiling(RedisCeiling queue, RedisCommands<String, byte[]> admin, byte[] payload, int count,
      double rate, int runNumber) throws InterruptedException {
    Usage before = Usage.now(admin);
    Map<String, Long> started = new ConcurrentHashMap<>(count * 2);
    long[] latencies = new long[count];
    AtomicInteger delivered = new AtomicInteger();
    AtomicLong last = new AtomicLong();
    AtomicInteger failures = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(count);
    Semaphore available = new Semaphore(0);
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      Thread t = new Thread(() -> {
        while (done.getCount() > 0) {
          try {
            if (!available.tryAcquire(100, TimeUnit.MILLISECONDS)) {
              continue;
            }
            RedisCeiling.Taken taken = queue.take();
            if (taken == null) {
              failures.incrementAndGet();
              continue;
            }
            long now = System.nanoTime();
            Long t0 = started.remove(taken.id());
            int n = delivered.getAndIncrement();
            latencies[n] = now - (t0 == null ? now : t0);
            if (n + 1 == count) {
              last.set(now);
            }
            queue.ack(taken.id());
            done.countDown();
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            failures.incrementAndGet();
          }
        }
      }, "ceiling-worker-" + (w + 1));
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    long interval = rate > 0 ? (long) (1e9 / rate) : 0;
    long start = System.nanoTime();
    Load.Result r = Load.run("ceiling-enqueue", PRODUCERS, count, i -> {
      String id = String.format(Locale.ROOT, "c%02d%023d", runNumber, i);
      long t0 = interval > 0 ? waitUntil(start + i * interval) : System.nanoTime();
      started.put(id, t0);
      queue.enqueue(id, payload);
      available.release();
    });
    long enqueued = System.nanoTime();
    boolean all = done.await(PHASE_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
    for (Thread t : workers) {
      t.interrupt();
      t.join();
    }
    if (r.failed() > 0 || failures.get() > 0 || !all) {
      throw new IllegalStateException("ceiling: " + r.failed() + " enqueues and " + failures.get()
          + " takes failed, " + delivered.get() + " of " + count + " delivered; first: " + r.firstFailure());
    }
    Arrays.sort(latencies);
    return new Phase(count, last.get() - start, enqueued - start, latencies, Usage.now(admin).since(before));
  }

  /** Parks until {@code deadline} (System.nanoTime); returns it. */
  private static long waitUntil(long deadline) {
    for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
    return deadline;
  }

  /**
   * Follows the mailer's events: the enqueue time of each message (set by the producer thread
   * just before {@code enqueue}, picked up by the {@code Queued} event it publishes before storing
   * the message), and its latency when {@code Sent} arrives. Empties the provider's outbox every
   * {@value #CLEAR_EVERY} messages, so that the heap holds no sent mail: the ceiling keeps none,
   * and 5,000 kept ~5 KB emails (as before) are 30 MB that every young collection copies, which
   * made Postline's GC pauses, and its p99, a measure of the test provider.
   */
  private static final class Tracker implements MailListener {
    /** Sent messages between two clears of the provider's outbox. */
    static final int CLEAR_EVERY = 500;
    static final ThreadLocal<long[]> ENQUEUED_AT = ThreadLocal.withInitial(() -> new long[1]);

    private final Map<String, Long> enqueuedAt = new ConcurrentHashMap<>();
    private volatile @Nullable Run run;
    volatile @Nullable InMemoryProvider provider;

    Run begin(int count) {
      enqueuedAt.clear();
      Run r = new Run(count);
      run = r;
      return r;
    }

    @Override
    public void onEvent(MailEvent event) {
      Run r = run;
      if (r == null) {
        return;
      }
      if (event instanceof MailEvent.Queued q) {
        enqueuedAt.put(q.mailId(), ENQUEUED_AT.get()[0]);
      } else if (event instanceof MailEvent.Sent s) {
        long now = System.nanoTime();
        Long t0 = enqueuedAt.remove(s.mailId());
        int n = r.sent.getAndIncrement();
        if (n < r.latencies.length) {
          r.latencies[n] = now - (t0 == null ? now : t0);
        }
        if ((n + 1) % CLEAR_EVERY == 0) {
          InMemoryProvider p = provider;
          if (p != null) {
            p.clear();
          }
        }
        if (n + 1 == r.latencies.length) {
          r.last = now;
        }
        r.done.countDown();
      } else if (event instanceof MailEvent.AttemptFailed || event instanceof MailEvent.Failed
          || event instanceof MailEvent.DeadLettered) {
        r.failures.incrementAndGet();
      }
    }

    /** One phase: its latencies and progress. */
    static final class Run {
      final long[] latencies;
      final AtomicInteger sent = new AtomicInteger();
      final AtomicInteger failures = new AtomicInteger();
      final CountDownLatch done;
      volatile long last;

      Run(int count) {
        latencies = new long[count];
        done = new CountDownLatch(count);
      }

      long[] sortedLatencies() {
        long[] copy = latencies.clone();
        Arrays.sort(copy);
        return copy;
      }
    }
  }

  // ---------------------------------------------------------------- rows

  private static void report(ResultTable table, Figures load, Memory memory, Extra extra) {
    Phase p = load.postline();
    Phase c = load.ceiling();
    String setup = String.format(Locale.ROOT, "%,d ~5 KB messages per side in %d rounds, alternating the sides,"
        + " %d producer threads calling Mailer.enqueue, %d mailer workers, InMemoryProvider; postline %s; ceiling %s",
        MESSAGES, ROUNDS, PRODUCERS, WORKERS, p.describe(), c.describe());
    table.add("4a. Redis queue end to end: Postline vs raw Lettuce Lua ceiling (msgs/s)", p.rate(), c.rate(), "msg/s",
        ResultTable.Goal.AT_LEAST, 0.7, setup);
    table.custom("4b. Redis queue end to end: Postline vs the absolute target on 2 cores (msgs/s)",
        ResultTable.format(p.rate(), "msg/s"), "10,000 msg/s (target)", ResultTable.ratio(p.rate() / 10_000),
        "≥ 1.00", p.rate() >= 10_000, "");
    String paced = String.format(Locale.ROOT, "%,d messages per side offered at %,.0f msg/s (half the lower"
        + " throughput) in %d rounds, alternating the sides, timed from the intended enqueue time to the provider"
        + " accepting (ceiling: to the take returning it); percentiles over all rounds", LATENCY_MESSAGES,
        load.paceRate(), ROUNDS);
    Phase pp = load.postlinePaced();
    Phase cp = load.ceilingPaced();
    table.custom("4c. Redis queue enqueue-to-sent latency p50, Postline vs ceiling",
        String.format(Locale.ROOT, "%.2f ms", pp.percentileMillis(50)),
        String.format(Locale.ROOT, "%.2f ms", cp.percentileMillis(50)),
        ResultTable.ratio(pp.percentileMillis(50) / cp.percentileMillis(50)), "–", null, paced);
    double p99 = pp.percentileMillis(99) / cp.percentileMillis(99);
    table.custom("4d. Redis queue enqueue-to-sent latency p99, Postline vs ceiling",
        String.format(Locale.ROOT, "%.2f ms", pp.percentileMillis(99)),
        String.format(Locale.ROOT, "%.2f ms", cp.percentileMillis(99)),
        ResultTable.ratio(p99), "≤ 1.50", p99 <= 1.5, "");
    double limit = 2.0 * memory.payload().length + 300;
    table.custom("5a. Redis bytes per queued message vs 2 × payload + 300 B",
        String.format(Locale.ROOT, "%,.0f B", memory.bytesPerMessage()),
        String.format(Locale.ROOT, "%,.0f B (payload %,d B)", limit, memory.payload().length),
        ResultTable.ratio(memory.bytesPerMessage() / limit), "≤ 1.00", memory.bytesPerMessage() <= limit,
        String.format(Locale.ROOT, "INFO memory used_memory around %,d messages enqueued through Mailer.enqueue and"
                + " not worked; payload = the stored JSON of one message; MEMORY USAGE of one message's hash %,d B;"
                + " enqueue alone ran at %,.0f msg/s", MESSAGES, memory.hashBytes(), memory.enqueueRate()));
    table.add("4e. Redis queue: a group of 10,000 via enqueueBatch vs 10,000 single enqueues (msgs/s)",
        extra.batchRate(), extra.singleRate(), "msg/s", ResultTable.Goal.AT_LEAST, 10.0,
        String.format(Locale.ROOT, "one RedisMailQueue.enqueueBatch call (chunks of 500, one script call each) on a"
            + " queue with sharedGroupBodies(true) (the group's body stored once) against 10,000 enqueue calls from one"
            + " thread, the same ~5 KB email to 10,000 recipients, each into a new queue nobody works; " + ROUNDS
            + " rounds of each, alternating, rates over all rounds; %,.0f bytes per"
            + " group message; the same batch with every copy whole (the option off) %,.0f msg/s (%.2f of the singles),"
            + " %,.0f bytes per message", extra.groupBytes(), extra.inlineRate(), extra.inlineRate() / extra.singleRate(),
            extra.inlineGroupBytes()));
    table.custom("5c. Redis bytes per finished record (default finished retention)",
        String.format(Locale.ROOT, "%,.0f B", extra.finishedBytes()), "200 B (target)",
        ResultTable.ratio(extra.finishedBytes() / 200), "≤ 1.00", extra.finishedBytes() <= 200,
        "INFO memory used_memory after 10,000 messages were enqueued, taken and acked, against before the enqueue");
    long growth = load.heapAfter() - load.heapBefore();
    table.custom("5b. JVM heap used after GC: after vs before the scenario 4 load",
        Load.mib(load.heapAfter()), Load.mib(load.heapBefore()),
        String.format(Locale.ROOT, "%+.1f MiB", growth / (1024.0 * 1024.0)), "flat: within ± 8 MiB",
        Math.abs(growth) <= HEAP_FLAT_BYTES,
        "mailer still open, after " + String.format(Locale.ROOT, "%,d", MESSAGES + LATENCY_MESSAGES)
            + " messages; 'before' follows a warm-up that fills the default in-memory audit log (10,000 messages)");
  }
}
