package io.postline.mail.bench;

import io.postline.mail.FailureKind;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueuedMail;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A queue whose messages are stored but never handed out: every operation goes to the real queue
 * except {@link #take}, which waits and finds nothing. Scenario 5 enqueues through a real
 * {@code Mailer} into it, so that what Redis holds is exactly what {@code Mailer.enqueue} stores,
 * and nothing is worked off while memory is measured.
 */
final class NotTakenQueue implements MailQueue {
  private final MailQueue delegate;
  private final CountDownLatch stopped = new CountDownLatch(1);

  NotTakenQueue(MailQueue delegate) {
    this.delegate = delegate;
  }

  @Override
  public void enqueue(QueuedMail mail) {
    delegate.enqueue(mail);
  }

  @Override
  public Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException {
    stopped.await(wait.toNanos(), TimeUnit.NANOSECONDS);
    return Optional.empty();
  }

  @Override
  public Optional<Lease> renew(Lease lease, Duration leaseFor) {
    return delegate.renew(lease, leaseFor);
  }

  @Override
  public boolean ack(Lease lease) {
    return delegate.ack(lease);
  }

  @Override
  public boolean reschedule(Lease lease, Instant dueAt, int attempts) {
    return delegate.reschedule(lease, dueAt, attempts);
  }

  @Override
  public boolean deadLetter(Lease lease, int attempts, FailureKind kind, String reason) {
    return delegate.deadLetter(lease, attempts, kind, reason);
  }

  @Override
  public QueueCounts counts() {
    return delegate.counts();
  }

  @Override
  public List<DeadLetter> deadLetters(int limit) {
    return delegate.deadLetters(limit);
  }

  @Override
  public boolean requeueDeadLetter(String id) {
    return delegate.requeueDeadLetter(id);
  }

  @Override
  public boolean purgeDeadLetter(String id) {
    return delegate.purgeDeadLetter(id);
  }

  @Override
  public long purgeDeadLetters() {
    return delegate.purgeDeadLetters();
  }

  @Override
  public List<QueuedMail> drain() {
    stopped.countDown();
    return delegate.drain();
  }

  @Override
  public void close() {
    stopped.countDown();
    delegate.close();
  }
}
