package io.postline.mail.core.internal;

import io.postline.mail.FailureKind;
import io.postline.mail.MailException;
import io.postline.mail.Priority;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MailQueue} in memory, for one JVM: what it holds is lost when the JVM stops, so
 * {@link #drain()} hands back every unfinished message on shutdown.
 *
 * <p><b>Order.</b> A message is <em>ready</em> once its {@link QueuedMail#dueAt()} has come, judged
 * by the clock given to the constructor; until then it is <em>scheduled</em>. {@link #take} hands
 * out ready messages HIGH before NORMAL before LOW and, within one priority, in the order they were
 * first enqueued (a sequence number, not a timestamp, decides, so messages enqueued at the same
 * instant keep their order). A retried or lapsed message keeps its place in that order; a requeued
 * dead letter joins the end of its priority.
 *
 * <p><b>Leases.</b> Every lease gets a new fencing token, growing across the queue. A lease is
 * current until its {@code expiresAt} (by the clock); once that has come the lease has lapsed, the
 * message is ready again with its attempts unchanged, and {@link #renew}, {@link #ack},
 * {@link #reschedule} and {@link #deadLetter} with the old lease are refused and change nothing.
 * Renewing keeps the token. Lapsed leases are found on every call, so no thread of its own is
 * needed.
 *
 * <p><b>Waiting.</b> {@link #take} waits on a condition, without polling, until a message is
 * enqueued or returned, the earliest scheduled message or lease expiry comes due, or its
 * {@code wait} elapses. Its waits are measured in real time and the clock is read again on every
 * wake-up: with a clock that does not move by itself (a test clock), {@code take} still returns
 * after {@code wait}, and a message made due only by moving such a clock is found by the next call
 * or wake-up.
 *
 * <p><b>Bounds.</b> At most {@code capacity} messages are held (ready, scheduled and leased);
 * {@link #enqueue} and {@link #requeueDeadLetter} beyond that throw {@link QueueFullException} and
 * store nothing. The dead letters are bounded separately, to {@code capacity} as well: when a
 * message is dead-lettered while that many are kept, the oldest dead letter is dropped, and every
 * drop is logged at WARN with the id dropped and the number dropped so far (also available from
 * {@link #droppedDeadLetters()}), never silently.
 *
 * <p><b>Shutdown.</b> {@link #drain()} stops handing out messages ({@code take} then returns
 * empty at once, {@code enqueue} throws) and returns every unfinished message. Leases still out
 * can be completed until {@link #close()}; a message they reschedule, or whose lease lapses, is
 * kept and returned by the next {@code drain()}. {@code close()} discards what is left, with a
 * WARN giving the counts if that is anything.
 *
 * <p>Thread-safe: one lock guards the state, held only for the short bookkeeping of each call.
 * Enqueue and take cost O(log n). Logs carry message ids and counts, never message content.
 */
public final class InMemoryMailQueue implements MailQueue {
  private static final Logger log = LoggerFactory.getLogger(InMemoryMailQueue.class);

  private static final Priority[] PRIORITIES = Priority.values();

  private static final Comparator<Entry> BY_SEQUENCE = Comparator.comparingLong(e -> e.seq);
  private static final Comparator<Entry> BY_DUE =
      Comparator.<Entry, Instant>comparing(e -> e.mail.dueAt()).thenComparingLong(e -> e.seq);
  private static final Comparator<Entry> BY_EXPIRY =
      Comparator.<Entry, Instant>comparing(e -> Objects.requireNonNull(e.expiresAt))
          .thenComparingLong(e -> e.token);

  /** How many finished ids are remembered against repeated enqueues. */
  private static final int FINISHED_IDS = 10_000;

  private final int capacity;
  private final Clock clock;

  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when a message may have become ready or the earliest wake-up time moved. */
  private final Condition changed = lock.newCondition();

  // Everything below is guarded by lock.
  /** Every message held (ready, scheduled or leased), by id. */
  private final Map<String, Entry> held = new HashMap<>();
  /** Ready messages, one queue per priority (by ordinal), in enqueue order. */
  private final List<PriorityQueue<Entry>> ready = new ArrayList<>(PRIORITIES.length);
  /** Messages not yet due, earliest first. */
  private final PriorityQueue<Entry> scheduled = new PriorityQueue<>(BY_DUE);
  /** Leased messages, the earliest expiry first. */
  private final TreeSet<Entry> leased = new TreeSet<>(BY_EXPIRY);
  /** Dead letters by arrival, oldest first. */
  private final TreeMap<Long, DeadLetter> deadLetters = new TreeMap<>();
  private final Map<String, Long> deadLetterIds = new HashMap<>();
  /** Ids of recently sent messages, so that storing one again (a retried enqueue) changes nothing. */
  private final Map<String, Boolean> finished = new java.util.LinkedHashMap<>(16, 0.75f, false) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > FINISHED_IDS;
    }
  };
  private long nextSeq;
  private long nextToken;
  private long nextDeadLetterSeq;
  private long droppedDeadLetters;
  private boolean draining;
  private boolean closed;

  /**
   * Creates an empty queue.
   *
   * @param capacity the most messages held at once (ready, scheduled and leased), and also the
   *     most dead letters kept; at least 1
   * @param clock decides when messages are due and when leases lapse
   * @throws IllegalArgumentException if {@code capacity} is below 1
   */
  public InMemoryMailQueue(int capacity, Clock clock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("queue capacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
    this.clock = Objects.requireNonNull(clock, "clock");
    for (int i = 0; i < PRIORITIES.length; i++) {
      ready.add(new PriorityQueue<>(BY_SEQUENCE));
    }
  }

  @Override
  public void enqueue(QueuedMail mail) {
    Objects.requireNonNull(mail, "mail");
    int lapsed = 0;
    lock.lock();
    try {
      Instant now = clock.instant();
      lapsed = refresh(now);
      checkAccepting(mail.id());
      if (!known(mail.id())) {
        checkRoom(mail.id());
        store(mail, now);
      }
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  /** Stores every message of the batch, or (when they do not all fit) none. */
  @Override
  public void enqueueBatch(List<QueuedMail> mails) {
    Objects.requireNonNull(mails, "mails");
    int lapsed = 0;
    lock.lock();
    try {
      Instant now = clock.instant();
      lapsed = refresh(now);
      List<QueuedMail> fresh = new ArrayList<>(mails.size());
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (QueuedMail mail : mails) {
        checkAccepting(mail.id());
        if (!known(mail.id()) && seen.add(mail.id())) {
          fresh.add(mail);
        }
      }
      if (held.size() + fresh.size() > capacity) {
        throw new QueueFullException("the in-memory mail queue holds " + held.size() + " of " + capacity
            + " messages and cannot take a batch of " + fresh.size() + "; nothing of the batch was queued");
      }
      for (QueuedMail mail : fresh) {
        store(mail, now);
      }
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  /** Whether the queue holds the id already: queued, leased, dead-lettered or recently sent. */
  private boolean known(String id) {
    return held.containsKey(id) || deadLetterIds.containsKey(id) || finished.containsKey(id);
  }

  private void store(QueuedMail mail, Instant now) {
    Entry entry = new Entry(mail, nextSeq++);
    held.put(mail.id(), entry);
    place(entry, now);
  }

  @Override
  public Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException {
    List<Lease> leases = take(1, wait, leaseFor);
    return leases.isEmpty() ? Optional.empty() : Optional.of(leases.get(0));
  }

  /**
   * Leases up to {@code max} ready messages at once, in the order single takes would hand them
   * out, waiting up to {@code wait} only while none is ready.
   */
  @Override
  public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    Objects.requireNonNull(wait, "wait");
    requirePositive(leaseFor, "leaseFor");
    if (wait.isNegative()) {
      throw new IllegalArgumentException("wait must not be negative, was " + wait);
    }
    long waitNanos = saturatedNanos(wait);
    long start = System.nanoTime();
    int lapsed = 0;
    lock.lockInterruptibly();
    try {
      while (true) {
        if (draining) {
          return List.of();
        }
        Instant now = clock.instant();
        lapsed += refresh(now);
        Entry entry = pollReady();
        if (entry != null) {
          Instant expiresAt = plusSaturated(now, leaseFor);
          List<Lease> out = new ArrayList<>(Math.min(max, 16));
          while (entry != null) {
            entry.token = ++nextToken;
            entry.expiresAt = expiresAt;
            leased.add(entry);
            out.add(new Lease(entry.mail, entry.token, expiresAt));
            entry = out.size() < max ? pollReady() : null;
          }
          if (readyCount() > 0) {
            changed.signal(); // pass the turn on: another waiter may take the next one
          }
          return out;
        }
        long remaining = waitNanos - (System.nanoTime() - start);
        if (remaining <= 0) {
          return List.of();
        }
        changed.awaitNanos(Math.min(remaining, nanosUntilNextChange(now)));
      }
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  @Override
  public Optional<Lease> renew(Lease lease, Duration leaseFor) {
    Objects.requireNonNull(lease, "lease");
    requirePositive(leaseFor, "leaseFor");
    int lapsed = 0;
    lock.lock();
    try {
      Instant now = clock.instant();
      lapsed = refresh(now);
      Entry entry = current(lease);
      if (entry == null) {
        return Optional.empty();
      }
      Instant expiresAt = plusSaturated(now, leaseFor);
      leased.remove(entry);
      entry.expiresAt = expiresAt;
      leased.add(entry);
      return Optional.of(new Lease(entry.mail, entry.token, expiresAt));
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  @Override
  public boolean ack(Lease lease) {
    Objects.requireNonNull(lease, "lease");
    int lapsed = 0;
    lock.lock();
    try {
      lapsed = refresh(clock.instant());
      Entry entry = current(lease);
      if (entry == null) {
        return false;
      }
      leased.remove(entry);
      held.remove(entry.mail.id());
      finished.put(entry.mail.id(), Boolean.TRUE);
      return true;
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  @Override
  public boolean reschedule(Lease lease, Instant dueAt, int attempts) {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(dueAt, "dueAt");
    requireAttempts(attempts);
    int lapsed = 0;
    lock.lock();
    try {
      Instant now = clock.instant();
      lapsed = refresh(now);
      Entry entry = current(lease);
      if (entry == null) {
        return false;
      }
      leased.remove(entry);
      entry.expiresAt = null;
      entry.mail = entry.mail.retriedAt(dueAt, attempts);
      place(entry, now);
      return true;
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  @Override
  public boolean deadLetter(Lease lease, int attempts, FailureKind kind, String reason) {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
    requireAttempts(attempts);
    int lapsed = 0;
    DeadLetter dropped = null;
    long droppedSoFar = 0;
    lock.lock();
    try {
      Instant now = clock.instant();
      lapsed = refresh(now);
      Entry entry = current(lease);
      if (entry == null) {
        return false;
      }
      leased.remove(entry);
      held.remove(entry.mail.id());
      QueuedMail mail = entry.mail.retriedAt(entry.mail.dueAt(), attempts);
      dropped = addDeadLetter(new DeadLetter(mail, kind, reason, now));
      droppedSoFar = droppedDeadLetters;
      return true;
    } finally {
      lock.unlock();
      logLapsed(lapsed);
      if (dropped != null) {
        log.warn("Dead letters are at their bound of {}: dropped the oldest, {} (dead-lettered {}, {}),"
                + " {} dropped so far", capacity, dropped.id(), dropped.deadLetteredAt(), dropped.kind(),
            droppedSoFar);
      }
    }
  }

  @Override
  public QueueCounts counts() {
    int lapsed = 0;
    lock.lock();
    try {
      lapsed = refresh(clock.instant());
      return countsLocked();
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  @Override
  public List<DeadLetter> deadLetters(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
    lock.lock();
    try {
      List<DeadLetter> newestFirst = new ArrayList<>(Math.min(limit, deadLetters.size()));
      Iterator<DeadLetter> it = deadLetters.descendingMap().values().iterator();
      while (newestFirst.size() < limit && it.hasNext()) {
        newestFirst.add(it.next());
      }
      return List.copyOf(newestFirst);
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The message joins the end of its priority, due now with no attempts, and keeps its id.
   *
   * @throws QueueFullException if the queue is at its capacity; the dead letter stays
   * @throws IllegalStateException if a message with the same id is queued
   * @throws MailException if the queue was drained or closed; the dead letter stays
   */
  @Override
  public boolean requeueDeadLetter(String id) {
    Objects.requireNonNull(id, "id");
    int lapsed = 0;
    lock.lock();
    try {
      Instant now = clock.instant();
      lapsed = refresh(now);
      Long key = deadLetterIds.get(id);
      if (key == null) {
        return false;
      }
      checkAccepting(id);
      if (held.containsKey(id)) {
        throw new IllegalStateException("cannot requeue dead letter " + id
            + ": a message with that id is queued");
      }
      checkRoom(id);
      DeadLetter letter = Objects.requireNonNull(deadLetters.remove(key));
      deadLetterIds.remove(id);
      Entry entry = new Entry(letter.mail().retriedAt(now, 0), nextSeq++);
      held.put(id, entry);
      place(entry, now);
      return true;
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
  }

  @Override
  public boolean purgeDeadLetter(String id) {
    Objects.requireNonNull(id, "id");
    lock.lock();
    try {
      Long key = deadLetterIds.remove(id);
      if (key == null) {
        return false;
      }
      deadLetters.remove(key);
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long purgeDeadLetters() {
    lock.lock();
    try {
      long count = deadLetters.size();
      deadLetters.clear();
      deadLetterIds.clear();
      return count;
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Removes the ready and scheduled messages from this queue and returns them with the leased
   * ones: ready in the order they would have been taken, then scheduled by due time, then leased by
   * lease expiry. The leased ones stay held so that their workers can still complete them; called
   * again, {@code drain()} returns those still out and whatever came back since (a rescheduled
   * message or a lapsed lease).
   */
  @Override
  public List<QueuedMail> drain() {
    int lapsed = 0;
    List<QueuedMail> unfinished;
    lock.lock();
    try {
      lapsed = refresh(clock.instant());
      draining = true;
      unfinished = new ArrayList<>(held.size());
      for (PriorityQueue<Entry> queue : ready) {
        drainInOrder(queue, unfinished);
      }
      drainInOrder(scheduled, unfinished);
      for (Entry entry : leased) {
        unfinished.add(entry.mail);
      }
      changed.signalAll(); // waiting takes return empty now
    } finally {
      lock.unlock();
      logLapsed(lapsed);
    }
    if (!unfinished.isEmpty()) {
      log.info("Mail queue drained: {} unfinished messages handed back", unfinished.size());
    }
    return List.copyOf(unfinished);
  }

  /**
   * Discards everything still held, after {@link #drain()} if that was not called: a WARN gives
   * the counts of what was discarded. Later leases are no longer current.
   */
  @Override
  public void close() {
    QueueCounts left;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      left = countsLocked();
      closed = true;
      draining = true;
      for (PriorityQueue<Entry> queue : ready) {
        queue.clear();
      }
      scheduled.clear();
      leased.clear();
      held.clear();
      deadLetters.clear();
      deadLetterIds.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (left.pending() > 0) {
      log.warn("Mail queue closed with {} unfinished messages discarded (ready {}, scheduled {}, leased {});"
              + " drain() first to keep them", left.pending(), left.readyTotal(), left.scheduled(),
          left.leased());
    }
  }

  /** How many dead letters were dropped so far because the dead letters were at their bound. */
  public long droppedDeadLetters() {
    lock.lock();
    try {
      return droppedDeadLetters;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "InMemoryMailQueue[capacity=" + capacity + "]";
  }

  // ---- guarded by lock ----------------------------------------------------------------------

  /** Moves due scheduled messages and lapsed leases to ready; returns how many leases lapsed. */
  private int refresh(Instant now) {
    boolean moved = false;
    Entry next;
    while ((next = scheduled.peek()) != null && !next.mail.dueAt().isAfter(now)) {
      scheduled.poll();
      ready.get(next.mail.priority().ordinal()).add(next);
      moved = true;
    }
    int lapsed = 0;
    while (!leased.isEmpty() && !Objects.requireNonNull(leased.first().expiresAt).isAfter(now)) {
      Entry entry = leased.pollFirst();
      entry.expiresAt = null; // its token is no longer current
      ready.get(entry.mail.priority().ordinal()).add(entry);
      lapsed++;
    }
    if (moved || lapsed > 0) {
      changed.signal();
    }
    return lapsed;
  }

  /** Puts a held message where its due time says, and wakes a waiter that may want it. */
  private void place(Entry entry, Instant now) {
    if (entry.mail.dueAt().isAfter(now)) {
      scheduled.add(entry);
      if (scheduled.peek() == entry) {
        changed.signal(); // a waiter timed on a later due time recomputes
      }
    } else {
      ready.get(entry.mail.priority().ordinal()).add(entry);
      changed.signal();
    }
  }

  private @Nullable Entry pollReady() {
    for (PriorityQueue<Entry> queue : ready) {
      Entry entry = queue.poll();
      if (entry != null) {
        return entry;
      }
    }
    return null;
  }

  private int readyCount() {
    int count = 0;
    for (PriorityQueue<Entry> queue : ready) {
      count += queue.size();
    }
    return count;
  }

  /** The leased entry {@code lease} holds, or null if the lease is not current. */
  private @Nullable Entry current(Lease lease) {
    Entry entry = held.get(lease.id());
    if (entry == null || entry.expiresAt == null || entry.token != lease.token()) {
      return null;
    }
    return entry;
  }

  /** Real-time nanoseconds until the clock reaches the next due time or lease expiry. */
  private long nanosUntilNextChange(Instant now) {
    Instant next = null;
    Entry due = scheduled.peek();
    if (due != null) {
      next = due.mail.dueAt();
    }
    if (!leased.isEmpty()) {
      Instant expiry = Objects.requireNonNull(leased.first().expiresAt);
      next = next == null || expiry.isBefore(next) ? expiry : next;
    }
    if (next == null) {
      return Long.MAX_VALUE;
    }
    return Math.max(1, saturatedNanos(Duration.between(now, next)));
  }

  private void checkAccepting(String id) {
    if (draining) {
      throw new MailException("mail queue is " + (closed ? "closed" : "drained")
          + ": message " + id + " was not queued");
    }
  }

  private void checkRoom(String id) {
    if (held.size() >= capacity) {
      throw new QueueFullException("mail queue is full: it holds " + held.size()
          + " messages (ready, scheduled and leased) of its capacity " + capacity
          + "; message " + id + " was not queued");
    }
  }

  /** Adds a dead letter; returns the oldest one if it had to be dropped to make room. */
  private @Nullable DeadLetter addDeadLetter(DeadLetter letter) {
    Long previous = deadLetterIds.remove(letter.id());
    if (previous != null) {
      deadLetters.remove(previous); // the same message dead-lettered again: keep the newest
    }
    DeadLetter dropped = null;
    if (deadLetters.size() >= capacity) {
      Map.Entry<Long, DeadLetter> oldest = Objects.requireNonNull(deadLetters.pollFirstEntry());
      dropped = oldest.getValue();
      deadLetterIds.remove(dropped.id());
      droppedDeadLetters++;
    }
    long key = nextDeadLetterSeq++;
    deadLetters.put(key, letter);
    deadLetterIds.put(letter.id(), key);
    return dropped;
  }

  private QueueCounts countsLocked() {
    Map<Priority, Long> byPriority = new EnumMap<>(Priority.class);
    for (Priority p : PRIORITIES) {
      byPriority.put(p, (long) ready.get(p.ordinal()).size());
    }
    return new QueueCounts(byPriority, scheduled.size(), leased.size(), deadLetters.size());
  }

  private void drainInOrder(PriorityQueue<Entry> queue, List<QueuedMail> into) {
    Entry entry;
    while ((entry = queue.poll()) != null) {
      held.remove(entry.mail.id());
      into.add(entry.mail);
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static void logLapsed(int lapsed) {
    if (lapsed > 0) {
      log.warn("{} mail queue lease(s) lapsed: the messages are ready again for another worker", lapsed);
    }
  }

  private static void requirePositive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + duration);
    }
  }

  private static void requireAttempts(int attempts) {
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must not be negative, was " + attempts);
    }
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static Instant plusSaturated(Instant instant, Duration duration) {
    try {
      return instant.plus(duration);
    } catch (java.time.DateTimeException | ArithmeticException tooFar) {
      return Instant.MAX;
    }
  }

  /** A held message and its bookkeeping; mutated only under the lock. */
  private static final class Entry {
    QueuedMail mail;
    /** Enqueue order: decides FIFO within a priority, and ties between equal due times. */
    final long seq;
    /** The current lease's token; meaningful only while {@link #expiresAt} is set. */
    long token;
    /** Set while leased, null otherwise. */
    @Nullable Instant expiresAt;

    Entry(QueuedMail mail, long seq) {
      this.mail = mail;
      this.seq = seq;
    }
  }
}
