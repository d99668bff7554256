package io.postline.mail.core.internal;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.MailException;
import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.Recipient;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.BatchResult;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.Receipt;
import io.postline.mail.core.RetryPolicy;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.ProviderException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Takes messages in: ids, idempotency claims, preparation, then the engine (sent now) or the queue
 * (stored for the workers). Every submitted message ends in exactly one of {@code Sent},
 * {@code Failed} or {@code DeadLettered}, or in a {@link MailOutcomeUnknownException} when the
 * queue cannot say whether it stored it (then its idempotency claim is kept, so a retry with the
 * same key is a duplicate, and the queue stores a given id at most once). A queue that enforces
 * idempotency keys itself (a transactional outbox) holds the keys of what it stores instead of the
 * {@link IdempotencyStore}, so a rolled-back enqueue leaves its key free.
 */
public final class Intake {
  /** Messages stored per queue call of a group enqueue. */
  static final int ENQUEUE_CHUNK = 500;
  /** Tries to store a message whose first store had an unknown outcome (same id: idempotent). */
  private static final RetryPolicy STORE_RETRY = RetryPolicy.exponential(3, Duration.ofMillis(50));

  private final Engine engine;
  private final Preparer preparer;
  private final MailQueue queue;
  private final Workers workers;
  private final IdempotencyStore idempotency;
  private final EventPublisher events;
  private final MailMetrics metrics;
  private final MailIds ids;
  private final Clock clock;
  private final Sleeper sleeper;
  private final String correlationKey;
  private final ObservationRegistry observations;
  private final Suppressions suppressions;

  public Intake(Engine engine, Preparer preparer, MailQueue queue, Workers workers, IdempotencyStore idempotency,
      EventPublisher events, MailMetrics metrics, MailIds ids, Clock clock, Sleeper sleeper, String correlationKey,
      ObservationRegistry observations, Suppressions suppressions) {
    this.engine = engine;
    this.preparer = preparer;
    this.queue = queue;
    this.workers = workers;
    this.idempotency = idempotency;
    this.events = events;
    this.metrics = metrics;
    this.ids = ids;
    this.clock = clock;
    this.sleeper = sleeper;
    this.correlationKey = correlationKey;
    this.observations = observations;
    this.suppressions = suppressions;
  }

  @SuppressWarnings("try") // the observation scope is used for its side effect
  SendResult send(Email email) {
    long now = clock.millis();
    String id = ids.next(now);
    String key = email.idempotencyKey().orElse(null);
    if (key != null) {
      SendResult earlier = awaitDuplicate(id, key, email);
      if (earlier != null) {
        return earlier;
      }
    }
    Observation observation = observed(observations, "sync");
    try (Observation.Scope scope = observation == null ? Observation.Scope.NOOP : observation.openScope()) {
      Suppressions.Verdict verdict = checked(id, preparer.forSend(email));
      if (verdict.all()) {
        throw suppressions.droppedAll(id, email, verdict);
      }
      // Without a key or a suppressed recipient, nothing was published of this new message yet.
      SendResult result = verdict.merge(engine.send(id, verdict.email(), now, key == null && verdict.dropped().isEmpty()));
      if (observation != null) {
        observation.lowCardinalityKeyValue("provider", result.provider())
            .lowCardinalityKeyValue("outcome", "sent");
      }
      if (key != null) {
        idempotency.succeeded(key, id, result);
      }
      return result;
    } catch (RuntimeException e) {
      if (observation != null) {
        observation.lowCardinalityKeyValue("outcome", "failed").error(e);
      }
      if (key != null) {
        idempotency.release(key, id);
      }
      throw e;
    } finally {
      if (observation != null) {
        observation.stop();
      }
    }
  }

  /**
   * The suppression check of a message to send now; a list that cannot answer ends the message
   * ({@code Failed}, fail-closed).
   */
  private Suppressions.Verdict checked(String id, Email ready) {
    try {
      return suppressions.check(id, ready);
    } catch (SendFailedException e) {
      events.publish(new MailEvent.Failed(id, clock.instant(), ready.caller(), e.provider(), e.kind(), 0,
          e.getMessage()));
      throw e;
    }
  }

  /**
   * The suppression check of a message to queue. A list that cannot answer does not stop the
   * enqueue: the worker checks again before sending, and sends nothing it could not check.
   */
  private Suppressions.Verdict checkedForQueue(String id, Email ready) {
    try {
      return suppressions.check(id, ready);
    } catch (SendFailedException e) {
      return new Suppressions.Verdict(ready, List.of());
    }
  }

  /**
   * A started {@code postline.mail.send} observation in {@code mode}, or null without an
   * observation registry: then a send does no observation work at all (even a no-op observation
   * and its scope are allocated on every send).
   */
  static @Nullable Observation observed(ObservationRegistry observations, String mode) {
    if (observations.isNoop()) {
      return null;
    }
    return Observation.createNotStarted("postline.mail.send", observations).lowCardinalityKeyValue("mode", mode).start();
  }

  /**
   * A group send: one copy per recipient, in chunks as large as the routed provider's batches,
   * each chunk through the engine on {@code executor} with at most {@code parallelism} in flight.
   */
  BatchResult sendBatch(Email email, List<Recipient> recipients, ExecutorLike executor, int parallelism) {
    preparer.checkGroup(email);
    BatchResult.Item[] items = new BatchResult.Item[recipients.size()];
    List<Engine.Job> jobs = new ArrayList<>(recipients.size());
    List<Integer> positions = new ArrayList<>(recipients.size());
    for (int i = 0; i < recipients.size(); i++) {
      Recipient recipient = recipients.get(i);
      String id = ids.next();
      Email single;
      try {
        single = preparer.forSend(email.forRecipient(recipient));
      } catch (MailException e) {
        items[i] = BatchResult.Item.failed(recipient.address(), e);
        continue;
      }
      String key = single.idempotencyKey().orElse(null);
      if (key != null) {
        Optional<IdempotencyStore.Claim> claim = idempotency.claim(key, id);
        if (claim.isPresent()) {
          events.publish(new MailEvent.DuplicateDropped(id, clock.instant(), single.caller(), claim.get().mailId()));
          items[i] = claim.get().result()
              .map(r -> BatchResult.Item.sent(recipient.address(), r))
              .orElseGet(() -> BatchResult.Item.failed(recipient.address(), new SendFailedException(FailureKind.TRANSIENT,
                  "none", "a message with the same idempotency key (" + claim.get().mailId()
                      + ") is still being sent; try again later", null, 0, null)));
          continue;
        }
      }
      Suppressions.Verdict verdict;
      try {
        verdict = checked(id, single);
      } catch (SendFailedException e) {
        release(key, id);
        items[i] = BatchResult.Item.failed(recipient.address(), e);
        continue;
      }
      if (verdict.all()) {
        release(key, id);
        items[i] = BatchResult.Item.failed(recipient.address(), suppressions.droppedAll(id, single, verdict));
        continue;
      }
      Engine.Job job = new Engine.Job(id, single, 0);
      // Only a suppressed recipient has made an event of this new message so far.
      jobs.add(verdict.dropped().isEmpty() ? job.unseen() : job);
      positions.add(i);
    }
    List<CompletableFuture<Void>> running = new ArrayList<>();
    Semaphore permits = new Semaphore(Math.max(1, parallelism * 2));
    int chunk = jobs.isEmpty() ? 1 : Math.max(1, engine.batchSize(jobs.get(0).email()));
    for (int from = 0; from < jobs.size(); from += chunk) {
      List<Engine.Job> part = jobs.subList(from, Math.min(jobs.size(), from + chunk));
      List<Integer> where = positions.subList(from, Math.min(jobs.size(), from + chunk));
      permits.acquireUninterruptibly();
      Runnable work = () -> {
        try {
          sendChunk(part, where, recipients, items);
        } finally {
          permits.release();
        }
      };
      running.add(executor.run(work));
    }
    CompletableFuture.allOf(running.toArray(new CompletableFuture<?>[0])).join();
    return new BatchResult(Arrays.asList(items));
  }

  private void sendChunk(List<Engine.Job> part, List<Integer> where, List<Recipient> recipients,
      BatchResult.Item[] items) {
    List<Engine.Outcome> outcomes;
    try {
      outcomes = engine.sendGroup(part);
    } catch (Throwable e) { // NOPMD: every recipient of the chunk gets an answer, whatever went wrong
      for (int j = 0; j < part.size(); j++) {
        release(part.get(j));
        items[where.get(j)] = BatchResult.Item.failed(recipients.get(where.get(j)).address(),
            e instanceof MailException m ? m
                : new MailException("the group send failed unexpectedly with " + e.getClass().getName(), null));
      }
      return;
    }
    for (int j = 0; j < part.size(); j++) {
      Engine.Job job = part.get(j);
      Recipient recipient = recipients.get(where.get(j));
      Engine.Outcome outcome = outcomes.get(j);
      if (outcome instanceof Engine.Outcome.Sent sent) {
        job.email().idempotencyKey().ifPresent(k -> idempotency.succeeded(k, job.mailId(), sent.result()));
        items[where.get(j)] = BatchResult.Item.sent(recipient.address(), sent.result());
      } else {
        release(job);
        items[where.get(j)] = BatchResult.Item.failed(recipient.address(),
            engine.failure(job.mailId(), job.email(), (Engine.Outcome.GaveUp) outcome));
      }
    }
  }

  Receipt enqueue(Email email) {
    String id = ids.next();
    String key = email.idempotencyKey().orElse(null);
    boolean claims = key != null && !queue.enforcesIdempotencyKeys();
    if (claims) {
      Optional<IdempotencyStore.Claim> existing = idempotency.claim(key, id);
      if (existing.isPresent()) {
        String original = existing.get().mailId();
        events.publish(new MailEvent.DuplicateDropped(id, clock.instant(), email.caller(), original));
        return new Receipt(original, true);
      }
    }
    Suppressions.Verdict verdict;
    String original;
    try {
      verdict = checkedForQueue(id, preparer.forQueue(email));
      if (verdict.all()) {
        throw suppressions.droppedAll(id, email, verdict);
      }
      original = store(List.of(queued(id, verdict.email()))).get(id);
    } catch (MailOutcomeUnknownException e) {
      throw e; // the claim stays: the message may be queued, and a retry with the key must not send it twice
    } catch (RuntimeException e) {
      if (claims) {
        idempotency.release(key, id);
      }
      throw e;
    }
    if (original != null) {
      return new Receipt(original, true);
    }
    workers.start();
    return new Receipt(id, false, verdict.dropped());
  }

  List<Receipt> enqueueBatch(Email email, List<Recipient> recipients) {
    preparer.checkGroup(email);
    List<String> problems = new ArrayList<>();
    List<Email> ready = new ArrayList<>(recipients.size());
    for (int i = 0; i < recipients.size(); i++) {
      try {
        ready.add(preparer.forQueue(email.forRecipient(recipients.get(i))));
      } catch (InvalidEmailException e) {
        String who = "recipient " + i + " (" + recipients.get(i).address().masked() + "): ";
        e.problems().forEach(p -> problems.add(who + p));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems); // nothing was claimed or stored
    }
    Receipt[] receipts = new Receipt[ready.size()];
    boolean claims = !queue.enforcesIdempotencyKeys();
    List<QueuedMail> toStore = new ArrayList<>(ready.size());
    List<Integer> positions = new ArrayList<>(ready.size());
    for (int i = 0; i < ready.size(); i++) {
      Email single = ready.get(i);
      String id = ids.next();
      String key = claims ? single.idempotencyKey().orElse(null) : null;
      Optional<IdempotencyStore.Claim> existing = key == null ? Optional.empty() : idempotency.claim(key, id);
      if (existing.isPresent()) {
        events.publish(new MailEvent.DuplicateDropped(id, clock.instant(), single.caller(), existing.get().mailId()));
        receipts[i] = new Receipt(existing.get().mailId(), true);
      } else {
        Suppressions.Verdict verdict = checkedForQueue(id, single);
        if (verdict.all()) {
          release(key, id);
          suppressions.droppedAll(id, single, verdict);
        } else {
          toStore.add(queued(id, verdict.email()));
          positions.add(i);
        }
        receipts[i] = new Receipt(id, false, verdict.dropped());
      }
    }
    boolean stored = false;
    for (int from = 0; from < toStore.size(); from += ENQUEUE_CHUNK) {
      List<QueuedMail> chunk = toStore.subList(from, Math.min(toStore.size(), from + ENQUEUE_CHUNK));
      Map<String, String> duplicates;
      try {
        duplicates = store(chunk);
      } catch (MailOutcomeUnknownException e) {
        releaseAll(toStore.subList(from + chunk.size(), toStore.size()), claims);
        throw e;
      } catch (RuntimeException e) {
        releaseAll(toStore.subList(from, toStore.size()), claims);
        throw e;
      }
      for (int j = 0; j < chunk.size(); j++) {
        String original = duplicates.get(chunk.get(j).id());
        if (original != null) {
          receipts[positions.get(from + j)] = new Receipt(original, true);
        } else {
          stored = true;
        }
      }
    }
    if (stored) {
      workers.start();
    }
    return Arrays.asList(receipts);
  }

  private QueuedMail queued(String id, Email ready) {
    Instant now = clock.instant();
    Instant due = ready.sendAt().filter(now::isBefore).orElse(now);
    return new QueuedMail(id, ready, 0, now, due, Optional.ofNullable(MDC.get(correlationKey)));
  }

  /**
   * Stores messages, trying again (same ids: the queue skips what it holds) while the outcome is
   * unknown. {@code Queued} is published before the store, so a worker's events always follow it.
   * A queue that {@link MailQueue#enforcesIdempotencyKeys() enforces keys} may answer that some
   * are duplicates: each of those gets {@code DuplicateDropped} after its {@code Queued}.
   *
   * @return the duplicates the queue did not store: their ids mapped to the ids holding their keys
   */
  private Map<String, String> store(List<QueuedMail> mails) {
    for (QueuedMail mail : mails) {
      events.publish(new MailEvent.Queued(mail.id(), mail.enqueuedAt(), mail.email().caller(), mail.priority(),
          mail.email().sendAt()));
    }
    for (int attempt = 1; ; attempt++) {
      try {
        if (queue.enforcesIdempotencyKeys()) {
          Map<String, String> duplicates = queue.enqueueUnlessDuplicate(mails);
          for (QueuedMail mail : mails) {
            String original = duplicates.get(mail.id());
            if (original != null) {
              events.publish(new MailEvent.DuplicateDropped(mail.id(), clock.instant(), mail.email().caller(), original));
            }
          }
          return duplicates;
        }
        if (mails.size() == 1) {
          queue.enqueue(mails.get(0));
        } else {
          queue.enqueueBatch(mails);
        }
        return Map.of();
      } catch (MailOutcomeUnknownException e) {
        if (attempt >= STORE_RETRY.maxAttempts() || !sleeper.pause(STORE_RETRY.delayAfter(attempt, null,
            ThreadLocalRandom.current().nextDouble()))) {
          String what = mails.size() == 1 ? "message " + mails.get(0).id()
              : mails.size() + " messages (from " + mails.get(0).id() + ")";
          throw new MailOutcomeUnknownException(mails.get(0).id(), "the queue did not confirm storing " + what
              + " after " + attempt + " tries; it may be queued and will then be sent once. Retrying with the same "
              + "idempotency key is safe", e);
        }
      } catch (RuntimeException e) {
        for (QueuedMail mail : mails) {
          events.publish(new MailEvent.Failed(mail.id(), clock.instant(), mail.email().caller(), "queue",
              FailureKind.TRANSIENT, 0, "the queue refused the message: " + e.getMessage()));
        }
        throw e;
      }
    }
  }

  /**
   * Claims the key for {@code id}. When another message holds it, reports the duplicate and waits
   * for that message's result (within the synchronous deadline); if that message fails, its claim
   * is released and this one claims the key after all.
   *
   * @return the earlier message's result, or null when {@code id} now holds the key
   */
  private @Nullable SendResult awaitDuplicate(String id, String key, Email email) {
    boolean reported = false;
    long deadline = System.nanoTime() + engine.syncDeadline().toNanos();
    long pauseMillis = 1;
    while (true) {
      Optional<IdempotencyStore.Claim> claim = idempotency.claim(key, id);
      if (claim.isEmpty()) {
        return null;
      }
      if (!reported) {
        events.publish(new MailEvent.DuplicateDropped(id, clock.instant(), email.caller(), claim.get().mailId()));
        reported = true;
      }
      if (claim.get().result().isPresent()) {
        return claim.get().result().get();
      }
      if (System.nanoTime() > deadline || !sleeper.pause(Duration.ofMillis(pauseMillis))) {
        throw new SendFailedException(FailureKind.TRANSIENT, "none", "a message with the same idempotency key ("
            + claim.get().mailId() + ") is still being sent; try again later", null, 0, null);
      }
      pauseMillis = Math.min(pauseMillis * 2, 100);
    }
  }

  private void release(Engine.Job job) {
    job.email().idempotencyKey().ifPresent(k -> idempotency.release(k, job.mailId()));
  }

  private void release(@Nullable String key, String id) {
    if (key != null) {
      idempotency.release(key, id);
    }
  }

  private void releaseAll(List<QueuedMail> mails, boolean claimed) {
    if (!claimed) {
      return;
    }
    for (QueuedMail mail : mails) {
      mail.email().idempotencyKey().ifPresent(k -> idempotency.release(k, mail.id()));
    }
  }

  /** Where group chunks run: the mailer's async executor, or the caller's thread when it is full. */
  @FunctionalInterface
  interface ExecutorLike {
    CompletableFuture<Void> run(Runnable work);

    /** Runs on {@code executor}; a rejected task runs on the calling thread instead. */
    static ExecutorLike of(java.util.concurrent.Executor executor) {
      return work -> {
        try {
          return CompletableFuture.runAsync(work, executor);
        } catch (RejectedExecutionException e) {
          work.run();
          return CompletableFuture.completedFuture(null);
        }
      };
    }
  }
}
