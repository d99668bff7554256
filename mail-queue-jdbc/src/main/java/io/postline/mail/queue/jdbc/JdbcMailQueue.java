package io.postline.mail.queue.jdbc;

import io.postline.mail.FailureKind;
import io.postline.mail.MailException;
import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.Priority;
import io.postline.mail.queue.codec.EncryptionKeys;
import io.postline.mail.queue.codec.internal.KeyDigest;
import io.postline.mail.queue.codec.internal.PayloadCipher;
import io.postline.mail.queue.codec.internal.QueuedMailJson;
import io.postline.mail.queue.codec.internal.Wakeup;
import io.postline.mail.queue.jdbc.internal.Dialect;
import io.postline.mail.queue.jdbc.internal.NotifyListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transactional outbox: a {@link MailQueue} in one table of the application's own database
 * (PostgreSQL, or H2 for embedded use), written in the caller's transaction when there is one.
 *
 * <pre>{@code
 * JdbcMailQueue queue = JdbcMailQueue.builder(dataSource).build();   // schema: V1__postline_mail_queue.sql
 * Mailer mailer = Mailer.builder().queue(queue).workers(4)...build();
 *
 * try (Connection c = dataSource.getConnection()) {                  // plain JDBC
 *   c.setAutoCommit(false);
 *   insertOrder(c, order);
 *   queue.withConnection(c, () -> mailer.enqueue(confirmation));      // same transaction
 *   c.commit();                                                        // a rollback leaves no email
 * }
 * }</pre>
 *
 * <p>With Spring, the auto-configuration installs a {@link CallerTransaction} on
 * {@code DataSourceUtils}, so {@code mailer.enqueue(email)} inside a {@code @Transactional} method
 * joins its transaction by itself.
 *
 * <p>Semantics as the other queues: HIGH before NORMAL before LOW, first in first out within one,
 * {@code sendAt}, leases with fencing tokens, lapsed leases returned to the queue and poison
 * messages dead-lettered, idempotent by mail id, bounded retention of finished rows. Workers take
 * several rows per statement, on PostgreSQL with {@code FOR UPDATE SKIP LOCKED}; there they wait for a
 * {@code NOTIFY} (sent at commit by every enqueue, retry and requeue) with a bounded fallback
 * poll, on H2 they poll. Due times and leases are the database's clock.
 */
public final class JdbcMailQueue implements MailQueue {
  /**
   * The classpath resources holding the schema's versions, to run in this order (PostgreSQL and H2
   * alike): the table, then its idempotency key column.
   */
  public static final List<String> SCHEMA_RESOURCES = List.of("io/postline/mail/queue/jdbc/V1__postline_mail_queue.sql",
      "io/postline/mail/queue/jdbc/V2__postline_mail_queue_idempotency.sql");

  private static final Logger log = LoggerFactory.getLogger(JdbcMailQueue.class);
  private static final String T = "postline_mail_queue";
  private static final int CHUNK = 500;
  private static final int QUEUED = 0;
  private static final int LEASED = 1;
  private static final int DEAD = 2;
  private static final int FINISHED = 3;
  private static final Duration UPKEEP_EVERY = Duration.ofSeconds(1);
  private static final Duration UPKEEP_AT_MOST = Duration.ofMillis(20);
  private static final Duration TRIM_EVERY = Duration.ofSeconds(10);
  private static final Duration CAPACITY_COUNT_AGE = Duration.ofSeconds(1);
  /** H2 takes: candidates read beyond those wanted, for a taker that loses one to another. */
  private static final int H2_SPARE_CANDIDATES = 8;
  /**
   * PostgreSQL serialises the commits of transactions that NOTIFY (WAL flush included), so a NOTIFY
   * in every enqueue would cap enqueues at one disk flush each. One per 10 ms per JVM is enough to
   * wake idle workers; a wake-up lost with a rolled-back transaction costs at most a poll interval.
   */
  private static final long NOTIFY_EVERY_NANOS = Duration.ofMillis(10).toNanos();

  private final DataSource dataSource;
  private final Dialect dialect;
  private final PayloadCipher cipher;
  private final long capacity;
  private final int maxLeaseLapses;
  private final Duration pollInterval;
  private final Duration finishedAge;
  private final int finishedMax;
  private final Duration deadAge;
  private final int deadMax;
  private final Clock clock;
  private final @Nullable CallerTransaction callerTransaction;
  private final ThreadLocal<Connection> bound = new ThreadLocal<>();
  private final Wakeup wakeup = new Wakeup();
  private final @Nullable NotifyListener listener;

  private final AtomicLong recovered = new AtomicLong();
  private final AtomicLong poisoned = new AtomicLong();
  private final AtomicLong trimmedDead = new AtomicLong();
  private final AtomicLong lastUpkeep = new AtomicLong(System.nanoTime() - UPKEEP_EVERY.toNanos());
  private final AtomicLong lastTrim = new AtomicLong(System.nanoTime() - TRIM_EVERY.toNanos());
  private final AtomicLong addedSinceCount = new AtomicLong();
  private volatile long pendingCount;
  private volatile long pendingCountedAt = System.nanoTime() - CAPACITY_COUNT_AGE.toNanos() - 1;
  private volatile boolean draining;
  private volatile boolean closed;
  private volatile boolean takeFailing;
  private final AtomicLong lastNotify = new AtomicLong(System.nanoTime() - NOTIFY_EVERY_NANOS);

  private JdbcMailQueue(Builder b, Dialect dialect) {
    this.dataSource = b.dataSource;
    this.dialect = dialect;
    this.cipher = b.keys == null ? PayloadCipher.NONE : b.keys.cipher();
    this.capacity = b.capacity;
    this.maxLeaseLapses = b.maxLeaseLapses;
    this.pollInterval = b.pollInterval != null ? b.pollInterval
        : dialect == Dialect.POSTGRESQL ? Duration.ofSeconds(2) : Duration.ofMillis(200);
    this.finishedAge = b.finishedAge;
    this.finishedMax = b.finishedMax;
    this.deadAge = b.deadAge;
    this.deadMax = b.deadMax;
    this.clock = b.clock;
    this.callerTransaction = b.callerTransaction;
    this.listener = dialect != Dialect.POSTGRESQL ? null : new NotifyListener("mail", wakeup, () -> {
      try {
        return dataSource.getConnection();
      } catch (SQLException e) {
        throw new IllegalStateException("cannot connect: " + firstLine(e), e);
      }
    });
  }

  /** A builder on the application's {@link DataSource} (pooled, in autocommit by default). */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /**
   * The schema's SQL, every version of {@link #SCHEMA_RESOURCES} in order (PostgreSQL and H2
   * alike), for applications that run it themselves.
   */
  public static String schemaSql() {
    StringBuilder sql = new StringBuilder();
    for (String resource : SCHEMA_RESOURCES) {
      try (InputStream in = JdbcMailQueue.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException(resource + " is missing from the classpath");
        }
        sql.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return sql.toString();
  }

  /**
   * Runs {@code action} with {@code connection} bound to this thread for this queue: every
   * {@link #enqueue} inside it, {@code Mailer.enqueue} included, writes through the connection, in
   * its transaction. The queue never commits, rolls back or closes it.
   */
  public <T> T withConnection(Connection connection, Supplier<T> action) {
    Objects.requireNonNull(connection, "connection");
    Connection previous = bound.get();
    bound.set(connection);
    try {
      return action.get();
    } finally {
      if (previous == null) {
        bound.remove();
      } else {
        bound.set(previous);
      }
    }
  }

  /**
   * What the queue did by itself in this JVM.
   *
   * @param recoveredLeases lapsed leases found (their workers died or hung): returned to the
   *     queue or, as poison messages, dead-lettered
   * @param poisonMessages messages dead-lettered because their lease lapsed too often
   * @param trimmedDeadLetters dead letters deleted for being past the retention age or count
   */
  public record Stats(long recoveredLeases, long poisonMessages, long trimmedDeadLetters) {}

  /** What the queue did by itself in this JVM since it was built. */
  public Stats stats() {
    return new Stats(recovered.get(), poisoned.get(), trimmedDead.get());
  }

  /**
   * Whether a taker of this queue object waits for a wake-up now and, on PostgreSQL, its LISTEN
   * connection is up: then an enqueue committed by any JVM wakes it. For tests that wake takers.
   */
  boolean takerWaitsForWakeUp() {
    NotifyListener l = listener;
    return wakeup.waiting() > 0 && (l == null || l.listening());
  }

  // ---------------------------------------------------------------- enqueue

  /** Stores the message; one carrying the idempotency key of another stored message is refused. */
  @Override
  public void enqueue(QueuedMail mail) {
    enqueueBatch(List.of(mail));
  }

  /**
   * Stores the messages as {@link #enqueueUnlessDuplicate} does.
   *
   * @throws MailException naming the first message not stored because another stored message holds
   *     its idempotency key ({@code Mailer.enqueue} answers such a message with a duplicate receipt)
   */
  @Override
  public void enqueueBatch(List<QueuedMail> mails) {
    Map<String, String> duplicates = enqueueUnlessDuplicate(mails);
    if (!duplicates.isEmpty()) {
      Map.Entry<String, String> first = duplicates.entrySet().iterator().next();
      throw new MailException("mail queue: message " + first.getKey() + " was not stored: message " + first.getValue()
          + " holds its idempotency key (" + duplicates.size() + " such message(s) in this call)", null);
    }
  }

  /** True: the outbox holds each stored message's idempotency key, in the write that stores it. */
  @Override
  public boolean enforcesIdempotencyKeys() {
    return true;
  }

  /**
   * Stores the messages {@value #CHUNK} per statement, each chunk all or nothing (one multi-row
   * INSERT on PostgreSQL, one JDBC batch on H2); in the caller's transaction, all chunks commit or
   * roll back with it. Each message's idempotency key is stored with it (as its SHA-256), unique
   * in the table: a message whose key another row holds is not stored, and of two transactions
   * storing one key, PostgreSQL makes the second wait for the first, then store nothing if it
   * committed, or the message if it rolled back. (Under REPEATABLE READ or SERIALIZABLE, that
   * second transaction fails with a serialization error instead; retry it.) A key is held while
   * its message is queued, leased or finished (see {@link Builder#finishedRetention}); a
   * dead-lettered message frees it.
   */
  @Override
  public Map<String, String> enqueueUnlessDuplicate(List<QueuedMail> mails) {
    checkOpen();
    Map<String, QueuedMail> unique = new LinkedHashMap<>();
    for (QueuedMail m : mails) {
      unique.putIfAbsent(m.id(), m);
    }
    List<QueuedMail> all = new ArrayList<>(unique.values());
    Map<String, String> duplicates = new LinkedHashMap<>();
    for (int from = 0; from < all.size(); from += CHUNK) {
      duplicates.putAll(storeChunk(all.subList(from, Math.min(all.size(), from + CHUNK))));
    }
    return duplicates;
  }

  private record Row(String id, int priority, long delayUs, int attempts, byte[] payload, @Nullable String key) {}

  private Map<String, String> storeChunk(List<QueuedMail> chunk) {
    long pending = approxPending();
    if (pending + chunk.size() > capacity) {
      throw new QueueFullException("mail queue is full: about " + pending + " unfinished messages, capacity "
          + capacity + "; nothing was stored");
    }
    Instant now = clock.instant();
    List<Row> rows = new ArrayList<>(chunk.size());
    for (QueuedMail m : chunk) {
      long delayUs = Math.max(0, micros(Duration.between(now, m.dueAt())));
      rows.add(new Row(m.id(), m.priority().ordinal(), delayUs, m.attempts(),
          cipher.seal(QueuedMailJson.encode(m), m.id()), m.email().idempotencyKey().map(KeyDigest::of).orElse(null)));
    }
    String what = chunk.size() == 1 ? "message " + chunk.get(0).id()
        : chunk.size() + " messages from " + chunk.get(0).id();
    Map<String, String> duplicates = new LinkedHashMap<>();
    int inserted = write(chunk.get(0).id(), what, c -> {
      int n = dialect == Dialect.POSTGRESQL ? insertPg(c, rows) : insertH2(c, rows);
      if (n < rows.size()) {
        duplicates.putAll(keyHolders(c, rows));
      }
      return n;
    });
    addedSinceCount.addAndGet(inserted);
    if (dialect == Dialect.POSTGRESQL && inserted > 0) {
      wakeup.signalOne(); // this JVM's own workers, whether or not this write carried a NOTIFY
    }
    return duplicates;
  }

  /**
   * After an insert that skipped rows (their id or their key was there): the rows whose key another
   * message holds, mapped to that message's id. Read in the same transaction, after the insert
   * waited out any concurrent writer of the same key.
   */
  private Map<String, String> keyHolders(Connection c, List<Row> rows) throws SQLException {
    List<Row> keyed = rows.stream().filter(r -> r.key() != null).toList();
    Map<String, String> holders = new HashMap<>();
    if (keyed.isEmpty()) {
      return Map.of();
    }
    StringBuilder sql = new StringBuilder("SELECT idem_key, id FROM " + T + " WHERE idem_key IN (");
    for (int i = 0; i < keyed.size(); i++) {
      sql.append(i == 0 ? "?" : ", ?");
    }
    try (PreparedStatement ps = c.prepareStatement(sql.append(')').toString())) {
      for (int i = 0; i < keyed.size(); i++) {
        ps.setString(i + 1, keyed.get(i).key());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          holders.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    Map<String, String> duplicates = new LinkedHashMap<>();
    for (Row r : keyed) {
      String holder = holders.get(r.key());
      if (holder == null) {
        // Skipped for its key, whose holder is gone since (dead-lettered or trimmed): nothing stored.
        throw new MailException("mail queue: message " + r.id() + " was not stored: the message that held its"
            + " idempotency key was dead-lettered or trimmed meanwhile; enqueue it again", null);
      }
      if (!holder.equals(r.id())) {
        duplicates.put(r.id(), holder);
      }
    }
    return duplicates;
  }

  private int insertPg(Connection c, List<Row> rows) throws SQLException {
    StringBuilder sql = new StringBuilder("WITH ins AS (INSERT INTO " + T
        + " (id, state, priority, at_us, seq, attempts, payload, idem_key) VALUES ");
    for (int i = 0; i < rows.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append("(?, 0, ?, {now} + ?, {seq}, ?, ?, ?)");
    }
    // No conflict target: a row whose id (a repeated store) or key (a duplicate) is there is skipped.
    sql.append(" ON CONFLICT DO NOTHING RETURNING 1) SELECT (SELECT COUNT(*) FROM ins)");
    if (notifyDue()) {
      sql.append(", pg_notify('" + Dialect.CHANNEL + "', '')");
    }
    try (PreparedStatement ps = prepare(c, dialect.sql(sql.toString()))) {
      int p = 1;
      for (Row r : rows) {
        ps.setString(p++, r.id());
        ps.setInt(p++, r.priority());
        ps.setLong(p++, r.delayUs());
        ps.setInt(p++, r.attempts());
        ps.setBytes(p++, r.payload());
        ps.setString(p++, r.key());
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private int insertH2(Connection c, List<Row> rows) throws SQLException {
    String sql = dialect.sql("INSERT INTO " + T + " (id, state, priority, at_us, seq, attempts, payload, idem_key)"
        + " SELECT ?, 0, ?, {now} + ?, {seq}, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM " + T
        + " WHERE id = ?) AND NOT EXISTS (SELECT 1 FROM " + T + " WHERE idem_key = ?)");
    int[] counts;
    try (PreparedStatement ps = prepare(c, sql)) {
      for (Row r : rows) {
        ps.setString(1, r.id());
        ps.setInt(2, r.priority());
        ps.setLong(3, r.delayUs());
        ps.setInt(4, r.attempts());
        ps.setBytes(5, r.payload());
        ps.setString(6, r.key());
        ps.setString(7, r.id());
        ps.setString(8, r.key());
        ps.addBatch();
      }
      try {
        counts = ps.executeBatch();
      } catch (BatchUpdateException e) {
        // A concurrent insert of the same id or key won the unique index: that row is not ours to add.
        for (SQLException x = e.getNextException(); x != null; x = x.getNextException()) {
          if (!"23505".equals(x.getSQLState())) {
            throw e;
          }
        }
        counts = e.getUpdateCounts();
      }
    }
    wakeup.signalAll();
    int inserted = 0;
    for (int n : counts) {
      inserted += Math.max(n, 0);
    }
    return inserted;
  }

  private long approxPending() {
    // Counting the table on every enqueue would cost a scan; a count at most 1 s old plus what
    // this JVM stored since keeps the capacity bound without one.
    if (System.nanoTime() - pendingCountedAt > CAPACITY_COUNT_AGE.toNanos()) {
      long n = own("count the queue", c -> {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + T + " WHERE state IN (0, 1)")) {
          rs.next();
          return rs.getLong(1);
        }
      });
      addedSinceCount.set(0);
      pendingCount = n;
      pendingCountedAt = System.nanoTime();
    }
    return pendingCount + addedSinceCount.get();
  }

  // ---------------------------------------------------------------- take

  @Override
  public Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException {
    return take(1, wait, leaseFor).stream().findFirst();
  }

  @Override
  public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    Objects.requireNonNull(wait, "wait");
    positive(leaseFor, "leaseFor");
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      if (draining || closed) {
        return List.of();
      }
      long seen = wakeup.generation();
      long nextUs;
      try {
        upkeep(false);
        List<Lease> got = takeOnce(max, leaseFor);
        if (!got.isEmpty()) {
          takeFailing = false;
          if (got.size() == max) {
            wakeup.signalOne(); // there may be more: hand the next look to another idle worker
          }
          return got;
        }
        long[] next = nextDueInUs();
        if (next[1] <= 0 && upkeep(true)) {
          continue; // a lease lapsed and went back to the queue: look again at once
        }
        nextUs = Math.min(next[0], next[1]);
        takeFailing = false;
      } catch (SQLException | MailException e) {
        // Workers outlive a database restart: they keep waiting and retrying.
        if (!takeFailing) {
          log.warn("mail queue: take failed ({}); retrying every {}", e instanceof SQLException s ? firstLine(s)
              : e.getMessage(), pollInterval);
          takeFailing = true;
        }
        nextUs = micros(pollInterval);
      }
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return List.of();
      }
      // Nothing due at all is Long.MAX_VALUE microseconds: saturate, or the product wraps negative
      // and an idle taker would query the database in a busy loop.
      long nextNanos = nextUs >= Long.MAX_VALUE / 1_000 ? Long.MAX_VALUE : Math.max(nextUs, 1_000) * 1_000;
      long sleepNanos = Math.min(remaining, Math.min(pollInterval.toNanos(), nextNanos));
      wakeup.await(seen, sleepNanos);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private record Taken(String id, long token, long expiresUs, byte[] payload, int attempts, long dueUs,
      int priority, long seq) {}

  private List<Lease> takeOnce(int max, Duration leaseFor) throws SQLException {
    List<Taken> taken;
    try (Connection c = dataSource.getConnection()) {
      taken = dialect == Dialect.POSTGRESQL ? takePg(c, max, leaseFor) : takeH2(c, max, leaseFor);
    }
    taken.sort(Comparator.comparingInt(Taken::priority).thenComparingLong(Taken::dueUs).thenComparingLong(Taken::seq));
    List<Lease> leases = new ArrayList<>(taken.size());
    for (Taken t : taken) {
      try {
        QueuedMail mail = decode(t.id(), t.payload(), t.attempts(), t.dueUs());
        leases.add(new Lease(mail, t.token(), instant(t.expiresUs())));
      } catch (RuntimeException e) {
        log.warn("mail queue: message {} cannot be read ({}); moving it to the dead letters", t.id(), e.getMessage());
        deadLetter(t.id(), t.token(), t.attempts(), FailureKind.PERMANENT, "stored message cannot be read: " + e.getMessage());
      }
    }
    return leases;
  }

  private List<Taken> takePg(Connection c, int max, Duration leaseFor) throws SQLException {
    ensureAutoCommit(c);
    String sql = dialect.sql("WITH picked AS (SELECT id, at_us AS due_us FROM " + T
        + " WHERE state = 0 AND at_us <= {now} ORDER BY priority, at_us, seq LIMIT ? FOR UPDATE SKIP LOCKED)"
        + " UPDATE " + T + " t SET state = 1, token = {seq}, at_us = {now} + ? FROM picked WHERE t.id = picked.id"
        + " RETURNING t.id, t.token, t.at_us, t.payload, t.attempts, picked.due_us, t.priority, t.seq");
    try (PreparedStatement ps = prepare(c, sql)) {
      ps.setInt(1, max);
      ps.setLong(2, micros(leaseFor));
      List<Taken> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Taken(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getBytes(4), rs.getInt(5),
              rs.getLong(6), rs.getInt(7), rs.getLong(8)));
        }
      }
      return out;
    }
  }

  /**
   * H2 locks every row a {@code FOR UPDATE} query matches, not only the ones its LIMIT keeps, so
   * concurrent takers would block each other (and acks) for the length of a take. Instead each
   * candidate is claimed with its own conditional UPDATE in autocommit: of two takers, one wins
   * the row and the other finds it changed.
   */
  private List<Taken> takeH2(Connection c, int max, Duration leaseFor) throws SQLException {
    ensureAutoCommit(c);
    List<Taken> out = new ArrayList<>(max);
    for (int round = 0; round < 3 && out.size() < max; round++) {
      List<Taken> candidates = new ArrayList<>();
      // ORDER BY the take index's own columns: H2 then reads it in order and stops at the LIMIT
      // (ordered by priority, at_us, seq it sorts every due row on each take). A few spare
      // candidates, tried in order, let a taker that loses a row to another go on to the next.
      try (PreparedStatement ps = prepare(c, dialect.sql("SELECT id, payload, attempts, at_us, priority, seq FROM "
          + T + " WHERE state = 0 AND at_us <= {now} ORDER BY state, priority, at_us, seq LIMIT ?"))) {
        ps.setInt(1, max - out.size() + H2_SPARE_CANDIDATES);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            candidates.add(new Taken(rs.getString(1), 0, 0, rs.getBytes(2), rs.getInt(3), rs.getLong(4), rs.getInt(5),
                rs.getLong(6)));
          }
        }
      }
      if (candidates.isEmpty()) {
        break;
      }
      try (PreparedStatement ps = prepare(c, dialect.sql("SELECT token, at_us FROM FINAL TABLE (UPDATE " + T
          + " SET state = 1, token = {seq}, at_us = {now} + ? WHERE id = ? AND state = 0 AND seq = ?)"))) {
        for (Taken p : candidates) {
          if (out.size() == max) {
            break;
          }
          ps.setLong(1, micros(leaseFor));
          ps.setString(2, p.id());
          ps.setLong(3, p.seq());
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              out.add(new Taken(p.id(), rs.getLong(1), rs.getLong(2), p.payload(), p.attempts(), p.dueUs(),
                  p.priority(), p.seq()));
            }
          }
        }
      }
    }
    return out;
  }

  /** Microseconds until the next queued message is due and until the next lease lapses. */
  private long[] nextDueInUs() throws SQLException {
    try (Connection c = dataSource.getConnection();
         // The first row of the (state, at_us) index rather than MIN(at_us), which H2 reads by a scan.
         PreparedStatement ps = prepare(c, dialect.sql("SELECT (SELECT at_us FROM " + T
             + " WHERE state = 0 ORDER BY state, at_us LIMIT 1) - {now}, (SELECT at_us FROM " + T
             + " WHERE state = 1 ORDER BY state, at_us LIMIT 1) - {now}"));
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      long queued = rs.getLong(1);
      queued = rs.wasNull() ? Long.MAX_VALUE : queued;
      long leased = rs.getLong(2);
      leased = rs.wasNull() ? Long.MAX_VALUE : leased;
      return new long[] {queued, leased};
    }
  }

  private QueuedMail decode(String id, byte[] payload, int attempts, long dueUs) {
    return QueuedMailJson.open(payload, cipher, id, attempts, instant(dueUs), clock.instant());
  }

  // ---------------------------------------------------------------- upkeep

  /**
   * Returns lapsed leases to the queue (or, past {@code maxLeaseLapses}, to the dead letters) at
   * most every second, or every 20 ms when {@code urgent}; trims finished rows and dead letters
   * every 10 s. Several JVMs may run it at once: each row changes once.
   *
   * @return whether a lease was recovered
   */
  private boolean upkeep(boolean urgent) throws SQLException {
    long now = System.nanoTime();
    long last = lastUpkeep.get();
    long every = (urgent ? UPKEEP_AT_MOST : UPKEEP_EVERY).toNanos();
    if (now - last < every || !lastUpkeep.compareAndSet(last, now)) {
      return false;
    }
    int poison;
    int back;
    try (Connection c = dataSource.getConnection()) {
      ensureAutoCommit(c);
      try (PreparedStatement ps = prepare(c, dialect.sql("UPDATE " + T
          + " SET state = 2, lapses = lapses + 1, token = 0, at_us = {now}, dead_kind = 'PERMANENT', dead_reason = NULL,"
          + " idem_key = NULL"
          + " WHERE state = 1 AND at_us < {now} AND lapses + 1 >= ?"))) {
        ps.setInt(1, maxLeaseLapses);
        poison = ps.executeUpdate();
      }
      back = updateNotify(c, true, "UPDATE " + T + " SET state = 0, lapses = lapses + 1, token = 0, at_us = {now}, seq = {seq}"
          + " WHERE state = 1 AND at_us < {now}", ps -> {});
      long lastT = lastTrim.get();
      if (now - lastT >= TRIM_EVERY.toNanos() && lastTrim.compareAndSet(lastT, now)) {
        trim(c);
      }
    }
    if (poison + back > 0) {
      recovered.addAndGet(poison + back);
      poisoned.addAndGet(poison);
      log.warn("mail queue: {} lapsed lease(s) recovered (their workers died or hung); {} returned to the queue,"
          + " {} dead-lettered as poison messages", poison + back, back, poison);
    }
    return back > 0;
  }

  private void trim(Connection c) throws SQLException {
    trimState(c, FINISHED, finishedAge, finishedMax);
    long dead = trimState(c, DEAD, deadAge, deadMax);
    if (dead > 0) {
      trimmedDead.addAndGet(dead);
      log.warn("mail queue: {} dead letter(s) deleted, past the retention of {} / {} dead letters", dead, deadAge, deadMax);
    }
  }

  private long trimState(Connection c, int state, Duration age, int max) throws SQLException {
    long n;
    try (PreparedStatement ps = prepare(c, dialect.sql("DELETE FROM " + T + " WHERE state = ? AND at_us < {now} - ?"))) {
      ps.setInt(1, state);
      ps.setLong(2, micros(age));
      n = ps.executeUpdate();
    }
    try (PreparedStatement ps = prepare(c, "DELETE FROM " + T + " WHERE state = ? AND at_us <= (SELECT at_us FROM "
        + T + " WHERE state = ? ORDER BY state DESC, at_us DESC LIMIT 1 OFFSET ?)")) {
      ps.setInt(1, state);
      ps.setInt(2, state);
      ps.setInt(3, max);
      n += ps.executeUpdate();
    }
    return n;
  }

  // ---------------------------------------------------------------- completions

  @Override
  public Optional<Lease> renew(Lease lease, Duration leaseFor) {
    positive(leaseFor, "leaseFor");
    return own("renew the lease on " + lease.id(), c -> {
      try (PreparedStatement ps = prepare(c, returning("UPDATE " + T + " SET at_us = {now} + ?"
          + " WHERE id = ? AND token = ? AND state = 1", "at_us"))) {
        ps.setLong(1, micros(leaseFor));
        ps.setString(2, lease.id());
        ps.setLong(3, lease.token());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(new Lease(lease.mail(), lease.token(), instant(rs.getLong(1)))) : Optional.empty();
        }
      }
    });
  }

  /** Acks; a repeated ack with the same lease (a retry after a lost reply) answers true again. */
  @Override
  public boolean ack(Lease lease) {
    String sql = finishedMax == 0
        ? "DELETE FROM " + T + " WHERE id = ? AND token = ? AND state = 1"
        : dialect.sql("UPDATE " + T + " SET state = 3, at_us = {now}, payload = NULL, dead_reason = NULL"
            + " WHERE id = ? AND token = ? AND state IN (1, 3)");
    return own("ack " + lease.id(), c -> {
      try (PreparedStatement ps = prepare(c, sql)) {
        ps.setString(1, lease.id());
        ps.setLong(2, lease.token());
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public boolean reschedule(Lease lease, Instant dueAt, int attempts) {
    long delayUs = Math.max(0, micros(Duration.between(clock.instant(), dueAt)));
    // State 0 with the same token: this reschedule already happened (a retry after a lost reply).
    // No NOTIFY: a retry is due later, and workers sleep until the next due time anyway; notifying
    // commits are serialised by PostgreSQL, and retries come in bursts when a provider struggles.
    return own("reschedule " + lease.id(), c -> updateNotify(c, false, "UPDATE " + T
        + " SET state = 0, attempts = ?, at_us = {now} + ?, seq = {seq} WHERE id = ? AND token = ? AND state IN (0, 1)",
        ps -> {
          ps.setInt(1, attempts);
          ps.setLong(2, delayUs);
          ps.setString(3, lease.id());
          ps.setLong(4, lease.token());
        }) == 1);
  }

  @Override
  public boolean deadLetter(Lease lease, int attempts, FailureKind kind, String reason) {
    return deadLetter(lease.id(), lease.token(), attempts, kind, reason);
  }

  private boolean deadLetter(String id, long token, int attempts, FailureKind kind, String reason) {
    Objects.requireNonNull(kind, "kind");
    byte[] sealed = cipher.seal(reason.getBytes(StandardCharsets.UTF_8), reasonContext(id));
    return own("dead-letter " + id, c -> {
      try (PreparedStatement ps = prepare(c, dialect.sql("UPDATE " + T
          + " SET state = 2, attempts = ?, at_us = {now}, dead_kind = ?, dead_reason = ?, idem_key = NULL"
          + " WHERE id = ? AND token = ? AND state IN (1, 2)"))) {
        ps.setInt(1, attempts);
        ps.setString(2, kind.name());
        ps.setBytes(3, sealed);
        ps.setString(4, id);
        ps.setLong(5, token);
        return ps.executeUpdate() == 1;
      }
    });
  }

  // ---------------------------------------------------------------- inspection

  @Override
  public QueueCounts counts() {
    return own("count the queue", c -> {
      Map<Priority, Long> ready = new EnumMap<>(Priority.class);
      long scheduled = 0;
      long leased = 0;
      long dead = 0;
      try (PreparedStatement ps = prepare(c, dialect.sql(
          "SELECT state, priority, later, COUNT(*) FROM (SELECT state, priority,"
              + " CASE WHEN state = 0 AND at_us > {now} THEN 1 ELSE 0 END AS later FROM " + T
              + " WHERE state IN (0, 1, 2)) x GROUP BY state, priority, later"));
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int state = rs.getInt(1);
          long n = rs.getLong(4);
          if (state == QUEUED && rs.getInt(3) == 0) {
            ready.merge(Priority.values()[rs.getInt(2)], n, Long::sum);
          } else if (state == QUEUED) {
            scheduled += n;
          } else if (state == LEASED) {
            leased += n;
          } else {
            dead += n;
          }
        }
      }
      return new QueueCounts(ready, scheduled, leased, dead);
    });
  }

  /** The dead letters, newest first; one that cannot be read (its key is gone) is left out. */
  @Override
  public List<DeadLetter> deadLetters(int limit) {
    if (limit < 1) {
      return List.of();
    }
    return own("list dead letters", c -> {
      List<DeadLetter> out = new ArrayList<>();
      try (PreparedStatement ps = prepare(c, "SELECT id, payload, attempts, at_us, dead_kind, dead_reason, lapses FROM "
          + T + " WHERE state = 2 ORDER BY at_us DESC, id LIMIT ?")) {
        ps.setInt(1, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String id = rs.getString(1);
            try {
              QueuedMail mail = decode(id, rs.getBytes(2), rs.getInt(3), rs.getLong(4));
              byte[] reason = rs.getBytes(6);
              String text = reason == null
                  ? "its lease lapsed " + rs.getInt(7) + " times: it may crash or hang its worker (poison message)"
                  : new String(cipher.open(reason, reasonContext(id)), StandardCharsets.UTF_8);
              out.add(new DeadLetter(mail, FailureKind.valueOf(rs.getString(5)), text, instant(rs.getLong(4))));
            } catch (RuntimeException e) {
              log.warn("mail queue: dead letter {} cannot be read ({}); purge it by id", id, e.getMessage());
            }
          }
        }
      }
      return out;
    });
  }

  @Override
  public boolean requeueDeadLetter(String id) {
    return own("requeue " + id, c -> updateNotify(c, true, "UPDATE " + T
        + " SET state = 0, attempts = 0, lapses = 0, token = 0, at_us = {now}, seq = {seq}, dead_kind = NULL,"
        + " dead_reason = NULL WHERE id = ? AND state = 2", ps -> ps.setString(1, id)) == 1);
  }

  @Override
  public boolean purgeDeadLetter(String id) {
    return own("purge " + id, c -> {
      try (PreparedStatement ps = prepare(c, "DELETE FROM " + T + " WHERE id = ? AND state = 2")) {
        ps.setString(1, id);
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public long purgeDeadLetters() {
    return own("purge dead letters", c -> {
      try (Statement s = c.createStatement()) {
        return (long) s.executeUpdate("DELETE FROM " + T + " WHERE state = 2");
      }
    });
  }

  /** Stops handing out messages; returns nothing, since every message stays stored. */
  @Override
  public List<QueuedMail> drain() {
    draining = true;
    wakeup.signalAll();
    return List.of();
  }

  /** Stops the LISTEN thread. The {@link DataSource} is the application's and stays open. */
  @Override
  public void close() {
    closed = true;
    wakeup.signalAll();
    if (listener != null) {
      listener.close();
    }
  }

  @Override
  public String toString() {
    return "JdbcMailQueue[" + dialect + ", capacity=" + capacity + ", encrypted=" + cipher.encrypts() + "]";
  }

  // ---------------------------------------------------------------- plumbing

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /**
   * An update that wakes this JVM's workers, and with {@code notifyOthers} on PostgreSQL the other
   * JVMs' too (its NOTIFY goes out when it commits).
   */
  private int updateNotify(Connection c, boolean notifyOthers, String update, Binder binder) throws SQLException {
    if (dialect == Dialect.POSTGRESQL) {
      String notify = notifyOthers && notifyDue() ? ", pg_notify('" + Dialect.CHANNEL + "', '')" : "";
      try (PreparedStatement ps = prepare(c, dialect.sql("WITH u AS (" + update
          + " RETURNING 1) SELECT (SELECT COUNT(*) FROM u)" + notify))) {
        binder.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          int n = rs.getInt(1);
          wakeup.signalAll();
          return n;
        }
      }
    }
    try (PreparedStatement ps = prepare(c, dialect.sql(update))) {
      binder.bind(ps);
      int n = ps.executeUpdate();
      wakeup.signalAll();
      return n;
    }
  }

  /** Whether this write should carry a NOTIFY (see {@link #NOTIFY_EVERY_NANOS}). */
  private boolean notifyDue() {
    long now = System.nanoTime();
    long last = lastNotify.get();
    return now - last >= NOTIFY_EVERY_NANOS && lastNotify.compareAndSet(last, now);
  }

  private String returning(String update, String columns) {
    return dialect == Dialect.POSTGRESQL
        ? dialect.sql(update + " RETURNING " + columns)
        : dialect.sql("SELECT " + columns + " FROM FINAL TABLE (" + update + ")");
  }

  /**
   * Prepares {@code sql}. H2 evaluates the clock expression once per row it looks at (and cannot
   * use an index with it), so there the statement reads the time from a session variable set just
   * before from the same clock.
   */
  private PreparedStatement prepare(Connection c, String sql) throws SQLException {
    if (dialect == Dialect.H2 && sql.contains(Dialect.H2_NOW)) {
      try (Statement s = c.createStatement()) {
        s.execute(Dialect.H2_SET_NOW);
      }
    }
    return c.prepareStatement(sql);
  }

  /** Work on a connection of the queue's own, in autocommit. */
  private <T> T own(String what, SqlWork<T> work) {
    checkOpen();
    try (Connection c = dataSource.getConnection()) {
      ensureAutoCommit(c);
      return work.run(c);
    } catch (SQLException e) {
      throw failure("mail queue: could not " + what, e);
    }
  }

  /**
   * A write that joins the caller's transaction when there is one; otherwise an autocommit write
   * whose outcome is unknown when the connection broke while it ran.
   */
  private <T> T write(String mailId, String what, SqlWork<T> work) {
    Connection c = bound.get();
    if (c != null) {
      return inCallerTransaction(c, what, work);
    }
    CallerTransaction tx = callerTransaction;
    if (tx != null) {
      Connection joined = tx.connection(dataSource);
      if (joined != null) {
        try {
          return inCallerTransaction(joined, what, work);
        } finally {
          tx.release(joined, dataSource);
        }
      }
    }
    Connection own;
    try {
      own = dataSource.getConnection();
    } catch (SQLException e) {
      throw failure("mail queue: could not store " + what + " (no connection; nothing was stored)", e);
    }
    try (Connection closing = own) {
      ensureAutoCommit(closing);
      return work.run(closing);
    } catch (SQLException e) {
      if (connectionLost(e)) {
        throw new MailOutcomeUnknownException(mailId, "mail queue: the connection broke while storing " + what
            + "; it may or may not be stored, enqueuing it again is safe", sanitized(e));
      }
      throw failure("mail queue: could not store " + what, e);
    }
  }

  private <T> T inCallerTransaction(Connection c, String what, SqlWork<T> work) {
    try {
      return work.run(c);
    } catch (SQLException e) {
      // The caller's commit decides: its transaction is rolled back, or commits without the row.
      throw failure("mail queue: could not store " + what + " in the caller's transaction", e);
    }
  }

  private static void ensureAutoCommit(Connection c) throws SQLException {
    if (!c.getAutoCommit()) {
      c.setAutoCommit(true);
    }
  }

  private static boolean connectionLost(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("08")) {
        return true;
      }
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /** The database's own words, first line only: details may quote row values (bodies, addresses). */
  private static MailException failure(String what, SQLException e) {
    return new MailException(what + ": " + firstLine(e) + " (SQLState " + e.getSQLState() + ")", sanitized(e));
  }

  private static SQLException sanitized(SQLException e) {
    SQLException copy = new SQLException(firstLine(e), e.getSQLState(), e.getErrorCode());
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }

  private static String firstLine(SQLException e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static String reasonContext(String id) {
    return id + "#reason";
  }

  private static long micros(Duration d) {
    try {
      return Math.multiplyExact(d.getSeconds(), 1_000_000L) + d.getNano() / 1_000;
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE / 2 : Long.MAX_VALUE / 2;
    }
  }

  private static Instant instant(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return d;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the mail queue is closed");
    }
  }

  /** Configures a {@link JdbcMailQueue}. */
  public static final class Builder {
    private final DataSource dataSource;
    private long capacity = 1_000_000;
    private int maxLeaseLapses = 3;
    private @Nullable Duration pollInterval;
    private Duration finishedAge = Duration.ofHours(1);
    private int finishedMax = 10_000;
    private Duration deadAge = Duration.ofDays(30);
    private int deadMax = 100_000;
    private @Nullable EncryptionKeys keys;
    private @Nullable CallerTransaction callerTransaction;
    private boolean createSchema;
    private Clock clock = Clock.systemUTC();

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * The most unfinished messages (ready, scheduled, leased); default 1,000,000. Checked against
     * a count at most one second old plus what this JVM stored since, so a fleet may overshoot by
     * what the other JVMs stored within that second.
     */
    public Builder capacity(long capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
      }
      this.capacity = capacity;
      return this;
    }

    /** How many times a lease may lapse before the message is dead-lettered as poison; default 3. */
    public Builder maxLeaseLapses(int maxLeaseLapses) {
      if (maxLeaseLapses < 1) {
        throw new IllegalArgumentException("maxLeaseLapses must be at least 1, was " + maxLeaseLapses);
      }
      this.maxLeaseLapses = maxLeaseLapses;
      return this;
    }

    /**
     * The longest an idle worker waits before looking again: the fallback behind NOTIFY on
     * PostgreSQL (default 2 s), the poll interval on H2 (default 200 ms).
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = positive(pollInterval, "pollInterval");
      return this;
    }

    /**
     * How long finished messages stay on record (id, state and idempotency key digest; no
     * content), so that a repeated enqueue of a sent message, by id or by idempotency key, is a
     * no-op: {@code age} and at most {@code max} rows, whichever ends first; default 1 hour /
     * 10,000. This is the idempotency window of messages enqueued here (the Mailer's
     * {@code IdempotencyStore} is not asked for them): set it to the window you need. With
     * {@code max} 0 an ack deletes the row, and a sent message's key is free at once.
     */
    public Builder finishedRetention(Duration age, int max) {
      this.finishedAge = positive(age, "age");
      if (max < 0) {
        throw new IllegalArgumentException("max must not be negative, was " + max);
      }
      this.finishedMax = max;
      return this;
    }

    /** How long dead letters are kept, and how many; default 30 days / 100,000. Trims are logged. */
    public Builder deadLetterRetention(Duration age, int max) {
      this.deadAge = positive(age, "age");
      if (max < 1) {
        throw new IllegalArgumentException("max must be at least 1, was " + max);
      }
      this.deadMax = max;
      return this;
    }

    /**
     * Encrypts stored messages and dead-letter reasons with AES-GCM, as the Redis queue does (the
     * same keys and format); plaintext stored before stays readable.
     */
    public Builder encryption(EncryptionKeys keys) {
      this.keys = Objects.requireNonNull(keys, "keys");
      return this;
    }

    /** Joins the caller's transaction this way (Spring's auto-configuration sets one). */
    public Builder callerTransaction(CallerTransaction callerTransaction) {
      this.callerTransaction = Objects.requireNonNull(callerTransaction, "callerTransaction");
      return this;
    }

    /**
     * Runs {@link #SCHEMA_RESOURCES} at build (it creates only what is missing). Off by default:
     * most applications run it with their own migrations.
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /** The clock that turns a message's due time into a delay (the database's clock decides). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the queue; on PostgreSQL it holds one connection of the data source for LISTEN.
     *
     * @throws MailException if the database cannot be reached or the table is missing
     */
    public JdbcMailQueue build() {
      Dialect dialect;
      try (Connection c = dataSource.getConnection()) {
        dialect = Dialect.of(c);
        ensureAutoCommit(c);
        if (createSchema) {
          try (Statement s = c.createStatement()) {
            for (String statement : schemaSql().replaceAll("(?m)--.*$", "").split(";")) {
              if (!statement.isBlank()) {
                s.execute(statement);
              }
            }
          }
        }
        try (Statement s = c.createStatement()) {
          s.executeQuery("SELECT id, idem_key FROM " + T + " WHERE 1 = 0").close();
        } catch (SQLException e) {
          throw new MailException("mail queue: table " + T + " is not there or lacks schema version "
              + SCHEMA_RESOURCES.size() + " (" + firstLine(e) + "): run " + String.join(" then ", SCHEMA_RESOURCES)
              + " or build with createSchema(true)", sanitized(e));
        }
      } catch (SQLException e) {
        throw failure("mail queue: cannot reach the database", e);
      }
      return new JdbcMailQueue(this, dialect);
    }
  }
}
