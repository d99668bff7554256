package io.postline.mail.core.internal;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The workers of a mailer's queue: each takes a message with a lease, makes one pass over the
 * providers ({@link Dispatcher#attemptQueued}) and completes the message as the pass decided. A
 * worker never sleeps on a message: retries and rate-limit waits reschedule it. Leases of
 * messages being sent are renewed in the background, at a third of their length.
 */
public final class QueueWorkers {
  private static final Logger log = LoggerFactory.getLogger(QueueWorkers.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final AtomicInteger GROUPS = new AtomicInteger();

  private final MailQueue queue;
  private final Dispatcher dispatcher;
  private final EventPublisher events;
  private final IdempotencyStore idempotency;
  private final Clock clock;
  private final Duration leaseFor;
  private final String correlationKey;
  private final int count;
  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, Lease> inFlight = new ConcurrentHashMap<>();
  private final ObservationRegistry observations;
  private final ScheduledExecutorService renewer;
  private volatile boolean running;

  /** Workers for {@code queue}; call {@link #start()}. */
  public QueueWorkers(MailQueue queue, Dispatcher dispatcher, EventPublisher events, IdempotencyStore idempotency,
      Clock clock, int count, Duration leaseFor, String correlationKey, ObservationRegistry observations) {
    this.observations = observations;
    this.queue = queue;
    this.dispatcher = dispatcher;
    this.events = events;
    this.idempotency = idempotency;
    this.clock = clock;
    this.count = count;
    this.leaseFor = leaseFor;
    this.correlationKey = correlationKey;
    int group = GROUPS.incrementAndGet();
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "postline-lease-renewer-" + group);
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the worker threads and the lease renewer; idempotent. */
  public synchronized void start() {
    if (running || !threads.isEmpty()) {
      return;
    }
    running = true;
    int group = GROUPS.incrementAndGet();
    for (int i = 1; i <= count; i++) {
      Thread t = new Thread(this::work, "postline-worker-" + group + "-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long period = Math.max(1, leaseFor.toMillis() / 3);
    renewer.scheduleAtFixedRate(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
  }

  /** Whether the workers run. */
  public boolean started() {
    return running;
  }

  /**
   * Stops taking messages and waits up to {@code timeout} for the messages being sent; workers
   * still busy after that are interrupted (their messages' leases lapse and they return to the
   * queue).
   */
  public synchronized void stop(Duration timeout) {
    running = false;
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      try {
        long left = deadline - System.nanoTime();
        if (left > 0) {
          t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Thread t : threads) {
      if (t.isAlive()) {
        log.warn("Queue worker {} still busy after {}; interrupting it, its message returns to the queue", t.getName(), timeout);
        t.interrupt();
      }
    }
    renewer.shutdownNow();
  }

  private void work() {
    while (running) {
      Lease lease;
      try {
        lease = queue.take(POLL, leaseFor).orElse(null);
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
        continue;
      } catch (RuntimeException e) {
        // A broken connection to a durable queue: keep trying, the queue reconnects.
        log.warn("Taking from the mail queue failed; trying again: {}", e.toString());
        pause();
        continue;
      }
      if (lease != null) {
        process(lease);
      }
    }
  }

  @SuppressWarnings("try") // the observation scope is used for its side effect
  private void process(Lease lease) {
    QueuedMail mail = lease.mail();
    inFlight.put(mail.id(), lease);
    String previous = MDC.get(correlationKey);
    mail.correlationId().ifPresent(c -> MDC.put(correlationKey, c));
    try {
      Dispatcher.Decision decision;
      Observation observation = Observation.createNotStarted("postline.mail.dispatch", observations)
          .lowCardinalityKeyValue("mode", "queued")
          .start();
      try (Observation.Scope scope = observation.openScope()) {
        decision = dispatcher.attemptQueued(mail);
        observation.lowCardinalityKeyValue("outcome", outcome(decision));
        if (decision instanceof Dispatcher.Decision.Sent sent) {
          observation.lowCardinalityKeyValue("provider", sent.result().provider());
        }
      } catch (RuntimeException e) {
        observation.error(e);
        log.error("Unexpected failure while sending queued message {}; it is retried later", mail.id(), e);
        decision = new Dispatcher.Decision.Reschedule(clock.instant().plus(Duration.ofSeconds(30)), mail.attempts());
      } finally {
        observation.stop();
      }
      apply(current(lease), decision);
    } finally {
      inFlight.remove(mail.id());
      if (previous != null) {
        MDC.put(correlationKey, previous);
      } else {
        MDC.remove(correlationKey);
      }
    }
  }

  /**
   * Completes the message as decided. A queue that fails here (a durable queue that lost its
   * connection) must not kill the worker: the lease lapses and the message comes back.
   */
  private void apply(Lease lease, Dispatcher.Decision decision) {
    try {
      complete(lease, decision);
    } catch (RuntimeException e) {
      log.warn("Completing queued message {} failed ({}); its lease will lapse and it will be taken again",
          lease.id(), e.toString());
    }
  }

  private void complete(Lease lease, Dispatcher.Decision decision) {
    QueuedMail mail = lease.mail();
    String key = mail.email().idempotencyKey().orElse(null);
    boolean current;
    if (decision instanceof Dispatcher.Decision.Sent sent) {
      current = queue.ack(lease);
      if (key != null) {
        idempotency.succeeded(key, mail.id(), sent.result());
      }
    } else if (decision instanceof Dispatcher.Decision.Reschedule r) {
      current = queue.reschedule(lease, r.dueAt(), r.attempts());
    } else {
      Dispatcher.Decision.DeadLetter d = (Dispatcher.Decision.DeadLetter) decision;
      current = queue.deadLetter(lease, d.attempts(), d.kind(), d.reason());
      if (current) {
        events.publish(new MailEvent.DeadLettered(mail.id(), clock.instant(), mail.email().caller(), d.kind(),
            d.attempts(), d.reason()));
        if (key != null) {
          idempotency.release(key, mail.id());
        }
      }
    }
    if (!current) {
      log.warn("The lease on queued message {} lapsed before it was completed; another worker may have taken it"
          + " (at-least-once: it may be sent twice)", mail.id());
    }
  }

  private static String outcome(Dispatcher.Decision decision) {
    if (decision instanceof Dispatcher.Decision.Sent) {
      return "sent";
    }
    return decision instanceof Dispatcher.Decision.Reschedule ? "rescheduled" : "dead_lettered";
  }

  private Lease current(Lease lease) {
    Lease renewed = inFlight.get(lease.id());
    return renewed != null ? renewed : lease;
  }

  private void renewLeases() {
    for (Map.Entry<String, Lease> entry : inFlight.entrySet()) {
      try {
        @Nullable Lease renewed = queue.renew(entry.getValue(), leaseFor).orElse(null);
        if (renewed != null) {
          inFlight.replace(entry.getKey(), entry.getValue(), renewed);
        } else if (inFlight.get(entry.getKey()) == entry.getValue()) {
          // Still being sent (not just completed by its worker): the lease was really lost.
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
