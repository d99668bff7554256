package io.postline.mail.core.internal;

import io.postline.mail.Email;
import io.postline.mail.MailException;
import io.postline.mail.Recipient;
import io.postline.mail.SendResult;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.BatchResult;
import io.postline.mail.core.DeadLetters;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.MailerHealth;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.Receipt;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.MailProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The {@link Mailer} behind {@link Mailer#builder()}: a facade over the {@link Intake} (messages
 * in), the {@link Workers}, the {@link HealthChecker} and the dead-letters view, and the one owner
 * of the mailer's lifecycle. Every call is counted in flight from entry to completion, so
 * {@link #shutdown} waits for it; a call made after shutdown began fails with "closed", never with
 * a {@link RejectedExecutionException}.
 */
public final class DefaultMailer implements Mailer {
  private static final Logger log = LoggerFactory.getLogger(DefaultMailer.class);
  /** The bit of {@link #state} that says shutdown began. */
  private static final int CLOSED = Integer.MIN_VALUE;

  /**
   * What the mailer created and so closes; what the application passed in is left to it.
   *
   * @param providers the providers the mailer created from DSNs
   * @param queue whether the mailer created its queue
   */
  public record Owned(List<MailProvider> providers, boolean queue) {
    /** Copies the list. */
    public Owned {
      providers = List.copyOf(providers);
    }
  }

  private final Intake intake;
  private final Engine engine;
  private final Workers workers;
  private final MailerThreads threads;
  private final HealthChecker health;
  private final MailQueue queue;
  private final AuditLog audit;
  private final EventPublisher events;
  private final Owned owned;
  private final Duration closeTimeout;
  private final Clock clock;
  private final DeadLetters deadLetters;
  /** Calls in flight, with {@link #CLOSED} set once shutdown began: one atomic update per call in and out. */
  private final AtomicInteger state = new AtomicInteger();
  /** Guards only the wait for the last call in flight at shutdown. */
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();

  /** Creates a mailer; use {@link Mailer#builder()}. */
  public DefaultMailer(Intake intake, Engine engine, Workers workers, MailerThreads threads, HealthChecker health,
      MailQueue queue, AuditLog audit, EventPublisher events, Owned owned, Duration closeTimeout, Clock clock,
      boolean startWorkersNow) {
    this.intake = intake;
    this.engine = engine;
    this.workers = workers;
    this.threads = threads;
    this.health = health;
    this.queue = queue;
    this.audit = audit;
    this.events = events;
    this.owned = owned;
    this.closeTimeout = closeTimeout;
    this.clock = clock;
    this.deadLetters = new DeadLetterView(queue, workers);
    if (startWorkersNow) {
      workers.start();
    }
  }

  @Override
  public SendResult send(Email email) {
    Objects.requireNonNull(email, "email");
    enter();
    try {
      return intake.send(email);
    } finally {
      leave();
    }
  }

  @Override
  public CompletableFuture<SendResult> sendAsync(Email email) {
    Objects.requireNonNull(email, "email");
    // Counted from submission, so shutdown waits for sends still waiting for a thread.
    enter();
    Map<String, String> context = MDC.getCopyOfContextMap();
    try {
      CompletableFuture<SendResult> future = CompletableFuture.supplyAsync(() -> {
        Map<String, String> previous = MDC.getCopyOfContextMap();
        restore(context);
        try {
          return intake.send(email);
        } finally {
          restore(previous);
        }
      }, threads.async());
      // Counted out only once the future is complete, so shutdown never returns before a caller can see it done.
      future.whenComplete((result, failure) -> leave());
      return future;
    } catch (RejectedExecutionException e) {
      leave();
      return CompletableFuture.failedFuture(new MailException(
          "the mailer's async queue is full; slow down or raise asyncQueueCapacity"));
    }
  }

  @Override
  public BatchResult sendBatch(Email email, List<Recipient> recipients) {
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(recipients, "recipients");
    return inFlight(() -> intake.sendBatch(email, List.copyOf(recipients), Intake.ExecutorLike.of(threads.async()),
        threads.asyncParallelism()));
  }

  @Override
  public Receipt enqueue(Email email) {
    Objects.requireNonNull(email, "email");
    return inFlight(() -> intake.enqueue(email));
  }

  @Override
  public List<Receipt> enqueueBatch(Email email, List<Recipient> recipients) {
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(recipients, "recipients");
    return inFlight(() -> intake.enqueueBatch(email, List.copyOf(recipients)));
  }

  @Override
  public DeadLetters deadLetters() {
    return deadLetters;
  }

  @Override
  public QueueCounts queueCounts() {
    return queue.counts();
  }

  @Override
  public AuditLog audit() {
    return audit;
  }

  @Override
  public void recordDelivery(MailEvent.Delivery event) {
    Objects.requireNonNull(event, "event");
    events.publish(event);
  }

  @Override
  public MailerHealth health() {
    return health.check();
  }

  @Override
  public List<QueuedMail> shutdown(Duration timeout) {
    if (state.getAndUpdate(s -> s | CLOSED) < 0) {
      return List.of();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    workers.stop(timeout);
    awaitIdle(deadline, timeout);
    threads.shutdown(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    List<QueuedMail> left = List.of();
    try {
      left = queue.drain();
    } catch (RuntimeException e) {
      log.warn("Draining the mail queue on shutdown failed: {}", e.toString());
    }
    owned.providers().forEach(DefaultMailer::closeQuietly);
    if (owned.queue()) {
      try {
        queue.close();
      } catch (RuntimeException e) {
        log.warn("Closing the mail queue failed: {}", e.toString());
      }
    }
    return left;
  }

  @Override
  public void close() {
    List<QueuedMail> left = shutdown(closeTimeout);
    if (!left.isEmpty()) {
      long scheduled = left.stream().filter(m -> m.dueAt().isAfter(clock.instant())).count();
      log.warn("Mailer closed with {} queued messages not sent ({} due now, {} scheduled); an in-memory queue loses "
          + "them: call shutdown(Duration) to get them back, or use a durable queue", left.size(),
          left.size() - scheduled, scheduled);
    }
  }

  /** Closes a provider, logging (not throwing) what goes wrong. */
  public static void closeQuietly(MailProvider provider) {
    try {
      provider.close();
    } catch (RuntimeException e) {
      log.warn("Provider {} failed to close", provider.name(), e);
    }
  }

  @Override
  public String toString() {
    return "Mailer[providers=" + engine.slots().stream().map(ProviderSlot::name).toList()
        + (state.get() < 0 ? ", closed" : "") + "]";
  }

  private <T> T inFlight(Supplier<T> call) {
    enter();
    try {
      return call.get();
    } finally {
      leave();
    }
  }

  private void enter() {
    int s;
    do {
      s = state.get();
      if (s < 0) {
        throw new IllegalStateException("the Mailer is closed");
      }
    } while (!state.compareAndSet(s, s + 1));
  }

  private void leave() {
    if (state.decrementAndGet() == CLOSED) {
      // The last call out after shutdown began: wake the shutdown waiting for it.
      lock.lock();
      try {
        idle.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private void awaitIdle(long deadline, Duration timeout) {
    lock.lock();
    try {
      while (state.get() != CLOSED) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("Mailer shut down with {} sends still in flight after {}", state.get() & ~CLOSED, timeout);
          return;
        }
        idle.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  private static void restore(@Nullable Map<String, String> context) {
    if (context == null) {
      MDC.clear();
    } else {
      MDC.setContextMap(context);
    }
  }
}
