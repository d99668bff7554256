package io.postline.mail.core.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Postline's meters, all under {@code postline.mail}, with low-cardinality tags only (provider,
 * outcome, kind, caller, priority, state): never recipients or subjects. Counters follow the
 * events; timers and gauges are fed by the pipeline.
 */
public final class MailMetrics implements MailListener {
  /**
   * Timer: one whole send (retries and failover included), by provider and outcome (and caller,
   * when the application opts in).
   */
  public static final String SEND = "postline.mail.send";
  /** Counter: provider calls, by provider and outcome (success or a failure kind). */
  public static final String ATTEMPTS = "postline.mail.attempts";
  /** Counter: moves from one provider to the next, by from and to. */
  public static final String FAILOVERS = "postline.mail.failovers";
  /** Counter: retries scheduled, by provider. */
  public static final String RETRIES = "postline.mail.retries";
  /** Counter: messages moved to the dead letters, by kind. */
  public static final String DEAD_LETTERS = "postline.mail.dead.letters";
  /** Counter: submissions dropped as duplicates of an idempotency key. */
  public static final String DUPLICATES = "postline.mail.duplicates";
  /** Counter: recipients left out because the suppression list names them, by reason. */
  public static final String SUPPRESSED = "postline.mail.suppressed";
  /** Counter: what providers reported after sending (verified webhooks), by provider and status. */
  public static final String DELIVERIES = "postline.mail.deliveries";
  /** Gauge: queue workers running now. */
  public static final String WORKERS = "postline.mail.workers";
  /** Counter: queue workers that died; each is replaced while the mailer runs. */
  public static final String WORKER_DEATHS = "postline.mail.workers.died";
  /** Timer: waits for a provider's rate limit, by provider and mode (sync or queued). */
  public static final String RATE_LIMIT_WAITS = "postline.mail.ratelimit.waits";
  /** Gauge: messages in the queue, by state (ready, scheduled, leased, dead) and priority. */
  public static final String QUEUE_DEPTH = "postline.mail.queue.depth";
  /** Gauge: 1 for a provider's current circuit state, 0 for the others, by provider and state. */
  public static final String CIRCUIT_STATE = "postline.mail.circuit.state";

  private static final String NO_CALLER = "none";

  private final @Nullable MeterRegistry registry;
  private final boolean callerTag;
  private final boolean timeSends;
  /** Each provider's meters, resolved on first use, so a send builds no meter ids or keys. */
  private final Map<String, ProviderMeters> byProvider = new ConcurrentHashMap<>();
  /** The provider meters used last: most mailers send through one provider, and skip the map lookup. */
  private volatile @Nullable ProviderMeters lastUsed;
  /** Meters with other tags (failovers, dead letters, duplicates, worker deaths): rare events. */
  private final Map<List<String>, Counter> rare = new ConcurrentHashMap<>();

  /**
   * Meters in {@code registry}; null turns metrics off.
   *
   * @param callerTag whether the send timer is tagged with the email's caller (free text: opt-in)
   * @param timeSends whether this class times sends; false when an observation registry does
   *     (its {@code postline.mail.send} observation is the timer), so no send is timed twice
   */
  public MailMetrics(@Nullable MeterRegistry registry, boolean callerTag, boolean timeSends) {
    this.registry = registry;
    this.callerTag = callerTag;
    this.timeSends = timeSends;
  }

  /** Records a finished send: sent, failed (synchronous) or dead-lettered (queued). */
  public void send(String provider, String outcome, Optional<String> caller, Duration duration) {
    if (registry == null || !timeSends) {
      return;
    }
    meters(provider).send(outcome, callerTag ? caller.orElse(NO_CALLER) : null).record(duration);
  }

  /** Records a wait for tokens. */
  public void rateLimitWait(String provider, boolean queued, Duration waited) {
    if (registry == null) {
      return;
    }
    meters(provider).rateLimitWait(queued).record(waited);
  }

  /** Registers the queue-depth gauges, sampling {@code queue.counts()} at most once a second. */
  public void bindQueue(MailQueue queue) {
    if (registry == null) {
      return;
    }
    CachedCounts counts = new CachedCounts(queue);
    for (Priority p : Priority.values()) {
      gauge(QUEUE_DEPTH, counts, c -> c.get().ready().get(p), "state", "ready", "priority", lower(p));
    }
    gauge(QUEUE_DEPTH, counts, c -> c.get().scheduled(), "state", "scheduled", "priority", "all");
    gauge(QUEUE_DEPTH, counts, c -> c.get().leased(), "state", "leased", "priority", "all");
    gauge(QUEUE_DEPTH, counts, c -> c.get().deadLettered(), "state", "dead", "priority", "all");
  }

  /** Registers the gauge of running queue workers. */
  public void bindWorkers(Workers workers) {
    if (registry == null) {
      return;
    }
    gauge(WORKERS, workers, Workers::running);
  }

  /** Counts a queue worker that died (the mailer starts another). */
  public void workerDied() {
    if (registry != null) {
      counter(WORKER_DEATHS);
    }
  }

  /** Registers a provider's circuit-state gauges. */
  public void bindCircuit(String provider, CircuitBreaker breaker) {
    if (registry == null) {
      return;
    }
    for (CircuitBreaker.State state : List.of(CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN,
        CircuitBreaker.State.HALF_OPEN)) {
      gauge(CIRCUIT_STATE, breaker, b -> b.getState() == state ? 1 : 0, "provider", provider, "state", lower(state));
    }
  }

  @Override
  public void onEvent(MailEvent event) {
    if (registry == null) {
      return;
    }
    if (event instanceof MailEvent.Sent e) {
      meters(e.provider()).attempt(null).increment();
    } else if (event instanceof MailEvent.AttemptFailed e) {
      meters(e.provider()).attempt(e.kind()).increment();
    } else if (event instanceof MailEvent.RetryScheduled e) {
      meters(e.provider()).retries().increment();
    } else if (event instanceof MailEvent.FailedOver e) {
      counter(FAILOVERS, "from", e.fromProvider(), "to", e.toProvider());
    } else if (event instanceof MailEvent.DeadLettered e) {
      counter(DEAD_LETTERS, "kind", lower(e.kind()));
    } else if (event instanceof MailEvent.DuplicateDropped) {
      counter(DUPLICATES);
    } else if (event instanceof MailEvent.Suppressed e) {
      counter(SUPPRESSED, "reason", e.reason());
    } else if (event instanceof MailEvent.Delivery e) {
      counter(DELIVERIES, "provider", e.provider(), "status", lower(e.status()));
    }
  }

  private ProviderMeters meters(String provider) {
    ProviderMeters m = lastUsed;
    if (m != null && m.provider.equals(provider)) {
      return m;
    }
    m = byProvider.get(provider);
    if (m == null) {
      m = byProvider.computeIfAbsent(provider, ProviderMeters::new);
    }
    lastUsed = m;
    return m;
  }

  private void counter(String name, String... tags) {
    List<String> key = new ArrayList<>(tags.length + 1);
    key.add(name);
    key.addAll(Arrays.asList(tags));
    rare.computeIfAbsent(key, k -> Counter.builder(name).tags(tags).register(registry)).increment();
  }

  private <T> void gauge(String name, T target, ToDoubleFunction<T> value, String... tags) {
    Gauge.builder(name, target, value).tags(tags).strongReference(true).register(registry);
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /**
   * One provider's meters, each registered on first use (so none appears before it counts) and
   * kept. Two threads may both register one: the registry returns the same meter to both.
   */
  private final class ProviderMeters {
    private static final FailureKind[] KINDS = FailureKind.values();

    private final String provider;
    /** Attempts: success at 0, then each failure kind at 1 + its ordinal. */
    private final @Nullable Counter[] attempts = new Counter[KINDS.length + 1];
    private @Nullable Counter retries;
    private @Nullable Timer sent;
    private @Nullable Timer failed;
    private @Nullable Timer deadLettered;
    private final @Nullable Timer[] rateLimitWaits = new Timer[2];
    /** Send timers by outcome and caller, when sends are tagged with their caller. */
    private final Map<List<String>, Timer> byCaller = new ConcurrentHashMap<>();

    ProviderMeters(String provider) {
      this.provider = provider;
    }

    Counter attempt(@Nullable FailureKind kind) {
      int i = kind == null ? 0 : 1 + kind.ordinal();
      Counter c = attempts[i];
      if (c == null) {
        c = Counter.builder(ATTEMPTS).tags("provider", provider, "outcome", kind == null ? "success" : lower(kind))
            .register(registry);
        attempts[i] = c;
      }
      return c;
    }

    Counter retries() {
      Counter c = retries;
      if (c == null) {
        c = Counter.builder(RETRIES).tags("provider", provider).register(registry);
        retries = c;
      }
      return c;
    }

    Timer send(String outcome, @Nullable String caller) {
      if (caller != null) {
        return byCaller.computeIfAbsent(List.of(outcome, caller), k -> sendTimer(outcome, caller));
      }
      switch (outcome) {
        case "sent" -> {
          Timer t = sent;
          return t != null ? t : (sent = sendTimer(outcome, null));
        }
        case "failed" -> {
          Timer t = failed;
          return t != null ? t : (failed = sendTimer(outcome, null));
        }
        case "dead_lettered" -> {
          Timer t = deadLettered;
          return t != null ? t : (deadLettered = sendTimer(outcome, null));
        }
        default -> {
          return sendTimer(outcome, null);
        }
      }
    }

    Timer rateLimitWait(boolean queued) {
      int i = queued ? 1 : 0;
      Timer t = rateLimitWaits[i];
      if (t == null) {
        t = Timer.builder(RATE_LIMIT_WAITS).description("Waits for a provider's rate limit")
            .tags("provider", provider, "mode", queued ? "queued" : "sync").register(registry);
        rateLimitWaits[i] = t;
      }
      return t;
    }

    private Timer sendTimer(String outcome, @Nullable String caller) {
      Timer.Builder b = Timer.builder(SEND).description("Sends, from the first attempt to the last answer")
          .tags("provider", provider, "outcome", outcome);
      if (caller != null) {
        b.tag("caller", caller);
      }
      return b.register(registry);
    }
  }

  /** Keeps a queue's counts for a second, so a scrape of six gauges asks the queue once. */
  private static final class CachedCounts {
    private final MailQueue queue;
    private volatile @Nullable QueueCounts counts;
    private volatile long takenAt;

    CachedCounts(MailQueue queue) {
      this.queue = queue;
    }

    QueueCounts get() {
      long now = System.nanoTime();
      QueueCounts c = counts;
      if (c == null || now - takenAt > 1_000_000_000L) {
        c = queue.counts();
        counts = c;
        takenAt = now;
      }
      return c;
    }
  }

}
