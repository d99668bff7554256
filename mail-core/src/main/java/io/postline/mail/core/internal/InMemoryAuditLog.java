package io.postline.mail.core.internal;

import io.postline.mail.core.AuditLog;
import io.postline.mail.event.MailEvent;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * {@link AuditLog} in memory: each message's events for {@code retention} after its last event,
 * for the newest {@code maxMessages} messages.
 *
 * <p>It runs on every sending thread, so recording takes no lock, reads no clock (an event's own
 * timestamp is its time) and allocates once per message. Messages are held in <em>generations</em>
 * of {@code maxMessages}: each places its stories in the order they begin and indexes them by id
 * in a fixed table that is only ever added to (one compare-and-set into an empty slot), and a full
 * generation is followed by a new one. Forgetting is dropping a whole generation, never removing one message (which would touch a
 * long-cold entry on every send): when a new generation begins, the one before the last is let
 * go, and a sealed generation whose every story is past its retention is let go early. Up to twice
 * {@code maxMessages} stories may be held, but {@link #find} shows only the newest
 * {@code maxMessages} and only those within their retention. A message's retention runs from the
 * timestamp of its latest event, and {@link #find} compares it with this log's clock. The mailer
 * tells the log where a message's story is ({@link #record(MailEvent, Object)}): a new message's
 * first event begins its story without a lookup and without indexing it (the next lookup does),
 * and the events after it go to the story the first one answered, as long as the log still holds
 * it. A send of a new message so costs one claimed place and one appended event.
 *
 * <p>A message's first event makes its {@link Story}, with room for the few events most messages
 * have; later events are appended by claiming a position with one atomic increment, and a long
 * story grows by chunks of doubling size. Two threads that record the very first event of one
 * message at once both take a place in the count (one story is kept), and if a generation fills
 * just then, may begin two stories, of which the newer is found.
 */
public final class InMemoryAuditLog implements AuditLog {
  /** Generations held: the one filling and the one before it. */
  private static final int GENERATIONS = 2;

  private final Duration retention;
  private final long retentionMillis;
  private final int maxMessages;
  /** Messages per generation. */
  private final int generationSize;
  private final Clock clock;
  /** The generations held, newest first; replaced whole (copy on write) when one begins or is let go. */
  private volatile Generation[] generations;

  /** Creates the log. */
  public InMemoryAuditLog(Duration retention, int maxMessages, Clock clock) {
    Objects.requireNonNull(retention, "retention");
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("audit retention must be positive, was " + retention);
    }
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
    }
    this.retention = retention;
    this.retentionMillis = retention.toMillis();
    this.maxMessages = maxMessages;
    this.generationSize = maxMessages;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.generations = new Generation[] {new Generation(0, generationSize, Long.MAX_VALUE)};
  }

  /** The place of a message none of whose events was recorded: {@link #record(MailEvent, Object)} begins its story. */
  static final Object UNSEEN = new Object();

  @Override
  public void record(MailEvent event) {
    record(event, null);
  }

  /**
   * Records {@code event} and answers its message's story, for the caller to hand back with the
   * message's next event: the story is then appended to without looking the message up, as long as
   * this log still holds it.
   *
   * @param place this method's answer for the message's previous event, {@link #UNSEEN} when no
   *     event of the message was recorded before, or null when unknown
   */
  Object record(MailEvent event, @Nullable Object place) {
    // The event's own time, not a clock reading: recording stays off the clock on the sending path.
    long now = event.timestamp().toEpochMilli();
    if (place == UNSEEN) {
      return begin(event, now, true);
    }
    String id = event.mailId();
    Generation[] held = generations;
    Story story = place instanceof Story known && known.id.equals(id) && holds(held, known) ? known : find(held, id);
    if (story == null || hiddenByCount(held, story)) {
      return begin(event, now, false);
    }
    story.append(event, now);
    return story;
  }

  @Override
  public List<MailEvent> find(String mailId) {
    Generation[] held = generations;
    Story story = find(held, mailId);
    if (story == null || hiddenByCount(held, story) || story.expired(clock.millis(), retentionMillis)) {
      return List.of();
    }
    return story.events();
  }

  @Override
  public String toString() {
    Generation[] held = generations;
    long visible = 0;
    for (Generation g : held) {
      visible += g.filled();
    }
    return "InMemoryAuditLog[retention=" + retention + ", maxMessages=" + maxMessages + ", messages="
        + Math.min(visible, maxMessages) + "]";
  }

  private static Story find(Generation[] held, String id) {
    int hash = hashOf(id);
    for (Generation g : held) {
      Story s = g.get(id, hash);
      if (s != null) {
        return s;
      }
    }
    return null;
  }

  /** Whether {@code story} is in one of the generations {@code held} (stories are numbered across generations in order). */
  private static boolean holds(Generation[] held, Story story) {
    return story.sequence - held[held.length - 1].base >= 0;
  }

  /** Whether {@code maxMessages} newer messages began after this one: it counts as forgotten. */
  private boolean hiddenByCount(Generation[] held, Story story) {
    Generation newest = held[0];
    return newest.base + newest.filled() - story.sequence > maxMessages;
  }

  /**
   * Begins the story of a message not seen before with its first event (or appends the event to
   * the story another thread began for it just now), and answers it.
   */
  private Story begin(MailEvent first, long now, boolean unseen) {
    String id = first.mailId();
    while (true) {
      Generation[] held = generations;
      Generation newest = held[0];
      int n = newest.claim();
      if (n < generationSize) {
        Story fresh = new Story(id, newest.base + n, first, now);
        newest.place(n, fresh);
        // A message seen before by no one cannot be begun twice: its story waits for a lookup to index it.
        Story story = unseen ? fresh : newest.index(n, fresh, hashOf(id));
        if (story != fresh) {
          story.append(first, now);
        }
        if (n == generationSize - 1) {
          next(held, now); // sealed as it fills, so its stories' retention is counted from their time
        }
        letGoExpired(generations, now);
        return story;
      }
      next(held, now); // only after a race past the last place
    }
  }

  /** Begins a new generation after {@code held[0]}, unless another thread just did. */
  private synchronized void next(Generation[] held, long now) {
    if (generations != held) {
      return;
    }
    Generation full = held[0];
    // None of its stories can expire before the newest of them, begun about now, does.
    full.seal(now + retentionMillis);
    Generation[] next = new Generation[Math.min(GENERATIONS, held.length + 1)];
    next[0] = new Generation(full.base + generationSize, generationSize, Long.MAX_VALUE);
    System.arraycopy(held, 0, next, 1, next.length - 1);
    generations = next;
  }

  /**
   * Lets go of the oldest generation once every story in it is past its retention. It is looked at
   * only when its review time has come (a sealed generation's stories began before it was sealed),
   * so most messages pay one read here.
   */
  private void letGoExpired(Generation[] held, long eventMillis) {
    Generation oldest = held[held.length - 1];
    if (held.length == 1 || eventMillis < oldest.reviewAt) {
      return;
    }
    // An event may carry a provider's time, even one ahead of ours: what is let go is decided by
    // this log's clock (read here only, when a review is due).
    long now = Math.min(eventMillis, clock.millis());
    if (now < oldest.reviewAt) {
      return;
    }
    long lastEvent = oldest.lastEvent();
    if (now - lastEvent <= retentionMillis) {
      oldest.reviewAt = lastEvent + retentionMillis + 1;
      return;
    }
    synchronized (this) {
      Generation[] current = generations;
      if (current[current.length - 1] == oldest && current.length > 1) {
        Generation[] fewer = new Generation[current.length - 1];
        System.arraycopy(current, 0, fewer, 0, fewer.length);
        generations = fewer;
      }
    }
  }

  /**
   * The table hash of an id. {@link String#hashCode()} is one chain of multiplications, about 25 ns
   * for a 26-character mail id that is new on every send (a new string has no cached hash); four
   * interleaved chains cover every character in a quarter of the time. The result is scattered
   * over the table: consecutive mail ids differ only in their last characters, so their hashes are
   * consecutive numbers, which linear probing would pile into one run.
   */
  static int hashOf(String id) {
    int n = id.length();
    int a = 0;
    int b = 0;
    int c = 0;
    int d = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      a = 31 * a + id.charAt(i);
      b = 31 * b + id.charAt(i + 1);
      c = 31 * c + id.charAt(i + 2);
      d = 31 * d + id.charAt(i + 3);
    }
    for (; i < n; i++) {
      a = 31 * a + id.charAt(i);
    }
    return spread(((a * 31 + b) * 31 + c) * 31 + d);
  }

  private static int spread(int h) {
    int x = h * 0x9E3779B9; // Fibonacci hashing: the golden ratio's bits mix the low bits into the high
    x ^= x >>> 16;
    return x == 0 ? 1 : x; // 0 marks a free place
  }

  /**
   * One generation: its stories in the order their places were claimed, and an index of them by
   * id. The index is an open-addressed table, at most two thirds full, that is only added to; each
   * slot holds a story's hash (never 0) and its place, written in one compare-and-set, so a lookup
   * compares hashes before it follows a story, and a miss touches only the table.
   *
   * <p>A new message's story is placed without being indexed ({@link #place}): a send looks no
   * message up, and indexing would be most of what its audit costs. The stories placed since are
   * indexed by the next lookup ({@link #catchUp}, under this generation's lock), which needs them.
   */
  private static final class Generation {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle STORY = MethodHandles.arrayElementVarHandle(Story[].class);

    final int base;
    private final int size;
    /** Story {@code n} of this generation at {@code n}. */
    private final Story[] placed;
    /** The index: each slot {@code hash << 32 | place + 1}, 0 while free. */
    private final long[] slots;
    private final int mask;
    /** Places claimed; past {@link #size}, the generation is full. */
    private final AtomicInteger claimed = new AtomicInteger();
    /** How many placed stories, from the first, the index holds; moved on under this generation's lock. */
    private volatile int indexed;
    /** When to look at whether all its stories expired; never while it is the one filling. */
    volatile long reviewAt;

    Generation(int base, int size, long reviewAt) {
      this.base = base;
      this.size = size;
      this.placed = new Story[size];
      int capacity = Integer.highestOneBit(Math.max(2, size + (size + 1) / 2) * 2 - 1);
      this.slots = new long[capacity];
      this.mask = capacity - 1;
      this.reviewAt = reviewAt;
    }

    int claim() {
      return claimed.getAndIncrement();
    }

    int filled() {
      return Math.min(claimed.get(), size);
    }

    void seal(long reviewAt) {
      this.reviewAt = reviewAt;
    }

    /** Puts the story of claimed place {@code n} there, not indexed yet. */
    void place(int n, Story story) {
      STORY.setRelease(placed, n, story);
    }

    /**
     * The story of {@code id}, whose {@link #hashOf hash} is {@code hash}; null if none. Stories
     * placed after this call began may not be seen.
     */
    Story get(String id, int hash) {
      catchUp();
      for (int i = hash & mask; ; i = (i + 1) & mask) {
        long slot = (long) SLOT.getAcquire(slots, i);
        if (slot == 0) {
          return null;
        }
        if ((int) (slot >>> 32) == hash) {
          Story s = (Story) STORY.getAcquire(placed, (int) slot - 1);
          if (s.id.equals(id)) {
            return s;
          }
        }
      }
    }

    /**
     * Indexes placed story {@code n}, or returns the story another thread indexed for its id first
     * (two first events of one message at once).
     */
    Story index(int n, Story story, int hash) {
      long mine = (long) hash << 32 | n + 1;
      for (int i = hash & mask; ; i = (i + 1) & mask) {
        long slot = (long) SLOT.getAcquire(slots, i);
        if (slot == 0) {
          if (SLOT.compareAndSet(slots, i, 0L, mine)) {
            return story;
          }
          slot = (long) SLOT.getAcquire(slots, i);
        }
        if ((int) (slot >>> 32) == hash) {
          Story s = (Story) STORY.getAcquire(placed, (int) slot - 1);
          if (s.id.equals(story.id)) {
            return s;
          }
        }
      }
    }

    /** Indexes the stories placed since the last lookup; a place claimed but not yet filled is waited for. */
    private void catchUp() {
      int target = filled();
      if (indexed >= target) {
        return; // most lookups: nothing new
      }
      synchronized (this) {
        for (int n = indexed; n < target; n++) {
          Story s = storyAt(n);
          index(n, s, hashOf(s.id));
        }
        if (target > indexed) {
          indexed = target;
        }
      }
    }

    /** The story of a claimed place: its claimer fills it right after the claim. */
    private Story storyAt(int n) {
      Story s = (Story) STORY.getAcquire(placed, n);
      while (s == null) {
        Thread.onSpinWait();
        s = (Story) STORY.getAcquire(placed, n);
      }
      return s;
    }

    /** The latest event time of any of its stories (a scan, done at most a few times per generation). */
    long lastEvent() {
      long last = Long.MIN_VALUE;
      for (int n = 0; n < placed.length; n++) {
        Story s = (Story) STORY.getAcquire(placed, n);
        if (s != null) {
          last = Math.max(last, s.lastMillis());
        }
      }
      return last;
    }
  }

  /** Events past a story's own places, in chunks of doubling size. */
  private static final class Chunk {
    private static final VarHandle NEXT;

    static {
      try {
        NEXT = MethodHandles.lookup().findVarHandle(Chunk.class, "next", Chunk.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final MailEvent[] events;
    @SuppressWarnings("unused") // through NEXT
    private volatile Chunk next;

    Chunk(int size) {
      events = new MailEvent[size];
    }

    /** The chunk after this one, made now if no thread has made it yet. */
    Chunk nextOrGrow() {
      Chunk n = next;
      if (n == null) {
        Chunk grown = new Chunk(events.length * 2);
        n = NEXT.compareAndSet(this, null, grown) ? grown : next;
      }
      return n;
    }

    Chunk nextOrNull() {
      return next;
    }
  }

  /**
   * One message's events, in the order their positions were claimed. The first {@value #OWN}
   * events (all of most messages': a synchronous send tells 2, a queued one 3) have places in the
   * story itself; a retry or a failover adds 2 or 3, which go to {@link Chunk}s of 4, 8, ...
   */
  private static final class Story {
    static final int OWN = 3;
    private static final VarHandle EVENT = MethodHandles.arrayElementVarHandle(MailEvent[].class);
    private static final VarHandle COUNT;
    private static final VarHandle LAST;
    private static final VarHandle MORE;
    // One constant handle per place (an array of handles would not be constant-folded by the JIT).
    private static final VarHandle E0;
    private static final VarHandle E1;
    private static final VarHandle E2;

    static {
      try {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        COUNT = lookup.findVarHandle(Story.class, "count", int.class);
        LAST = lookup.findVarHandle(Story.class, "lastMillis", long.class);
        MORE = lookup.findVarHandle(Story.class, "more", Chunk.class);
        E0 = lookup.findVarHandle(Story.class, "e0", MailEvent.class);
        E1 = lookup.findVarHandle(Story.class, "e1", MailEvent.class);
        E2 = lookup.findVarHandle(Story.class, "e2", MailEvent.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final String id;
    /** The message's place in the order messages began, across generations (wrapping, compared by difference). */
    final int sequence;
    /** Positions claimed; an event is published at its position after the claim. */
    @SuppressWarnings("unused") // through COUNT
    private int count;
    @SuppressWarnings("unused") // through LAST
    private long lastMillis;
    @SuppressWarnings("unused") // through E0, E1, E2
    private MailEvent e0;
    @SuppressWarnings("unused") // through E0, E1, E2
    private MailEvent e1;
    @SuppressWarnings("unused") // through E0, E1, E2
    private MailEvent e2;
    @SuppressWarnings("unused") // through MORE
    private Chunk more;

    /**
     * A story of its first event. Its fields are plain, read and written through handles with
     * acquire and release: the constructor's writes are published by the index's release of the
     * place, so making a story costs no fence.
     */
    Story(String id, int sequence, MailEvent first, long now) {
      this.id = id;
      this.sequence = sequence;
      this.e0 = first;
      this.count = 1;
      this.lastMillis = now;
    }

    void append(MailEvent event, long now) {
      int index = (int) COUNT.getAndAdd(this, 1);
      if (index < OWN) {
        switch (index) {
          case 0 -> E0.setRelease(this, event);
          case 1 -> E1.setRelease(this, event);
          default -> E2.setRelease(this, event);
        }
      } else {
        index -= OWN;
        Chunk chunk = firstChunk(true);
        while (index >= chunk.events.length) {
          index -= chunk.events.length;
          chunk = chunk.nextOrGrow();
        }
        EVENT.setRelease(chunk.events, index, event);
      }
      if (now > (long) LAST.getAcquire(this)) { // events of several threads may arrive out of time order
        LAST.setRelease(this, now);
      }
    }

    private Chunk firstChunk(boolean grow) {
      Chunk c = (Chunk) MORE.getAcquire(this);
      if (c == null && grow) {
        Chunk made = new Chunk(4);
        c = MORE.compareAndSet(this, null, made) ? made : (Chunk) MORE.getAcquire(this);
      }
      return c;
    }

    /**
     * The events appended so far, oldest first. An event whose position is claimed but not yet
     * written ends the list there, so a reader always sees a prefix of the story, never a gap.
     */
    List<MailEvent> events() {
      int claimed = (int) COUNT.getAcquire(this);
      List<MailEvent> out = new ArrayList<>(claimed);
      for (int position = 0; position < Math.min(claimed, OWN); position++) {
        MailEvent event = (MailEvent) switch (position) {
          case 0 -> E0.getAcquire(this);
          case 1 -> E1.getAcquire(this);
          default -> E2.getAcquire(this);
        };
        if (event == null) {
          return List.copyOf(out);
        }
        out.add(event);
      }
      Chunk chunk = claimed > OWN ? firstChunk(false) : null;
      int index = 0;
      for (int position = OWN; position < claimed && chunk != null; position++) {
        MailEvent event = (MailEvent) EVENT.getAcquire(chunk.events, index);
        if (event == null) {
          break;
        }
        out.add(event);
        if (++index == chunk.events.length) {
          chunk = chunk.nextOrNull();
          index = 0;
        }
      }
      return List.copyOf(out);
    }

    long lastMillis() {
      return (long) LAST.getAcquire(this);
    }

    boolean expired(long now, long retentionMillis) {
      return now - lastMillis() > retentionMillis;
    }
  }
}
