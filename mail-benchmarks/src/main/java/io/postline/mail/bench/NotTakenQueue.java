package io.postline.mail.bench;

import io.postline.mail.core.ForwardingMailQueue;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueuedMail;
import java.time.Duration;
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
final class NotTakenQueue extends ForwardingMailQueue {
  private final CountDownLatch stopped = new CountDownLatch(1);

  NotTakenQueue(MailQueue delegate) {
    super(delegate);
  }

  @Override
  public Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException {
    stopped.await(wait.toNanos(), TimeUnit.NANOSECONDS);
    return Optional.empty();
  }

  @Override
  public List<QueuedMail> drain() {
    stopped.countDown();
    return super.drain();
  }

  @Override
  public void close() {
    stopped.countDown();
    super.close();
  }
}
