package io.postline.mail.core;

import java.util.List;

/** The dead letters of a {@link Mailer}'s queue: look at them, send them again, or delete them. */
public interface DeadLetters {

  /** The dead letters, newest first, at most {@code limit}. */
  List<DeadLetter> list(int limit);

  /**
   * Puts a dead letter back in the queue, due now, with its attempts reset.
   *
   * @return false if there is no dead letter with that id
   */
  boolean requeue(String id);

  /**
   * Puts every dead letter back in the queue.
   *
   * @return how many were requeued
   */
  long requeueAll();

  /**
   * Deletes one dead letter.
   *
   * @return false if there is no dead letter with that id
   */
  boolean purge(String id);

  /**
   * Deletes every dead letter.
   *
   * @return how many were deleted
   */
  long purgeAll();
}
