package io.postline.mail.core;

import io.postline.mail.FailureKind;
import io.postline.mail.core.internal.InMemoryMailQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where {@link Mailer#enqueue enqueued} messages wait for a worker: HIGH before NORMAL before LOW,
 * first in first out within one priority, nothing taken before it is due. At-least-once: a worker
 * {@link #take takes} a message with a {@link Lease}, renews it while sending, and completes it
 * with {@link #ack}, {@link #reschedule} or {@link #deadLetter}; a message whose lease lapses (its
 * worker died) returns to the queue.
 *
 * <p>Implementations are thread-safe. Nothing is ever dropped silently: a message that cannot be
 * stored makes {@link #enqueue} throw. Enqueuing is idempotent by mail id: storing a message
 * whose {@link QueuedMail#id()} the queue holds already (ready, scheduled, leased, dead-lettered or
 * recently finished) changes nothing, so a caller that lost a reply can store the same message
 * again without it being sent twice.
 */
public interface MailQueue extends AutoCloseable {

  /** An in-memory queue of at most 100,000 messages, on the system clock. */
  static MailQueue inMemory() {
    return inMemory(100_000, Clock.systemUTC());
  }

  /**
   * An in-memory queue.
   *
   * @param capacity the most messages it holds (ready, scheduled and leased; dead letters are
   *     bounded separately, see the implementation)
   * @param clock decides when messages are due
   */
  static MailQueue inMemory(int capacity, Clock clock) {
    return new InMemoryMailQueue(capacity, clock);
  }

  /**
   * Stores a message, to be taken from its {@link QueuedMail#dueAt()} on. A message whose id the
   * queue already holds is left as it is.
   *
   * @throws QueueFullException if the queue is at its capacity; nothing was stored
   * @throws io.postline.mail.MailOutcomeUnknownException if the queue cannot tell whether the
   *     message was stored (a timeout, a lost reply); enqueuing the same message again is safe
   * @throws io.postline.mail.MailException if it was not stored for another reason
   */
  void enqueue(QueuedMail mail);

  /**
   * Stores several messages in as few round trips as the queue allows (a durable queue writes
   * one chunk per call); the same rules as {@link #enqueue} apply to each. The default stores
   * them one by one.
   *
   * @throws QueueFullException if the queue cannot take all of them; a queue that stores the
   *     batch atomically stored none, otherwise the messages before the failing one are stored
   *     (enqueuing the whole batch again is safe: stored ids are skipped)
   * @throws io.postline.mail.MailOutcomeUnknownException if the queue cannot tell whether the
   *     batch was stored; enqueuing it again is safe
   */
  default void enqueueBatch(List<QueuedMail> mails) {
    for (QueuedMail mail : mails) {
      enqueue(mail);
    }
  }

  /**
   * Whether this queue enforces idempotency keys itself, in the same write that stores the message:
   * a transactional outbox whose write joins the caller's transaction holds a key only if that
   * transaction commits. The mailer then claims no key of its own for messages it enqueues here and
   * stores them with {@link #enqueueUnlessDuplicate}. Default false.
   */
  default boolean enforcesIdempotencyKeys() {
    return false;
  }

  /**
   * Stores messages as {@link #enqueueBatch} does, except each message whose idempotency key the
   * queue holds already for another message (stored, or written by a transaction that committed
   * meanwhile): that one is not stored. Two messages with one key in one call: the first is stored.
   * Only queues that {@link #enforcesIdempotencyKeys() enforce keys} implement it; the default
   * throws {@link UnsupportedOperationException}.
   *
   * @return the messages not stored as duplicates: each one's id mapped to the id of the message
   *     holding its key; empty when every message was stored
   * @throws io.postline.mail.MailOutcomeUnknownException as {@link #enqueueBatch} does; enqueuing
   *     the same messages again is safe (a message's own stored id is not a duplicate)
   */
  default Map<String, String> enqueueUnlessDuplicate(List<QueuedMail> mails) {
    throw new UnsupportedOperationException(getClass().getName() + " does not enforce idempotency keys itself");
  }

  /**
   * Takes the next due message: the highest priority first, the oldest first within one. Waits
   * up to {@code wait} for one to become due, without busy polling.
   *
   * @param wait how long to wait for a message; zero to return at once
   * @param leaseFor how long the lease lasts unless {@link #renew renewed}
   * @return the lease, or empty if nothing was due within {@code wait}
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException;

  /**
   * Takes up to {@code max} due messages in one call, in the order {@link #take(Duration, Duration)}
   * would hand them out, waiting up to {@code wait} only while none is due. The default takes one.
   *
   * @return the leases, empty if nothing was due within {@code wait}
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  default List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    return take(wait, leaseFor).map(List::of).orElse(List.of());
  }

  /**
   * Extends a lease.
   *
   * @return the renewed lease, or empty if the lease is no longer current (it lapsed and the
   *     message may be with another worker)
   */
  Optional<Lease> renew(Lease lease, Duration leaseFor);

  /**
   * Completes a message: it was sent, or its failure was recorded elsewhere for good.
   *
   * @return false if the lease is no longer current; nothing changed then
   */
  boolean ack(Lease lease);

  /**
   * Returns a leased message to the queue, due at {@code dueAt}, with its attempt count set to
   * {@code attempts} (a rate-limit wait is not an attempt, a retry is).
   *
   * @return false if the lease is no longer current; nothing changed then
   */
  boolean reschedule(Lease lease, Instant dueAt, int attempts);

  /**
   * Gives back leases that were taken but not worked (a worker that took several and is stopping
   * before it reached them): each message is due again at once, with its attempts unchanged, and
   * no lease lapse is counted, so another worker (of this JVM or another) can take it without
   * waiting for the lease to lapse. {@code leases} are in the order they were taken; where the
   * queue can, the messages keep their places ahead of messages of their priority that became due
   * after them. A lease that is no longer current is skipped.
   *
   * <p>The default reschedules each one to its own due time with its attempts unchanged.
   *
   * @return how many were given back
   */
  default int release(List<Lease> leases) {
    int released = 0;
    for (Lease lease : leases) {
      if (reschedule(lease, lease.mail().dueAt(), lease.mail().attempts())) {
        released++;
      }
    }
    return released;
  }

  /**
   * Moves a leased message to the dead letters.
   *
   * @param attempts the attempts made, recorded with it
   * @return false if the lease is no longer current; nothing changed then
   */
  boolean deadLetter(Lease lease, int attempts, FailureKind kind, String reason);

  /** How many messages are in each state. */
  QueueCounts counts();

  /** The dead letters, newest first, at most {@code limit}. */
  List<DeadLetter> deadLetters(int limit);

  /**
   * Puts a dead letter back in the queue, due now, with its attempts reset.
   *
   * @return false if there is no dead letter with that id
   */
  boolean requeueDeadLetter(String id);

  /**
   * Deletes a dead letter.
   *
   * @return false if there is no dead letter with that id
   */
  boolean purgeDeadLetter(String id);

  /**
   * Deletes every dead letter.
   *
   * @return how many were deleted
   */
  long purgeDeadLetters();

  /**
   * Stops handing out messages and returns what this queue would lose on shutdown: for an
   * in-memory queue, every message not yet finished; for a durable queue, nothing (the messages
   * stay stored). Leases still out can be completed until the queue is closed.
   */
  List<QueuedMail> drain();

  /** Releases the queue's resources. */
  @Override
  default void close() {}
}
