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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@link AuditLog} in memory: each message's events for {@code retention} after its last event,
 * for at most {@code maxMessages} messages, the oldest forgotten first.
 *
 * <p>It runs on every sending thread, so recording takes no lock and allocates only once per
 * message: a message's first event creates its {@link Story}, with room for the few events most
 * messages have, and takes the next place in a ring of {@code maxMessages} places, pushing out the
 * message that held it (the count bound). Later events are appended into the story by claiming a
 * position with one atomic increment; a long story grows by chunks of doubling size. Messages enter the ring in
 * time order, so the age bound forgets expired stories from the ring's oldest end, a few per new
 * message; {@link #find} also hides a story past its retention that is still held.
 */
public final class InMemoryAuditLog implements AuditLog {
  /**
   * Room for a story's first events: a synchronous send tells 2, a queued one 3, a retry or a
   * failover adds 2 or 3. Each further chunk is twice the one before, so any story is a few chunks.
   */
  private static final int FIRST_CHUNK = 4;
  /** Expired stories forgotten per new message at most, so one message never pays for a backlog. */
  private static final int EXPIRE_BATCH = 4;

  private final Duration retention;
  private final long retentionMillis;
  private final int maxMessages;
  private final Clock clock;
  private final ConcurrentHashMap<String, Story> byId;
  /** Stories in the order their messages began; place {@code n % maxMessages} holds the n-th. */
  private final AtomicReferenceArray<Story> ring;
  /** How many messages began: the next one takes place {@code started % maxMessages}. */
  private final AtomicLong started = new AtomicLong();
  /** Messages before this one (in order of beginning) have been forgotten for their age. */
  private final AtomicLong expiredBefore = new AtomicLong();
  /**
   * No story can expire before this time: the oldest story held began at or after it minus the
   * retention, and every story's last event is no older than its first. Reading it spares each
   * new message a look at the oldest story, which is rarely in the CPU's cache.
   */
  private volatile long noExpiryBefore;

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
    this.clock = Objects.requireNonNull(clock, "clock");
    // Sized for the bound, so a full log never rehashes on the sending path.
    this.byId = new ConcurrentHashMap<>(Math.min(maxMessages, 1 << 20) * 4 / 3 + 1);
    this.ring = new AtomicReferenceArray<>(maxMessages);
  }

  @Override
  public void record(MailEvent event) {
    long now = clock.millis();
    String id = event.mailId();
    Story story = byId.get(id);
    if (story == null) {
      story = begin(id, now);
    }
    story.append(event, now);
  }

  @Override
  public List<MailEvent> find(String mailId) {
    Story story = byId.get(mailId);
    if (story == null || story.expired(clock.millis(), retentionMillis)) {
      return List.of();
    }
    return story.events();
  }

  @Override
  public String toString() {
    return "InMemoryAuditLog[retention=" + retention + ", maxMessages=" + maxMessages + ", messages=" + byId.size()
        + "]";
  }

  /** The story of a message not seen before (or of one another thread began just now). */
  private Story begin(String id, long now) {
    Story fresh = new Story(id, now);
    Story raced = byId.putIfAbsent(id, fresh);
    if (raced != null) {
      return raced;
    }
    long n = started.getAndIncrement();
    Story pushedOut = ring.getAndSet(place(n), fresh);
    if (pushedOut != null) {
      byId.remove(pushedOut.id, pushedOut);
    }
    expire(n, now);
    return fresh;
  }

  /**
   * Forgets up to {@link #EXPIRE_BATCH} of the oldest stories whose retention has passed, stopping
   * at the first that still counts (the ones after it began later).
   */
  private void expire(long newest, long now) {
    if (now < noExpiryBefore) {
      return;
    }
    for (int i = 0; i < EXPIRE_BATCH; i++) {
      long cursor = expiredBefore.get();
      // Places older than one ring behind the newest were taken over already (the count bound).
      long oldest = Math.max(cursor, newest - maxMessages + 1);
      if (oldest >= newest) {
        return;
      }
      int place = place(oldest);
      Story story = ring.get(place);
      if (story == null) {
        return; // the thread that began that message has not placed it yet
      }
      if (!story.expired(now, retentionMillis)) {
        noExpiryBefore = story.began + retentionMillis;
        return;
      }
      if (expiredBefore.compareAndSet(cursor, oldest + 1) && ring.compareAndSet(place, story, null)) {
        byId.remove(story.id, story);
      }
    }
  }

  private int place(long n) {
    return (int) (n % maxMessages);
  }

  /** A run of events; a {@link Story} is its first, followed by larger ones when it needs them. */
  private static class Chunk {
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

  /** One message's events, in the order their positions were claimed. */
  private static final class Story extends Chunk {
    private static final VarHandle EVENT = MethodHandles.arrayElementVarHandle(MailEvent[].class);
    private static final VarHandle COUNT;
    private static final VarHandle LAST;

    static {
      try {
        COUNT = MethodHandles.lookup().findVarHandle(Story.class, "count", int.class);
        LAST = MethodHandles.lookup().findVarHandle(Story.class, "lastMillis", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final String id;
    final long began;
    /** Positions claimed; an event is published at its position after the claim. */
    @SuppressWarnings("unused") // through COUNT
    private volatile int count;
    @SuppressWarnings("unused") // through LAST
    private volatile long lastMillis;

    Story(String id, long now) {
      super(FIRST_CHUNK);
      this.id = id;
      this.began = now;
      this.lastMillis = now;
    }

    void append(MailEvent event, long now) {
      int index = (int) COUNT.getAndAdd(this, 1);
      Chunk chunk = this;
      while (index >= chunk.events.length) {
        index -= chunk.events.length;
        chunk = chunk.nextOrGrow();
      }
      EVENT.setRelease(chunk.events, index, event);
      LAST.setRelease(this, now);
    }

    /**
     * The events appended so far, oldest first. An event whose position is claimed but not yet
     * written ends the list there, so a reader always sees a prefix of the story, never a gap.
     */
    List<MailEvent> events() {
      int claimed = (int) COUNT.getAcquire(this);
      List<MailEvent> out = new ArrayList<>(claimed);
      Chunk chunk = this;
      int index = 0;
      for (int position = 0; position < claimed && chunk != null; position++) {
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

    boolean expired(long now, long retentionMillis) {
      return now - (long) LAST.getAcquire(this) > retentionMillis;
    }
  }
}
