package io.postline.mail.core.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.MailException;
import io.postline.mail.Recipient;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.BatchResult;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.DeadLetters;
import io.postline.mail.core.HealthStatus;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.MailerHealth;
import io.postline.mail.core.ProviderHealth;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.Receipt;
import io.postline.mail.core.RenderedTemplate;
import io.postline.mail.core.Templates;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The {@link Mailer} behind {@link Mailer#builder()}. */
public final class DefaultMailer implements Mailer {
  private static final Logger log = LoggerFactory.getLogger(DefaultMailer.class);
  private static final AtomicInteger POOLS = new AtomicInteger();

  /**
   * Everything a mailer is made of, assembled by the builder.
   *
   * @param dispatcher sends to the providers
   * @param events publishes to audit, metrics and listeners
   * @param templates renders templated emails
   * @param defaultLocale for emails that name none
   * @param idempotency remembers idempotency keys
   * @param audit keeps events per message
   * @param queue holds enqueued messages
   * @param workers work the queue
   * @param startWorkersNow start the workers at once (a durable queue may hold work already) or
   *     on the first enqueue
   * @param executor the caller's executor for async sends, or null for a pool the mailer owns
   * @param asyncThreads threads of the owned pool
   * @param asyncQueueCapacity waiting sends the owned pool holds
   * @param closeTimeout how long close waits for sends in flight
   * @param healthTimeout how long each provider's active check may take
   * @param correlationKey the MDC key of the correlation id
   * @param observations where each send is observed
   * @param clock for timestamps and due times
   * @param sleeper how synchronous sends wait
   * @param callExecutor runs provider calls that have a timeout, or null when none has
   */
  public record Parts(Dispatcher dispatcher, EventPublisher events, Templates templates, Locale defaultLocale,
      IdempotencyStore idempotency, AuditLog audit, MailQueue queue, QueueWorkers workers, boolean startWorkersNow,
      @Nullable Executor executor, int asyncThreads, int asyncQueueCapacity, Duration closeTimeout,
      Duration healthTimeout, String correlationKey, ObservationRegistry observations, Clock clock, Sleeper sleeper,
      @Nullable ExecutorService callExecutor) {}

  private final Parts parts;
  private final Dispatcher dispatcher;
  private final EventPublisher events;
  private final Clock clock;
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final ExecutorService healthExecutor;
  private final int parallelism;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ReentrantLock inFlightLock = new ReentrantLock();
  private final Condition idle = inFlightLock.newCondition();
  private int inFlight;

  /** Creates a mailer; use {@link Mailer#builder()}. */
  public DefaultMailer(Parts parts) {
    this.parts = parts;
    this.dispatcher = parts.dispatcher();
    this.events = parts.events();
    this.clock = parts.clock();
    this.parallelism = parts.asyncThreads();
    if (parts.executor() != null) {
      this.executor = parts.executor();
      this.ownedExecutor = null;
    } else {
      ThreadPoolExecutor pool = new ThreadPoolExecutor(parts.asyncThreads(), parts.asyncThreads(),
          60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(parts.asyncQueueCapacity()),
          daemonThreads("postline-mailer-" + POOLS.incrementAndGet() + "-"));
      pool.allowCoreThreadTimeOut(true);
      this.executor = pool;
      this.ownedExecutor = pool;
    }
    this.healthExecutor = Executors.newCachedThreadPool(daemonThreads("postline-health-" + POOLS.incrementAndGet() + "-"));
    if (parts.startWorkersNow()) {
      parts.workers().start();
    }
  }

  @Override
  public SendResult send(Email email) {
    ensureOpen();
    enter();
    try {
      return sendNow(email);
    } finally {
      leave();
    }
  }

  @Override
  public CompletableFuture<SendResult> sendAsync(Email email) {
    ensureOpen();
    // Counted from submission, so close() waits for sends still queued on a caller's executor.
    enter();
    Map<String, String> context = MDC.getCopyOfContextMap();
    try {
      return CompletableFuture.supplyAsync(() -> {
        Map<String, String> previous = MDC.getCopyOfContextMap();
        restore(context);
        try {
          return sendNow(email);
        } finally {
          restore(previous);
          leave();
        }
      }, executor);
    } catch (RejectedExecutionException e) {
      leave();
      return CompletableFuture.failedFuture(new MailException(
          "the mailer's async queue is full or shutting down; slow down or raise asyncQueueCapacity", e));
    }
  }

  @Override
  public BatchResult sendBatch(Email email, List<Recipient> recipients) {
    ensureOpen();
    List<CompletableFuture<SendResult>> futures = new ArrayList<>(recipients.size());
    // Bounds the sends in flight so a large batch never floods the executor's queue.
    Semaphore permits = new Semaphore(parallelism * 2);
    for (Recipient recipient : recipients) {
      Email single;
      try {
        single = forRecipient(email, recipient);
      } catch (InvalidEmailException e) {
        futures.add(CompletableFuture.failedFuture(e));
        continue;
      }
      try {
        permits.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.add(CompletableFuture.failedFuture(new MailException("interrupted while sending a batch", e)));
        continue;
      }
      CompletableFuture<SendResult> future = sendAsync(single);
      future.whenComplete((r, t) -> permits.release());
      futures.add(future);
    }
    List<BatchResult.Item> items = new ArrayList<>(recipients.size());
    for (int i = 0; i < recipients.size(); i++) {
      items.add(outcome(recipients.get(i), futures.get(i)));
    }
    return new BatchResult(items);
  }

  @Override
  public Receipt enqueue(Email email) {
    ensureOpen();
    String id = MailIds.next();
    String key = email.idempotencyKey().orElse(null);
    if (key != null) {
      Optional<IdempotencyStore.Claim> existing = parts.idempotency().claim(key, id);
      if (existing.isPresent()) {
        String original = existing.get().mailId();
        events.publish(new MailEvent.DuplicateDropped(id, clock.instant(), email.caller(), original));
        return new Receipt(original, true);
      }
    }
    try {
      Email ready = render(email);
      List<String> problems = dispatcher.queueProblems(ready);
      if (!problems.isEmpty()) {
        throw new InvalidEmailException(problems);
      }
      Instant now = clock.instant();
      Instant due = ready.sendAt().filter(now::isBefore).orElse(now);
      // Published before the message is stored: a worker may take it at once, and its events
      // must follow this one.
      events.publish(new MailEvent.Queued(id, now, ready.caller(), ready.priority(), ready.sendAt()));
      try {
        parts.queue().enqueue(new QueuedMail(id, ready, 0, now, due, Optional.ofNullable(MDC.get(parts.correlationKey()))));
      } catch (RuntimeException e) {
        events.publish(new MailEvent.Failed(id, clock.instant(), ready.caller(), "queue", FailureKind.TRANSIENT, 0,
            "the queue refused the message: " + e.getMessage()));
        throw e;
      }
    } catch (RuntimeException e) {
      if (key != null) {
        parts.idempotency().release(key, id);
      }
      throw e;
    }
    parts.workers().start();
    return new Receipt(id, false);
  }

  @Override
  public DeadLetters deadLetters() {
    MailQueue queue = parts.queue();
    return new DeadLetters() {
      @Override
      public List<DeadLetter> list(int limit) {
        return queue.deadLetters(limit);
      }

      @Override
      public boolean requeue(String id) {
        boolean requeued = queue.requeueDeadLetter(id);
        if (requeued) {
          parts.workers().start();
        }
        return requeued;
      }

      @Override
      public long requeueAll() {
        long n = 0;
        // Requeue in batches: the list is bounded, so ask again until it is empty.
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
          parts.workers().start();
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
    };
  }

  @Override
  public QueueCounts queueCounts() {
    return parts.queue().counts();
  }

  @Override
  public AuditLog audit() {
    return parts.audit();
  }

  @Override
  public MailerHealth health() {
    List<ProviderSlot> slots = dispatcher.slots();
    List<Future<ProviderHealth>> checks = new ArrayList<>(slots.size());
    for (ProviderSlot slot : slots) {
      checks.add(healthExecutor.submit(() -> check(slot)));
    }
    List<ProviderHealth> providers = new ArrayList<>(slots.size());
    for (int i = 0; i < slots.size(); i++) {
      ProviderSlot slot = slots.get(i);
      String state = slot.breaker().getState().name();
      try {
        providers.add(checks.get(i).get(parts.healthTimeout().toNanos(), TimeUnit.NANOSECONDS));
      } catch (TimeoutException e) {
        checks.get(i).cancel(true);
        providers.add(new ProviderHealth(slot.name(), HealthStatus.DOWN, state,
            Optional.of("active check gave no answer within " + parts.healthTimeout())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        providers.add(new ProviderHealth(slot.name(), HealthStatus.DOWN, state, Optional.of("interrupted")));
      } catch (ExecutionException e) {
        providers.add(new ProviderHealth(slot.name(), HealthStatus.DOWN, state,
            Optional.of("active check failed with " + e.getCause().getClass().getName())));
      }
    }
    return new MailerHealth(MailerHealth.overall(providers), providers);
  }

  @Override
  public List<QueuedMail> shutdown(Duration timeout) {
    if (!closed.compareAndSet(false, true)) {
      return List.of();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    parts.workers().stop(timeout);
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
      try {
        if (!ownedExecutor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          List<Runnable> dropped = ownedExecutor.shutdownNow();
          log.warn("Mailer shut down with async sends still running after {}; {} waiting sends were not started",
              timeout, dropped.size());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ownedExecutor.shutdownNow();
      }
    }
    awaitIdle(deadline, timeout);
    List<QueuedMail> left = List.of();
    try {
      left = parts.queue().drain();
    } catch (RuntimeException e) {
      log.warn("Draining the mail queue on shutdown failed: {}", e.toString());
    }
    for (ProviderSlot slot : dispatcher.slots()) {
      closeQuietly(slot.provider());
    }
    try {
      parts.queue().close();
    } catch (RuntimeException e) {
      log.warn("Closing the mail queue failed: {}", e.toString());
    }
    healthExecutor.shutdownNow();
    if (parts.callExecutor() != null) {
      parts.callExecutor().shutdownNow();
    }
    return left;
  }

  @Override
  public void close() {
    List<QueuedMail> left = shutdown(parts.closeTimeout());
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
    return "Mailer[providers=" + dispatcher.slots().stream().map(ProviderSlot::name).toList()
        + (closed.get() ? ", closed" : "") + "]";
  }

  @SuppressWarnings("try") // the observation scope is used for its side effect
  private SendResult sendNow(Email email) {
    String id = MailIds.next();
    String key = email.idempotencyKey().orElse(null);
    if (key != null) {
      SendResult earlier = awaitDuplicate(id, key, email);
      if (earlier != null) {
        return earlier;
      }
    }
    Observation observation = Observation.createNotStarted("postline.mail.dispatch", parts.observations())
        .lowCardinalityKeyValue("mode", "sync")
        .start();
    try (Observation.Scope scope = observation.openScope()) {
      SendResult result = dispatcher.send(id, render(email));
      observation.lowCardinalityKeyValue("provider", result.provider()).lowCardinalityKeyValue("outcome", "sent");
      if (key != null) {
        parts.idempotency().succeeded(key, id, result);
      }
      return result;
    } catch (RuntimeException e) {
      observation.lowCardinalityKeyValue("outcome", "failed").error(e);
      if (key != null) {
        parts.idempotency().release(key, id);
      }
      throw e;
    } finally {
      observation.stop();
    }
  }

  /**
   * Claims the key for {@code id}. When another message holds it, reports the duplicate and
   * waits for that message's result (within the retry deadline); if that message fails, its claim
   * is released and this one claims the key after all.
   *
   * @return the earlier message's result, or null when {@code id} now holds the key
   */
  private @Nullable SendResult awaitDuplicate(String id, String key, Email email) {
    boolean reported = false;
    long deadline = System.nanoTime() + dispatcher.deadline().toNanos();
    long pauseMillis = 1;
    while (true) {
      Optional<IdempotencyStore.Claim> claim = parts.idempotency().claim(key, id);
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
      if (System.nanoTime() > deadline) {
        throw new SendFailedException(FailureKind.TRANSIENT, "none", "a message with the same idempotency key ("
            + claim.get().mailId() + ") is still being sent; try again later", null, 0, null);
      }
      try {
        parts.sleeper().sleep(Duration.ofMillis(pauseMillis));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MailException("interrupted while waiting for a duplicate's result", e);
      }
      pauseMillis = Math.min(pauseMillis * 2, 100);
    }
  }

  private Email render(Email email) {
    Email.Template template = email.template().orElse(null);
    if (template == null) {
      return email;
    }
    RenderedTemplate rendered = parts.templates().render(template.name(),
        email.locale().orElse(parts.defaultLocale()), template.model());
    Email.Builder b = email.toBuilder().clearTemplate().subject(rendered.subject());
    rendered.text().ifPresent(b::text);
    rendered.html().ifPresent(b::html);
    try {
      return b.build();
    } catch (InvalidEmailException e) {
      throw new InvalidEmailException(e.problems().stream()
          .map(p -> "template " + template.name() + " rendered into an invalid email: " + p).toList());
    }
  }

  private ProviderHealth check(ProviderSlot slot) {
    CircuitBreaker.State state = slot.breaker().getState();
    switch (state) {
      case OPEN, FORCED_OPEN:
        return new ProviderHealth(slot.name(), HealthStatus.DOWN, state.name(), Optional.of("circuit breaker is open"));
      case HALF_OPEN:
        return new ProviderHealth(slot.name(), HealthStatus.DEGRADED, state.name(),
            Optional.of("circuit breaker is half-open: recovering"));
      default:
        break;
    }
    try {
      slot.provider().probe(parts.healthTimeout());
      return new ProviderHealth(slot.name(), HealthStatus.UP, state.name(), Optional.empty());
    } catch (ProviderException e) {
      return new ProviderHealth(slot.name(), HealthStatus.DOWN, state.name(), Optional.of(Dispatcher.describe(e)));
    }
  }

  private static Email forRecipient(Email email, Recipient recipient) {
    Email.Builder b = email.toBuilder().clearRecipients().to(recipient.address());
    Email.Template template = email.template().orElse(null);
    if (template != null) {
      Map<String, Object> model = new LinkedHashMap<>(template.model());
      model.putAll(recipient.model());
      b.template(template.name(), model);
    } else if (!recipient.model().isEmpty()) {
      throw new InvalidEmailException("recipient " + recipient.address().masked()
          + " has template values but the email has no template");
    }
    // One key per recipient, or every copy after the first would be a duplicate.
    email.idempotencyKey().ifPresent(key -> b.idempotencyKey(key + "/" + recipient.address().asciiEmail()));
    return b.build();
  }

  private static BatchResult.Item outcome(Recipient recipient, CompletableFuture<SendResult> future) {
    try {
      return BatchResult.Item.sent(recipient.address(), future.join());
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof MailException m) {
        return BatchResult.Item.failed(recipient.address(), m);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the Mailer is closed");
    }
  }

  private void enter() {
    inFlightLock.lock();
    try {
      inFlight++;
    } finally {
      inFlightLock.unlock();
    }
  }

  private void leave() {
    inFlightLock.lock();
    try {
      if (--inFlight == 0) {
        idle.signalAll();
      }
    } finally {
      inFlightLock.unlock();
    }
  }

  private void awaitIdle(long deadline, Duration timeout) {
    inFlightLock.lock();
    try {
      while (inFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("Mailer shut down with {} sends still in flight after {}", inFlight, timeout);
          return;
        }
        idle.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      inFlightLock.unlock();
    }
  }

  private static void restore(@Nullable Map<String, String> context) {
    if (context == null) {
      MDC.clear();
    } else {
      MDC.setContextMap(context);
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread t = new Thread(runnable, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
