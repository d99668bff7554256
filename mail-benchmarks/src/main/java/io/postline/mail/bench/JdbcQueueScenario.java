package io.postline.mail.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.event.MailEvent;
import io.postline.mail.queue.codec.internal.QueuedMailJson;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.queue.jdbc.JdbcMailQueue;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenario 6, on the PostgreSQL at {@code PG_URL} (default
 * {@code jdbc:postgresql://127.0.0.1:5432/test}, user postgres), in a schema of its own that is
 * dropped afterwards.
 *
 * <p><b>7. JDBC queue end to end.</b> {@value #MESSAGES} messages (the ~5 KB {@link BenchMail})
 * enqueued with {@code Mailer.enqueue} from {@link #PRODUCERS} threads into a
 * {@link JdbcMailQueue} (each an autocommit INSERT) and worked at the same time by the mailer's
 * {@link #WORKERS} workers into an {@link InMemoryProvider}: messages per second from the first
 * enqueue to the last "sent". The ceiling is a bare {@code SKIP LOCKED} loop on the same pool,
 * threads and payload: one INSERT per message, a take of one row ({@code UPDATE ... WHERE id =
 * (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING payload}) and a DELETE as the ack; it has no
 * priorities, schedules, fencing, wake-ups (its workers spin on an empty table), retention,
 * idempotency or encryption (an empty take naps 1 ms).
 */
final class JdbcQueueScenario implements Scenario {
  static final int MESSAGES = Integer.getInteger("bench.jdbc.messages", 20_000);
  static final int WORKERS = Integer.getInteger("bench.jdbc.workers", 8);
  static final int PRODUCERS = Integer.getInteger("bench.jdbc.producers", 4);
  private static final long PHASE_TIMEOUT_SECONDS = 300;

  @Override
  public String name() {
    return "7. JDBC queue";
  }

  @Override
  public void run(ResultTable table) throws Exception {
    String url = System.getenv().getOrDefault("PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    String schema = "postline_bench_" + ProcessHandle.current().pid();
    admin(url, "CREATE SCHEMA " + schema);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema);
    config.setUsername("postgres");
    config.setMaximumPoolSize(WORKERS + PRODUCERS + 4);
    try (HikariDataSource pool = new HikariDataSource(config)) {
      double load0 = loadAverage();
      double postline = postline(pool, MESSAGES / 5); // warm-up
      postline = postline(pool, MESSAGES);
      double ceiling = ceiling(pool, MESSAGES / 5);
      ceiling = ceiling(pool, MESSAGES);
      double load1 = loadAverage();
      String setup = String.format(Locale.ROOT, "%,d ~5 KB messages, %d producer threads calling Mailer.enqueue"
          + " (autocommit), %d mailer workers, InMemoryProvider, PostgreSQL at %s; ceiling: INSERT, one-row"
          + " SKIP LOCKED take, DELETE, same threads; load average %.2f before, %.2f after", MESSAGES, PRODUCERS,
          WORKERS, url, load0, load1);
      table.add("7a. JDBC queue (PostgreSQL) end to end: Postline vs a bare SKIP LOCKED loop (msgs/s)", postline,
          ceiling, "msg/s", ResultTable.Goal.AT_LEAST, 0.5, setup);
    } finally {
      admin(url, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private static double postline(HikariDataSource pool, int count) throws Exception {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS postline_mail_queue");
      s.execute("DROP SEQUENCE IF EXISTS postline_mail_queue_seq");
    }
    CountDownLatch done = new CountDownLatch(count);
    AtomicInteger failures = new AtomicInteger();
    AtomicLong last = new AtomicLong();
    InMemoryProvider memory = new InMemoryProvider("memory");
    try (JdbcMailQueue queue = JdbcMailQueue.builder(pool).createSchema(true).build();
         Mailer mailer = Mailer.builder().provider(memory).queue(queue).workers(WORKERS).listener(e -> {
           if (e instanceof MailEvent.Sent) {
             last.set(System.nanoTime());
             done.countDown();
             if (done.getCount() % 5_000 == 0) {
               memory.clear();
             }
           } else if (e instanceof MailEvent.AttemptFailed || e instanceof MailEvent.Failed) {
             failures.incrementAndGet();
           }
         }).build()) {
      long start = System.nanoTime();
      Load.Result r = Load.run("jdbc-enqueue", PRODUCERS, count, i -> mailer.enqueue(BenchMail.email()));
      if (!done.await(PHASE_TIMEOUT_SECONDS, TimeUnit.SECONDS) || r.failed() > 0 || failures.get() > 0) {
        throw new IllegalStateException("postline: " + r.failed() + " enqueues and " + failures.get()
            + " sends failed, " + (count - done.getCount()) + " of " + count + " sent; first: " + r.firstFailure());
      }
      double rate = count * 1e9 / (last.get() - start);
      System.out.printf(Locale.ROOT, "scenario 6 postline: %,d messages, %,.0f msg/s (enqueue %,.0f msg/s)%n",
          count, rate, count * 1e9 / r.nanos());
      return rate;
    }
  }

  private static double ceiling(HikariDataSource pool, int count) throws Exception {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS ceiling");
      s.execute("CREATE TABLE ceiling (id VARCHAR(64) PRIMARY KEY, seq BIGSERIAL, leased_until TIMESTAMPTZ,"
          + " payload BYTEA NOT NULL)");
      s.execute("CREATE INDEX ceiling_take ON ceiling (seq) WHERE leased_until IS NULL");
    }
    Instant now = Instant.now();
    byte[] payload = QueuedMailJson.encode(new QueuedMail("x", BenchMail.email(), 0, now, now, Optional.empty()));
    CountDownLatch done = new CountDownLatch(count);
    AtomicLong last = new AtomicLong();
    AtomicInteger failures = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      Thread t = new Thread(() -> {
        try (Connection c = pool.getConnection();
             PreparedStatement take = c.prepareStatement("UPDATE ceiling SET leased_until = now() + interval '1 minute'"
                 + " WHERE id = (SELECT id FROM ceiling WHERE leased_until IS NULL ORDER BY seq LIMIT 1"
                 + " FOR UPDATE SKIP LOCKED) RETURNING id, payload");
             PreparedStatement ack = c.prepareStatement("DELETE FROM ceiling WHERE id = ?")) {
          while (done.getCount() > 0 && !Thread.currentThread().isInterrupted()) {
            String id = null;
            try (ResultSet rs = take.executeQuery()) {
              if (rs.next()) {
                id = rs.getString(1);
                rs.getBytes(2);
              }
            }
            if (id == null) {
              LockSupport.parkNanos(1_000_000); // a 1 ms nap on an empty table: the ceiling's only wait
              continue;
            }
            ack.setString(1, id);
            ack.executeUpdate();
            last.set(System.nanoTime());
            done.countDown();
          }
        } catch (SQLException e) {
          failures.incrementAndGet();
        }
      }, "ceiling-worker-" + w);
      t.setDaemon(true);
      workers.add(t);
    }
    long start = System.nanoTime();
    workers.forEach(Thread::start);
    AtomicInteger ids = new AtomicInteger();
    Load.Result r = Load.run("ceiling-enqueue", PRODUCERS, count, i -> {
      try (Connection c = pool.getConnection();
           PreparedStatement ps = c.prepareStatement("INSERT INTO ceiling (id, payload) VALUES (?, ?)")) {
        ps.setString(1, "c" + ids.incrementAndGet());
        ps.setBytes(2, payload);
        ps.executeUpdate();
      }
    });
    boolean all = done.await(PHASE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    for (Thread t : workers) {
      t.interrupt();
      t.join();
    }
    if (!all || r.failed() > 0 || failures.get() > 0) {
      throw new IllegalStateException("ceiling: " + r.failed() + " enqueues and " + failures.get()
          + " workers failed; first: " + r.firstFailure());
    }
    double rate = count * 1e9 / (last.get() - start);
    System.out.printf(Locale.ROOT, "scenario 6 ceiling: %,d messages, %,.0f msg/s%n", count, rate);
    return rate;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void admin(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
