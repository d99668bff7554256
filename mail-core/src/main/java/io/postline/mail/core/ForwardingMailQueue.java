package io.postline.mail.core;

import io.postline.mail.FailureKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A queue that forwards every call to another: extend it and override what you want to change
 * (count, delay or fail an operation in a test, add logging), and the rest keeps working.
 */
public class ForwardingMailQueue implements MailQueue {
  private final MailQueue delegate;

  /** Forwards to {@code delegate}. */
  protected ForwardingMailQueue(MailQueue delegate) {
    this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public void enqueue(QueuedMail mail) {
    delegate.enqueue(mail);
  }

  @Override
  public void enqueueBatch(List<QueuedMail> mails) {
    delegate.enqueueBatch(mails);
  }

  @Override
  public boolean enforcesIdempotencyKeys() {
    return delegate.enforcesIdempotencyKeys();
  }

  @Override
  public Map<String, String> enqueueUnlessDuplicate(List<QueuedMail> mails) {
    return delegate.enqueueUnlessDuplicate(mails);
  }

  @Override
  public Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException {
    return delegate.take(wait, leaseFor);
  }

  @Override
  public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
    return delegate.take(max, wait, leaseFor);
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
  public int release(List<Lease> leases) {
    return delegate.release(leases);
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
    return delegate.drain();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
