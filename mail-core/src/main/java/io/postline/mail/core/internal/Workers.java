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
   * Leases taken per call. One: a worker holds only the message it works on, so a crashed JVM
   * strands at most one message per worker until its lease lapses, and an idle worker is never
   * starved by a busy one holding messages it has not reached yet.
   */
  private static final int TAKE_MAX = 1;
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
  private final Map<String, Lease> inFlight = new ConcurrentHashMap<>();
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
    while (!stopping) {
      List<Lease> leases;
      try {
        leases = queue.take(TAKE_MAX, POLL, leaseFor);
      } catch (InterruptedException e) {
        continue;
      } catch (RuntimeException e) {
        // A broken connection to a durable queue: keep trying, the queue reconnects.
        log.warn("Taking from the mail queue failed; trying again: {}", e.toString());
        pause();
        continue;
      }
      leases.forEach(l -> inFlight.put(l.id(), l));
      for (Lease lease : leases) {
        try {
          if (!stopping) {
            process(lease);
          }
        } finally {
          inFlight.remove(lease.id());
        }
      }
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
          // Still being worked (not just completed): the lease was really lost.
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
