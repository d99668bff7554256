package io.postline.mail.core.internal;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.FailureKind;
import io.postline.mail.SendFailedException;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.event.MailEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The workers of a mailer's queue. Each takes messages with a lease, makes one engine pass over
 * the providers for each ({@link Engine#attemptQueued}) and completes it as the pass decided; a
 * worker never sleeps on a message. Leases being worked are renewed at a third of their length.
 *
 * <p>Nothing a message does stops a worker: a {@link Throwable} escaping the engine is that
 * message's failure (retried later, dead-lettered when its attempts are spent), and a worker
 * thread that dies anyway is replaced and counted. {@link #running()} tells health how many run.
 */
public final class Workers {
  private static final Logger log = LoggerFactory.getLogger(Workers.class);
  private static final Duration POLL = Duration.ofMillis(500);
  /**
   * The most leases a worker takes in one call. A worker takes one while the queue is shallow and
   * doubles its take while takes come back full (the queue is deep), up to this many and up to
   * what {@link #BATCH_BUDGET_NANOS} allows at the time its messages take; it goes back to one
   * as soon as a take comes back short.
   */
  static final int BATCH_MAX = 16;
  /**
   * About how long the messages of one take may take to work, so that a worker never holds
   * messages it has not reached for long while another is idle: with a provider that needs 10 ms
   * a message (SMTP over a real link), workers take one at a time.
   */
  static final long BATCH_BUDGET_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  /** How long a message whose pass failed unexpectedly waits before it is tried again. */
  private static final Duration AFTER_BUG = Duration.ofSeconds(30);

  private final MailQueue queue;
  private final Engine engine;
  private final EventPublisher events;
  private final MailMetrics metrics;
  private final IdempotencyStore idempotency;
  private final Clock clock;
  private final MailerThreads threads;
  private final int count;
  private final int maxAttempts;
  private final Duration leaseFor;
  private final String correlationKey;
  private final ObservationRegistry observations;
  private final Suppressions suppressions;
  /** Every lease a worker holds, the ones it has not reached yet included: all are renewed. */
  private final Map<String, Lease> inFlight = new ConcurrentHashMap<>();
  /**
   * Held leases the renewer found lost, id to token: a worker that reaches one skips it (another
   * worker has it). By token, so that a late entry never matches a later lease of the same id.
   */
  private final Map<String, Long> lost = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private volatile boolean started;
  private volatile boolean stopping;
  private @Nullable ScheduledFuture<?> renewal;

  /**
   * Workers for {@code queue}; call {@link #start()}.
   *
   * @param maxAttempts a queued message's attempts in all: one whose pass keeps failing
   *     unexpectedly is dead-lettered after them
   */
  public Workers(MailQueue queue, Engine engine, EventPublisher events, MailMetrics metrics,
      IdempotencyStore idempotency, Clock clock, MailerThreads threads, int count, int maxAttempts,
      Duration leaseFor, String correlationKey, ObservationRegistry observations, Suppressions suppressions) {
    this.queue = queue;
    this.engine = engine;
    this.events = events;
    this.metrics = metrics;
    this.idempotency = idempotency;
    this.clock = clock;
    this.threads = threads;
    this.count = count;
    this.maxAttempts = maxAttempts;
    this.leaseFor = leaseFor;
    this.correlationKey = correlationKey;
    this.observations = observations;
    this.suppressions = suppressions;
  }

  /** Starts the workers and the lease renewer; does nothing if already started or if there are none. */
  public synchronized void start() {
    if (started || stopping || count == 0) {
      return;
    }
    started = true;
    for (int i = 0; i < count; i++) {
      spawn();
    }
    long period = Math.max(1, leaseFor.toMillis() / 3);
    renewal = threads.scheduler().scheduleAtFixedRate(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
  }

  /** How many workers were asked for. */
  public int configured() {
    return count;
  }

  /** How many worker threads run now; fewer than {@link #configured()} once started means trouble. */
  public int running() {
    return running.get();
  }

  /** Whether the workers were started (a mailer starts them on its first enqueue, or at once for a given queue). */
  public boolean started() {
    return started;
  }

  /**
   * Stops taking messages and waits up to {@code timeout} for the messages being sent; workers
   * still busy after that are interrupted (their leases lapse and the messages return to the queue).
   */
  public void stop(Duration timeout) {
    synchronized (this) {
      stopping = true;
      if (renewal != null) {
        renewal.cancel(false);
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (running) {
      while (running.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("{} queue workers still busy after {}; their messages return to the queue when their leases lapse",
              running.get(), timeout);
          return;
        }
        try {
          running.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void spawn() {
    running.incrementAndGet();
    try {
      threads.newThread("worker", this::supervised).start();
    } catch (RuntimeException | Error e) { // NOPMD: a thread that cannot start leaves one worker fewer, shown by health
      synchronized (running) {
        running.decrementAndGet();
        running.notifyAll();
      }
      log.error("Could not start a queue worker ({}); {} of {} run", e.toString(), running.get(), count);
    }
  }

  /** Runs the loop; a worker that dies of anything is replaced while the mailer runs. */
  private void supervised() {
    boolean replace = false;
    try {
      work();
    } catch (Throwable e) { // NOPMD: a dying worker must be replaced, whatever killed it
      replace = !stopping;
      log.error("A queue worker died of {}; {}", e.getClass().getName(), replace ? "starting another" : "stopping", e);
    } finally {
      synchronized (running) {
        running.decrementAndGet();
        running.notifyAll();
      }
    }
    if (replace) {
      metrics.workerDied();
      synchronized (this) {
        if (!stopping) {
          spawn();
        }
      }
    }
  }

  private void work() {
    int want = 1;
    long passNanos = 0; // a moving average of one message's pass and completion, for the batch bound
    while (!stopping) {
      List<Lease> leases;
      try {
        leases = queue.take(want, POLL, leaseFor);
      } catch (InterruptedException e) {
        continue;
      } catch (RuntimeException e) {
        // A broken connection to a durable queue: keep trying, the queue reconnects.
        log.warn("Taking from the mail queue failed; trying again: {}", e.toString());
        pause();
        continue;
      }
      leases.forEach(l -> inFlight.put(l.id(), l));
      int next = 0;
      try {
        while (next < leases.size() && !stopping) {
          Lease lease = leases.get(next++);
          try {
            if (wasLost(lease)) {
              log.warn("The lease on queued message {} was lost before its worker reached it; leaving it to"
                  + " the worker that has it now", lease.id());
              continue;
            }
            long start = System.nanoTime();
            process(lease);
            long took = System.nanoTime() - start;
            passNanos = passNanos == 0 ? took : passNanos + (took - passNanos) / 8;
          } finally {
            inFlight.remove(lease.id());
            lost.remove(lease.id());
          }
        }
      } finally {
        // Stopping, or this thread is dying: what it took but has not reached goes back at once.
        if (next < leases.size()) {
          giveBack(leases.subList(next, leases.size()));
        }
      }
      want = nextTake(want, leases.size(), passNanos);
    }
  }

  /**
   * How many to take next: twice as many while takes come back full (the queue is deep), one as
   * soon as one comes back short, never more than {@link #BATCH_MAX} nor more than fit in
   * {@link #BATCH_BUDGET_NANOS} at {@code passNanos} a message.
   */
  static int nextTake(int asked, int got, long passNanos) {
    if (got < asked || passNanos <= 0) {
      return 1;
    }
    long fit = Math.max(1, BATCH_BUDGET_NANOS / passNanos);
    return (int) Math.min(Math.min(BATCH_MAX, fit), asked * 2L);
  }

  private boolean wasLost(Lease lease) {
    Long token = lost.remove(lease.id());
    return token != null && token == lease.token();
  }

  /**
   * Returns leases this worker took but will not work (it is stopping, or dying) to the queue,
   * due at once with their attempts unchanged; if that fails they lapse as before.
   */
  private void giveBack(List<Lease> unreached) {
    List<Lease> current = new ArrayList<>(unreached.size());
    for (Lease lease : unreached) {
      Lease latest = inFlight.remove(lease.id());
      if (!wasLost(lease)) {
        current.add(latest != null ? latest : lease);
      }
    }
    if (current.isEmpty()) {
      return;
    }
    try {
      int released = queue.release(current);
      log.debug("Gave {} of {} queued message(s) taken but not reached back to the queue", released,
          current.size());
    } catch (RuntimeException e) {
      log.warn("Giving {} queued message(s) back to the queue failed ({}); they return when their leases lapse",
          current.size(), e.toString());
    }
  }

  @SuppressWarnings("try") // the observation scope is used for its side effect
  private void process(Lease lease) {
    QueuedMail mail = lease.mail();
    String previous = MDC.get(correlationKey);
    mail.correlationId().ifPresent(c -> MDC.put(correlationKey, c));
    Observation observation = Intake.observed(observations, "queued");
    try (Observation.Scope scope = observation == null ? Observation.Scope.NOOP : observation.openScope()) {
      Engine.Outcome outcome;
      try {
        outcome = pass(mail);
      } catch (Throwable e) { // NOPMD: whatever the pass threw is this message's failure, not the worker's
        if (observation != null) {
          observation.error(e);
        }
        outcome = afterBug(mail, e);
      }
      if (observation != null) {
        observation.lowCardinalityKeyValue("outcome", outcomeName(outcome));
        if (outcome instanceof Engine.Outcome.Sent sent) {
          observation.lowCardinalityKeyValue("provider", sent.result().provider());
        }
      }
      complete(doneWith(lease), outcome);
    } finally {
      if (observation != null) {
        observation.stop();
      }
      if (previous != null) {
        MDC.put(correlationKey, previous);
      } else {
        MDC.remove(correlationKey);
      }
    }
  }

  /**
   * One pass over a queued message: the suppression check again (an entry may have appeared since
   * it was queued), then the engine for the recipients left.
   */
  private Engine.Outcome pass(QueuedMail mail) {
    Suppressions.Verdict verdict;
    try {
      verdict = suppressions.check(mail.id(), mail.email());
    } catch (SendFailedException e) {
      return unchecked(mail, e);
    }
    if (verdict.all()) {
      return new Engine.Outcome.Suppressed(verdict);
    }
    Engine.Outcome outcome = engine.attemptQueued(mail.id(), verdict.email(), mail.attempts());
    return outcome instanceof Engine.Outcome.Sent sent ? new Engine.Outcome.Sent(verdict.merge(sent.result()))
        : outcome;
  }

  /**
   * The suppression list could not answer: fail-closed, the message is tried again later like a
   * transient failure (an attempt), and dead-lettered when its attempts are spent.
   */
  private Engine.Outcome unchecked(QueuedMail mail, SendFailedException e) {
    int attempts = mail.attempts() + 1;
    events.publish(new MailEvent.AttemptFailed(mail.id(), clock.instant(), mail.email().caller(), e.provider(),
        attempts, e.kind(), e.getMessage()));
    if (attempts >= maxAttempts) {
      return new Engine.Outcome.GaveUp(e.kind(), e.provider(), e.getMessage(), attempts, null, List.of(),
          Duration.ZERO);
    }
    events.publish(new MailEvent.RetryScheduled(mail.id(), clock.instant(), mail.email().caller(), e.provider(),
        attempts + 1, AFTER_BUG));
    return new Engine.Outcome.Later(clock.instant().plus(AFTER_BUG), attempts);
  }

  /** An unexpected failure of a pass: try again later, and dead-letter it once its attempts are spent. */
  private Engine.Outcome afterBug(QueuedMail mail, Throwable e) {
    int attempts = mail.attempts() + 1;
    log.error("Unexpected {} while sending queued message {}", e.getClass().getName(), mail.id(), e);
    if (attempts >= maxAttempts) {
      return new Engine.Outcome.GaveUp(FailureKind.PERMANENT, "none", "sending failed unexpectedly "
          + attempts + " times; last: " + e.getClass().getName(), attempts, null, List.of(), Duration.ZERO);
    }
    return new Engine.Outcome.Later(clock.instant().plus(AFTER_BUG), attempts);
  }

  /**
   * Completes the message as decided. A queue that fails here (a durable queue that lost its
   * connection) must not kill the worker: the lease lapses and the message comes back.
   */
  private void complete(Lease lease, Engine.Outcome outcome) {
    QueuedMail mail = lease.mail();
    String key = mail.email().idempotencyKey().orElse(null);
    try {
      boolean current;
      if (outcome instanceof Engine.Outcome.Sent sent) {
        current = queue.ack(lease);
        if (key != null) {
          idempotency.succeeded(key, mail.id(), sent.result());
        }
      } else if (outcome instanceof Engine.Outcome.Later later) {
        current = queue.reschedule(lease, later.dueAt(), later.attempts());
      } else if (outcome instanceof Engine.Outcome.Suppressed suppressed) {
        // Not a dead letter: nothing failed, and requeueing it would only be suppressed again.
        current = queue.ack(lease);
        if (current) {
          suppressions.droppedAll(mail.id(), mail.email(), suppressed.verdict());
          if (key != null) {
            idempotency.release(key, mail.id());
          }
        }
      } else {
        Engine.Outcome.GaveUp gaveUp = (Engine.Outcome.GaveUp) outcome;
        current = queue.deadLetter(lease, gaveUp.attempts(), gaveUp.kind(), gaveUp.reason());
        if (current) {
          events.publish(new MailEvent.DeadLettered(mail.id(), clock.instant(), mail.email().caller(), gaveUp.kind(),
              gaveUp.attempts(), gaveUp.reason()));
          metrics.send(gaveUp.provider(), "dead_lettered", mail.email().caller(),
              Duration.between(mail.enqueuedAt(), clock.instant()));
          if (key != null) {
            idempotency.release(key, mail.id());
          }
        }
      }
      if (!current) {
        log.warn("The lease on queued message {} lapsed before it was completed; another worker may have taken it"
            + " (at-least-once: it may be sent twice)", mail.id());
      }
    } catch (RuntimeException e) {
      log.warn("Completing queued message {} failed ({}); its lease will lapse and it will be taken again",
          mail.id(), e.toString());
    }
  }

  private static String outcomeName(Engine.Outcome outcome) {
    if (outcome instanceof Engine.Outcome.Sent) {
      return "sent";
    }
    if (outcome instanceof Engine.Outcome.Suppressed) {
      return "suppressed";
    }
    return outcome instanceof Engine.Outcome.Later ? "rescheduled" : "dead_lettered";
  }

  /**
   * The message's latest lease, taken out of the renewer's sight before the message is completed:
   * a renewal that fails because the completion came first is then not mistaken for a lost lease.
   */
  private Lease doneWith(Lease lease) {
    Lease renewed = inFlight.remove(lease.id());
    return renewed != null ? renewed : lease;
  }

  private void renewLeases() {
    for (Map.Entry<String, Lease> entry : inFlight.entrySet()) {
      try {
        Lease renewed = queue.renew(entry.getValue(), leaseFor).orElse(null);
        if (renewed != null) {
          inFlight.replace(entry.getKey(), entry.getValue(), renewed);
        } else if (inFlight.get(entry.getKey()) == entry.getValue()) {
          // Still held (not just completed): the lease was really lost; a worker that has not
          // reached it yet skips it.
          lost.put(entry.getKey(), entry.getValue().token());
          log.warn("Could not renew the lease on queued message {}; it may be taken by another worker", entry.getKey());
        }
      } catch (RuntimeException e) {
        log.warn("Renewing the lease on queued message {} failed: {}", entry.getKey(), e.toString());
      }
    }
  }

  private void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
