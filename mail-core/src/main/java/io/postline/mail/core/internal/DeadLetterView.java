package io.postline.mail.core.internal;

import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.DeadLetters;
import io.postline.mail.core.MailQueue;
import java.util.List;

/** The dead letters of a mailer's queue; a requeue wakes the workers. */
final class DeadLetterView implements DeadLetters {
  private final MailQueue queue;
  private final Workers workers;

  DeadLetterView(MailQueue queue, Workers workers) {
    this.queue = queue;
    this.workers = workers;
  }

  @Override
  public List<DeadLetter> list(int limit) {
    return queue.deadLetters(limit);
  }

  @Override
  public boolean requeue(String id) {
    boolean requeued = queue.requeueDeadLetter(id);
    if (requeued) {
      workers.start();
    }
    return requeued;
  }

  @Override
  public long requeueAll() {
    long n = 0;
    // The list is bounded: ask again until it is empty, or nothing more moves.
    List<DeadLetter> batch;
    while (!(batch = queue.deadLetters(1000)).isEmpty()) {
      long before = n;
      for (DeadLetter d : batch) {
        if (queue.requeueDeadLetter(d.id())) {
          n++;
        }
      }
      if (n == before) {
        break;
      }
    }
    if (n > 0) {
      workers.start();
    }
    return n;
  }

  @Override
  public boolean purge(String id) {
    return queue.purgeDeadLetter(id);
  }

  @Override
  public long purgeAll() {
    return queue.purgeDeadLetters();
  }
}
