package io.postline.mail.core;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.core.internal.Backoff;
import io.postline.mail.core.internal.Breakers;
import io.postline.mail.core.internal.DefaultMailer;
import io.postline.mail.core.internal.Engine;
import io.postline.mail.core.internal.EventPublisher;
import io.postline.mail.core.internal.HealthChecker;
import io.postline.mail.core.internal.InMemoryIdempotencyStore;
import io.postline.mail.core.internal.Intake;
import io.postline.mail.core.internal.MailIds;
import io.postline.mail.core.internal.MailMetrics;
import io.postline.mail.core.internal.MailerThreads;
import io.postline.mail.core.internal.Preparer;
import io.postline.mail.core.internal.ProviderRegistry;
import io.postline.mail.core.internal.ProviderSlot;
import io.postline.mail.core.internal.Sleeper;
import io.postline.mail.core.internal.Suppressions;
import io.postline.mail.core.internal.Workers;
import io.postline.mail.event.MailListener;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link Mailer}. Every setter checks its argument at once and fails with an
 * {@link IllegalArgumentException} saying what was wrong and what was given; {@link #build()}
 * creates the providers and checks that every name refers to one.
 *
 * <p>Defaults: failover routing in the order providers are added; synchronous retries
 * {@code RetryPolicy.exponential(3, 200ms)} within 30 s; queued retries
 * {@code RetryPolicy.exponential(8, 1s)} up to 10 min apart; a circuit breaker per provider that
 * opens at 50% failures over the last 20 calls (at least 5) and tries again after 30 s; no rate
 * limit (a synchronous send waits at most 5 s for a token); no call timeout beyond the
 * providers' own; an in-memory queue of 100,000 messages worked by 4 workers (started on the
 * first enqueue); idempotency keys kept 24 h; an in-memory audit log of 30 days / 10,000
 * messages; no metrics unless a {@link MeterRegistry} is given (and no {@code caller} tag unless
 * {@link #meterCallerTag} is on); breakers and retries in registries of the mailer's own; daemon
 * threads named {@code postline-N-role-M}.
 *
 * <p>Ownership: {@link Mailer#close()} closes what the mailer created (providers made from DSNs,
 * its own queue, its threads) and nothing the application passed in.
 */
public final class MailerBuilder {
  /** Providers by name, in order: a {@link ProviderSettings} or a {@link MailProvider}. */
  private final Map<String, Object> providers = new LinkedHashMap<>();
  private final List<MailListener> listeners = new ArrayList<>();
  private final Map<String, ProviderOptions> options = new LinkedHashMap<>();
  private Routing routing = Routing.failover();
  private RetryPolicy retry = RetryPolicy.exponential(3, Duration.ofMillis(200));
  private RetryPolicy queueRetry = RetryPolicy.exponential(8, Duration.ofSeconds(1)).withMaxDelay(Duration.ofMinutes(10));
  private CircuitBreakerSettings circuitBreaker = CircuitBreakerSettings.defaults();
  private @Nullable CircuitBreakerRegistry circuitBreakerRegistry;
  private @Nullable RetryRegistry retryRegistry;
  private @Nullable ThreadFactory threadFactory;
  private boolean meterCallerTag;
  private Duration rateLimitWait = Duration.ofSeconds(5);
  private @Nullable RateLimitBackend rateLimitBackend;
  private @Nullable Templates templates;
  private @Nullable MailQueue queue;
  private int workers = 4;
  private Duration leaseDuration = Duration.ofSeconds(60);
  private @Nullable IdempotencyStore idempotency;
  private @Nullable AuditLog audit;
  private @Nullable SuppressionList suppressionList;
  private @Nullable MeterRegistry meterRegistry;
  private ObservationRegistry observationRegistry = ObservationRegistry.NOOP;
  private String correlationKey = "correlationId";
  private Duration healthTimeout = Duration.ofSeconds(5);
  private @Nullable Executor executor;
  private int asyncThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
  private int asyncQueueCapacity = 10_000;
  private Locale defaultLocale = Locale.ROOT;
  private Duration closeTimeout = Duration.ofSeconds(30);
  private Clock clock = Clock.systemUTC();
  private Sleeper sleeper = Sleeper.SYSTEM;
  private @Nullable ClassLoader providerClassLoader;

  MailerBuilder() {}

  /**
   * Adds a provider from a DSN such as {@code smtp://user:pass@host:587}; the provider is found
   * by the DSN's scheme among the {@link io.postline.mail.spi.MailProviderFactory}s on the
   * classpath when {@link #build()} runs.
   *
   * @throws IllegalArgumentException if the name is taken or the DSN does not parse
   */
  public MailerBuilder provider(String name, String dsn) {
    return provider(name, dsn, p -> {});
  }

  /**
   * Adds a provider from a DSN together with its options (rate limit, timeout, weight, circuit
   * breaker): {@code provider("primary", dsn, p -> p.rateLimit(50, Duration.ofSeconds(1)))}.
   *
   * @throws IllegalArgumentException if the name is taken, the DSN does not parse, or an option
   *     is out of range
   */
  public MailerBuilder provider(String name, String dsn, Consumer<ProviderOptions> configure) {
    Objects.requireNonNull(dsn, "dsn");
    return provider(ProviderSettings.parse(dsn).withName(checkName(name)), configure);
  }

  /**
   * Adds a provider from settings; its name is {@link ProviderSettings#name()}.
   *
   * @throws IllegalArgumentException if the name is taken
   */
  public MailerBuilder provider(ProviderSettings settings) {
    return provider(settings, p -> {});
  }

  /**
   * Adds a provider from settings together with its options; its name is
   * {@link ProviderSettings#name()}.
   *
   * @throws IllegalArgumentException if the name is taken or an option is out of range
   */
  public MailerBuilder provider(ProviderSettings settings, Consumer<ProviderOptions> configure) {
    Objects.requireNonNull(settings, "settings");
    return add(checkName(settings.name()), settings, configure);
  }

  /**
   * Adds a provider built by hand; its name is {@link MailProvider#name()}. The application owns
   * it: the mailer does not close it.
   *
   * @throws IllegalArgumentException if the name is taken
   */
  public MailerBuilder provider(MailProvider provider) {
    return provider(provider, p -> {});
  }

  /**
   * Adds a provider built by hand together with its options; the application owns it: the mailer
   * does not close it.
   *
   * @throws IllegalArgumentException if the name is taken or an option is out of range
   */
  public MailerBuilder provider(MailProvider provider, Consumer<ProviderOptions> configure) {
    Objects.requireNonNull(provider, "provider");
    return add(checkName(provider.name()), provider, configure);
  }

  private MailerBuilder add(String name, Object spec, Consumer<ProviderOptions> configure) {
    Objects.requireNonNull(configure, "configure");
    ProviderOptions o = new ProviderOptions();
    configure.accept(o);
    providers.put(name, spec);
    options.put(name, o);
    return this;
  }

  /** Which providers to try for each email, in which order; {@link Routing#failover()} unless set. */
  public MailerBuilder routing(Routing routing) {
    this.routing = Objects.requireNonNull(routing, "routing");
    return this;
  }

  /** Retries of a synchronous send (per provider, within the policy's deadline). */
  public MailerBuilder retry(RetryPolicy policy) {
    this.retry = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /** Retries of a queued message: its attempts in all, and the delays between them. */
  public MailerBuilder queueRetry(RetryPolicy policy) {
    this.queueRetry = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * The circuit breaker settings of every provider that sets none of its own
   * ({@link CircuitBreakerSettings#defaults()} unless set). Which failures count is Postline's
   * rule, described on {@link CircuitBreakerSettings}. The mailer's clock is used.
   */
  public MailerBuilder circuitBreaker(CircuitBreakerSettings settings) {
    this.circuitBreaker = Objects.requireNonNull(settings, "settings");
    return this;
  }

  /**
   * The application's Resilience4j circuit breaker registry: each provider's breaker is created
   * in it (named after the provider), so that it shows in the application's Resilience4j metrics
   * and endpoints. Without one, the mailer keeps its own registry.
   */
  public MailerBuilder circuitBreakerRegistry(CircuitBreakerRegistry registry) {
    this.circuitBreakerRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * The application's Resilience4j retry registry: each provider's retries are created in it
   * (named {@code <provider>} for synchronous sends and {@code <provider>.queued} for queued
   * messages). Without one, the mailer keeps its own registry.
   */
  public MailerBuilder retryRegistry(RetryRegistry registry) {
    this.retryRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Limits a provider already added to {@code permits} messages per {@code period}; the same as
   * {@code p.rateLimit(permits, period)} in its {@link ProviderOptions}.
   *
   * @throws IllegalArgumentException if no provider of that name was added yet, permits is below
   *     1 or the period is not positive
   */
  public MailerBuilder rateLimit(String provider, long permits, Duration period) {
    optionsOf("rateLimit", provider).rateLimit(permits, period);
    return this;
  }

  /**
   * How long a synchronous send waits for a rate-limited provider's token before failing over
   * (or ending RATE_LIMITED); default 5 seconds. Queued messages never wait: they are
   * rescheduled to when a token is due.
   */
  public MailerBuilder rateLimitWait(Duration maxWait) {
    this.rateLimitWait = nonNegative("rateLimitWait", maxWait);
    return this;
  }

  /** Where the token buckets live; {@link RateLimitBackend#local()} unless set. */
  public MailerBuilder rateLimitBackend(RateLimitBackend backend) {
    this.rateLimitBackend = Objects.requireNonNull(backend, "backend");
    return this;
  }

  /**
   * The longest a single call to a provider already added may take; the same as
   * {@code p.timeout(timeout)} in its {@link ProviderOptions}.
   *
   * @throws IllegalArgumentException if no provider of that name was added yet or the timeout is
   *     not positive
   */
  public MailerBuilder timeout(String provider, Duration timeout) {
    optionsOf("timeout", provider).timeout(timeout);
    return this;
  }

  /** Where templates come from; {@code Templates.classpath("mail/")} unless set. */
  public MailerBuilder templates(Templates templates) {
    this.templates = Objects.requireNonNull(templates, "templates");
    return this;
  }

  /** The locale to render templates in when an email does not name one; the default variant unless set. */
  public MailerBuilder defaultLocale(Locale locale) {
    this.defaultLocale = Objects.requireNonNull(locale, "locale");
    return this;
  }

  /**
   * The queue for {@link Mailer#enqueue}; an in-memory queue unless set. A queue given here is
   * worked from the moment the mailer is built (it may hold messages already); the application
   * owns it, so the mailer does not close it.
   */
  public MailerBuilder queue(MailQueue queue) {
    this.queue = Objects.requireNonNull(queue, "queue");
    return this;
  }

  /**
   * How many threads work the queue; default 4. Zero makes a producer-only mailer: it enqueues
   * (for other JVMs sharing a durable queue to send) and never takes from the queue.
   */
  public MailerBuilder workers(int workers) {
    if (workers < 0) {
      throw new IllegalArgumentException("workers must not be negative, was " + workers);
    }
    this.workers = workers;
    return this;
  }

  /**
   * How long a worker's lease on a queued message lasts before it must be renewed (workers renew
   * at a third of it while sending); a message whose worker died returns to the queue after it.
   * Default 60 seconds.
   */
  public MailerBuilder leaseDuration(Duration lease) {
    Objects.requireNonNull(lease, "lease");
    if (lease.compareTo(Duration.ofMillis(30)) < 0) {
      throw new IllegalArgumentException("leaseDuration must be at least 30 ms, was " + lease);
    }
    this.leaseDuration = lease;
    return this;
  }

  /** Where idempotency keys are remembered; in memory for 24 hours unless set. */
  public MailerBuilder idempotency(IdempotencyStore store) {
    this.idempotency = Objects.requireNonNull(store, "store");
    return this;
  }

  /** Where each message's events are kept; {@code AuditLog.inMemory(30 days)} unless set. */
  public MailerBuilder audit(AuditLog audit) {
    this.audit = Objects.requireNonNull(audit, "audit");
    return this;
  }

  /**
   * The suppression list the mailer enforces; none unless set (then no address is hashed or looked
   * up). Each recipient (to, cc and bcc) is looked up at {@link Mailer#send}, {@link Mailer#sendAsync},
   * {@link Mailer#sendBatch}, {@link Mailer#enqueue} and {@link Mailer#enqueueBatch}, and again when a
   * worker takes a queued message (an entry may have appeared meanwhile). An entry for all mail stops
   * every message; an entry for one list stops only messages whose
   * {@link SuppressionList#LIST_METADATA_KEY} metadata names that list (so transactional mail, which
   * names no list, still reaches a recipient who unsubscribed from a newsletter). Expired entries do
   * not count.
   *
   * <p>A suppressed recipient is dropped from the message with a
   * {@link io.postline.mail.RecipientStatus.Status#SUPPRESSED} status whose reason is the entry's
   * reason ({@code hard_bounce}, {@code soft_bounces}, {@code complaint}, {@code unsubscribe},
   * {@code manual}), and a {@link io.postline.mail.event.MailEvent.Suppressed} event (audit, listeners,
   * the {@code postline.mail.suppressed} counter tagged by reason); the others get the message as it
   * is (when only cc or bcc recipients are left, a provider that needs a To recipient refuses it).
   * When every recipient is suppressed, no provider is called: {@code send} and {@code enqueue}
   * throw {@link io.postline.mail.RecipientsSuppressedException}, a group send reports it per
   * recipient, and a queued message is removed from the queue (not dead-lettered); either way its
   * events end in {@code Failed} from provider {@code suppression-list}.
   *
   * <p>Fail-closed: while the list cannot answer (it throws), nothing is sent unchecked. A
   * synchronous send fails {@code TRANSIENT}; a queued message is retried later like a transient
   * failure (dead-lettered when its attempts are spent); an enqueue still queues, since the worker
   * checks again before sending.
   *
   * <p>The application keeps the instance: listing, adding, removing and counting entries go
   * through it, and mail-feedback's {@code DeliveryFeedback} and {@code OneClickUnsubscribe} feed
   * the same instance. The mailer does not close it.
   */
  public MailerBuilder suppressionList(SuppressionList list) {
    this.suppressionList = Objects.requireNonNull(list, "list");
    return this;
  }

  /** Adds a listener for every {@link io.postline.mail.event.MailEvent}. */
  public MailerBuilder listener(MailListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /** Registers Postline's meters (listed in docs/observability.md) in {@code registry}. */
  public MailerBuilder meterRegistry(MeterRegistry registry) {
    this.meterRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Observes every send as {@code postline.mail.send} (mode sync, or queued for each pass of
   * a worker over a queued message), for tracing bridges. The observation is then the send timer
   * (through the registry's meter handler, which Spring Boot sets up): Postline records no second
   * timer of its own, so no send is timed twice.
   */
  public MailerBuilder observationRegistry(ObservationRegistry registry) {
    this.observationRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * The SLF4J MDC key of the caller's correlation id, carried with queued messages and restored
   * around their send (and around async sends); default {@code correlationId}.
   */
  public MailerBuilder correlationKey(String mdcKey) {
    Objects.requireNonNull(mdcKey, "mdcKey");
    if (mdcKey.isBlank()) {
      throw new IllegalArgumentException("correlationKey must not be blank");
    }
    this.correlationKey = mdcKey;
    return this;
  }

  /** How long each provider's active health check may take; default 5 seconds. */
  public MailerBuilder healthTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("healthTimeout must be positive, was " + timeout);
    }
    this.healthTimeout = timeout;
    return this;
  }

  /**
   * Runs {@link Mailer#sendAsync} and {@link Mailer#sendBatch} on the caller's executor, which
   * the mailer never shuts down. Without one, the mailer owns a bounded pool.
   */
  public MailerBuilder executor(Executor executor) {
    this.executor = Objects.requireNonNull(executor, "executor");
    return this;
  }

  /** Threads of the mailer's own async pool; at least 1, default the number of cores (at least 2). */
  public MailerBuilder asyncThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("asyncThreads must be at least 1, was " + threads);
    }
    this.asyncThreads = threads;
    return this;
  }

  /**
   * How many async sends may wait for a thread of the mailer's own pool; at least 1, default
   * 10,000. Past that, {@link Mailer#sendAsync} fails at once rather than growing without bound.
   */
  public MailerBuilder asyncQueueCapacity(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("asyncQueueCapacity must be at least 1, was " + capacity);
    }
    this.asyncQueueCapacity = capacity;
    return this;
  }

  /**
   * Makes every thread the mailer starts (queue workers, the async pool, the lease renewer,
   * timeouts and health checks), for applications that name, group or track their threads.
   * Without one, the mailer makes daemon threads named {@code postline-...}.
   */
  public MailerBuilder threadFactory(ThreadFactory factory) {
    this.threadFactory = Objects.requireNonNull(factory, "factory");
    return this;
  }

  /**
   * Whether the send timer is tagged with the email's {@code caller}; off by default, because a
   * caller is free text and every distinct value makes a new time series. Turn it on only when
   * callers are a small fixed set (service names).
   */
  public MailerBuilder meterCallerTag(boolean tagged) {
    this.meterCallerTag = tagged;
    return this;
  }

  /** How long {@link Mailer#close()} waits for sends in flight; default 30 seconds. */
  public MailerBuilder closeTimeout(Duration timeout) {
    this.closeTimeout = nonNegative("closeTimeout", timeout);
    return this;
  }

  /** The clock for timestamps, schedules, circuit breakers and rate limits; system UTC unless set. */
  public MailerBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /** How synchronous sends wait (tests pass one that moves their clock). */
  MailerBuilder sleeper(Sleeper sleeper) {
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    return this;
  }

  /** The class loader to find provider factories with; this library's own unless set. */
  public MailerBuilder providerClassLoader(ClassLoader classLoader) {
    this.providerClassLoader = Objects.requireNonNull(classLoader, "classLoader");
    return this;
  }

  /**
   * Creates the providers and the mailer.
   *
   * @throws IllegalStateException if no provider was added
   * @throws IllegalArgumentException if a DSN's scheme has no provider, a provider rejects its
   *     settings, or the routing, a rate limit or a timeout names a provider the mailer lacks
   */
  public Mailer build() {
    if (providers.isEmpty()) {
      throw new IllegalStateException("a Mailer needs at least one provider: add one with "
          + "provider(\"primary\", \"smtp://user:pass@host:587\") or provider(new InMemoryProvider(\"memory\"))");
    }
    checkReferences("routing", routing.referencedProviders());
    List<MailProvider> all = providers();
    List<MailProvider> created = all.stream().filter(p -> !providers.containsValue(p)).toList();
    try {
      return assemble(all, created);
    } catch (RuntimeException e) {
      created.forEach(DefaultMailer::closeQuietly);
      throw e;
    }
  }

  private Mailer assemble(List<MailProvider> all, List<MailProvider> created) {
    MailMetrics metrics = new MailMetrics(meterRegistry, meterCallerTag, observationRegistry.isNoop());
    RateLimitBackend buckets = rateLimitBackend != null ? rateLimitBackend : RateLimitBackend.local(clock);
    CircuitBreakerRegistry breakers = circuitBreakerRegistry != null ? circuitBreakerRegistry
        : CircuitBreakerRegistry.ofDefaults();
    RetryRegistry retries = retryRegistry != null ? retryRegistry : RetryRegistry.ofDefaults();
    int timeouts = (int) options.values().stream().filter(o -> o.timeout().isPresent()).count();
    MailerThreads threads = new MailerThreads(threadFactory, executor, asyncThreads, asyncQueueCapacity,
        timeouts == 0 ? 1 : workers + asyncThreads + 16, Math.min(4, all.size()));
    List<ProviderSlot> slots = new ArrayList<>();
    Map<String, Integer> weights = new LinkedHashMap<>();
    for (MailProvider provider : all) {
      String name = provider.name();
      ProviderOptions o = options.get(name);
      CircuitBreaker breaker = Breakers.of(breakers, name, o.circuitBreaker().orElse(circuitBreaker), clock);
      metrics.bindCircuit(name, breaker);
      TokenBucket bucket = o.rateLimit().map(l -> buckets.bucket(name, l)).orElse(null);
      slots.add(new ProviderSlot(provider, breaker, Backoff.of(retries, name, retry),
          Backoff.of(retries, name + ".queued", queueRetry), bucket, o.timeout().orElse(null), threads));
      weights.put(name, o.weight());
    }
    AuditLog auditLog = audit != null ? audit : AuditLog.inMemory(Duration.ofDays(30), 10_000, clock);
    EventPublisher events = new EventPublisher(auditLog, metrics, listeners);
    Suppressions suppressions = Suppressions.of(suppressionList, events, clock);
    Routing route = routing == Routing.roundRobin() ? Routing.roundRobin(weights) : routing;
    Engine engine = new Engine(slots, route, retry.deadline(), rateLimitWait, events, metrics, clock, sleeper);
    MailQueue mailQueue = queue != null ? queue : MailQueue.inMemory(100_000, clock);
    metrics.bindQueue(mailQueue);
    IdempotencyStore keys = idempotency != null ? idempotency
        : new InMemoryIdempotencyStore(Duration.ofHours(24), 1_000_000, clock);
    Workers queueWorkers = new Workers(mailQueue, engine, events, metrics, keys, clock, threads, workers,
        queueRetry.maxAttempts(), leaseDuration, correlationKey, observationRegistry, suppressions);
    metrics.bindWorkers(queueWorkers);
    Preparer preparer = new Preparer(templates != null ? templates : Templates.classpath("mail/"), defaultLocale,
        engine, clock);
    Intake intake = new Intake(engine, preparer, mailQueue, queueWorkers, keys, events, metrics, new MailIds(clock),
        clock, sleeper, correlationKey, observationRegistry, suppressions);
    HealthChecker health = new HealthChecker(slots, threads, healthTimeout, queueWorkers);
    return new DefaultMailer(intake, engine, queueWorkers, threads, health, mailQueue, auditLog, events,
        new DefaultMailer.Owned(created, queue == null), closeTimeout, clock, queue != null);
  }

  /** Every provider in order: the application's instances as given, the rest created from their settings. */
  private List<MailProvider> providers() {
    List<MailProvider> created = new ArrayList<>();
    try {
      ProviderRegistry registry = null;
      for (Object spec : providers.values()) {
        if (spec instanceof MailProvider provider) {
          created.add(provider);
        } else {
          if (registry == null) {
            registry = ProviderRegistry.load(providerClassLoader != null
                ? providerClassLoader : MailerBuilder.class.getClassLoader());
          }
          created.add(registry.create((ProviderSettings) spec));
        }
      }
    } catch (RuntimeException e) {
      created.stream().filter(p -> !providers.containsValue(p)).forEach(DefaultMailer::closeQuietly);
      throw e;
    }
    return created;
  }

  private void checkReferences(String what, Set<String> names) {
    Set<String> unknown = new TreeSet<>(names);
    unknown.removeAll(providers.keySet());
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(what + " names provider(s) " + unknown + " that the mailer does not have; "
          + "its providers are " + providers.keySet());
    }
  }

  private ProviderOptions optionsOf(String what, String provider) {
    Objects.requireNonNull(provider, "provider");
    ProviderOptions o = options.get(provider);
    if (o == null) {
      throw new IllegalArgumentException(what + " names provider '" + provider + "', which was not added (yet): "
          + "add the provider first, or set it in provider(name, dsn, p -> p." + what + "(...)); providers so far: "
          + providers.keySet());
    }
    return o;
  }

  private String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("provider name must not be blank");
    }
    if (providers.containsKey(name)) {
      throw new IllegalArgumentException("provider name '" + name + "' is already used; names must be unique");
    }
    return name;
  }

  private static Duration nonNegative(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, was " + d);
    }
    return d;
  }
}
