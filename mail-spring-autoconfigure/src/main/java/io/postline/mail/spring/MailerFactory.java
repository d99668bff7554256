package io.postline.mail.spring;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.MailerBuilder;
import io.postline.mail.core.CircuitBreakerSettings;
import io.postline.mail.core.ProviderOptions;
import io.postline.mail.core.RateLimitBackend;
import io.postline.mail.core.RetryPolicy;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.core.Routing;
import io.postline.mail.core.Templates;
import io.postline.mail.event.MailListener;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.spring.PostlineMailProperties.AuditStore;
import io.postline.mail.spring.PostlineMailProperties.Provider;
import io.postline.mail.spring.PostlineMailProperties.ProviderCircuitBreaker;
import io.postline.mail.spring.PostlineMailProperties.Rule;
import io.postline.mail.spring.PostlineMailProperties.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns {@link PostlineMailProperties} into the core's immutable configuration: the one place
 * where properties become providers, routing, policies and stores. Every value a builder rejects
 * becomes an {@link InvalidPostlinePropertyException} naming the property.
 */
final class MailerFactory {
  private static final Logger log = LoggerFactory.getLogger(MailerFactory.class);
  private static final String PREFIX = "postline.mail.";

  private final PostlineMailProperties properties;
  private final ClassLoader classLoader;

  MailerFactory(PostlineMailProperties properties, ClassLoader classLoader) {
    this.properties = properties;
    this.classLoader = classLoader;
  }

  /**
   * What the auto-configuration found in the application context, each of which wins over what
   * the properties would build, and {@code resources}, which takes what the factory creates for the
   * Mailer (the Mailer does not close what it is given).
   */
  record Collaborators(
      PostlineMailerResources resources,
      List<MailListener> listeners,
      AuditLog auditLog,
      IdempotencyStore idempotency,
      @Nullable MailQueue queue,
      @Nullable RateLimitBackend rateLimitBackend,
      @Nullable Templates templates,
      @Nullable MeterRegistry meterRegistry,
      @Nullable ObservationRegistry observationRegistry,
      @Nullable CircuitBreakerRegistry circuitBreakerRegistry,
      @Nullable RetryRegistry retryRegistry,
      @Nullable PostlineRedis redis,
      List<MailerBuilderCustomizer> customizers) {}

  /** Builds the Mailer: providers, routing, policies, queue and stores from the properties, then the customizers. */
  Mailer create(Collaborators with) {
    try {
      MailerBuilder builder = Mailer.builder();
      CircuitBreakerSettings breaker = circuitBreakerSettings();
      builder.circuitBreaker(breaker);
      addProviders(builder, breaker, with.resources());
      builder.routing(routing());
      builder.retry(retryPolicy(properties.getRetry()));
      builder.queueRetry(backoff("postline.mail.queue.retry", properties.getQueue().getRetry()));
      if (with.circuitBreakerRegistry() != null) {
        builder.circuitBreakerRegistry(with.circuitBreakerRegistry());
      }
      if (with.retryRegistry() != null) {
        builder.retryRegistry(with.retryRegistry());
      }
      check("postline.mail.rate-limits.max-wait", () -> builder.rateLimitWait(properties.getRateLimits().getMaxWait()));
      RateLimitBackend buckets = with.rateLimitBackend() != null ? with.rateLimitBackend()
          : rateLimitBackend(with.redis(), with.resources());
      if (buckets != null) {
        builder.rateLimitBackend(buckets);
      }
      builder.templates(with.templates() != null ? with.templates() : templates());
      Locale locale = properties.getTemplates().getDefaultLocale();
      if (locale != null) {
        builder.defaultLocale(locale);
      }
      MailQueue mailQueue = with.queue() != null ? with.queue() : queue(with.redis(), with.resources());
      if (mailQueue != null) {
        builder.queue(mailQueue);
      }
      PostlineMailProperties.Queue queue = properties.getQueue();
      check("postline.mail.queue.workers", () -> builder.workers(queue.getWorkers()));
      check("postline.mail.queue.lease-duration", () -> builder.leaseDuration(queue.getLeaseDuration()));
      builder.idempotency(with.idempotency());
      builder.audit(with.auditLog());
      with.listeners().forEach(builder::listener);
      if (with.meterRegistry() != null) {
        builder.meterRegistry(with.meterRegistry());
      }
      builder.meterCallerTag(properties.getMetrics().isCallerTag());
      if (with.observationRegistry() != null) {
        builder.observationRegistry(with.observationRegistry());
      }
      check("postline.mail.correlation-key", () -> builder.correlationKey(properties.getCorrelationKey()));
      check("postline.mail.health-timeout", () -> builder.healthTimeout(properties.getHealthTimeout()));
      check("postline.mail.close-timeout", () -> builder.closeTimeout(properties.getCloseTimeout()));
      with.customizers().forEach(c -> c.customize(builder));
      return builder.build();
    } catch (IllegalArgumentException e) {
      // What was created so far is in resources, which Spring closes when start-up fails.
      throw new InvalidPostlinePropertyException("postline.mail", e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
  }

  /** The idempotency store the properties ask for: in memory, or on Redis. */
  static IdempotencyStore idempotencyStore(PostlineMailProperties properties, @Nullable PostlineRedis redis) {
    PostlineMailProperties.Idempotency idempotency = properties.getIdempotency();
    Store store = resolve(idempotency.getStore(), properties);
    if (store == Store.REDIS) {
      return requireRedis(redis, idempotency.getStore() != null ? "postline.mail.idempotency.store" : "postline.mail.queue.type")
          .idempotency(idempotency.getWindow());
    }
    return check("postline.mail.idempotency.window", () -> IdempotencyStore.inMemory(idempotency.getWindow()));
  }

  /** The audit log the properties ask for: in memory, on Redis, as log lines, or none. */
  static AuditLog auditLog(PostlineMailProperties properties, @Nullable PostlineRedis redis) {
    PostlineMailProperties.Audit audit = properties.getAudit();
    AuditStore store = audit.getStore() != null ? audit.getStore()
        : properties.getQueue().getType() == Store.REDIS ? AuditStore.REDIS : AuditStore.MEMORY;
    AuditLog log = switch (store) {
      case MEMORY -> {
        if (audit.getMaxMessages() < 1) {
          throw new InvalidPostlinePropertyException("postline.mail.audit.max-messages",
              "must be at least 1, was " + audit.getMaxMessages());
        }
        yield check("postline.mail.audit.retention",
            () -> AuditLog.inMemory(audit.getRetention(), audit.getMaxMessages(), Clock.systemUTC()));
      }
      case REDIS -> requireRedis(redis, audit.getStore() != null ? "postline.mail.audit.store" : "postline.mail.queue.type")
          .audit(audit.getRetention());
      case LOG -> AuditLog.slf4j();
      case NONE -> AuditLog.noop();
    };
    return audit.isLog() && store != AuditStore.LOG ? log.andThen(AuditLog.slf4j()) : log;
  }

  /**
   * The address hasher of {@code postline.mail.suppression.hash-key}: required, base64, at least 32
   * bytes; a missing or bad key stops start-up naming the property (never quoting the value).
   */
  static AddressHasher addressHasher(PostlineMailProperties properties) {
    String property = "postline.mail.suppression.hash-key";
    String key = properties.getSuppression().getHashKey();
    if (key == null || key.isBlank()) {
      throw new InvalidPostlinePropertyException(property, "is required for the suppression list, webhooks and "
          + "one-click unsubscribe: a base64 key of at least 32 bytes (such as from 'openssl rand -base64 32'), the "
          + "same on every instance; addresses are stored only as HMAC-SHA256 hashes under it");
    }
    byte[] bytes;
    try {
      bytes = java.util.Base64.getDecoder().decode(key.strip());
    } catch (IllegalArgumentException e) {
      throw new InvalidPostlinePropertyException(property, "is not base64");
    }
    byte[] decoded = bytes;
    return check(property, () -> AddressHasher.hmacSha256(decoded));
  }

  /** The suppression list the properties ask for: in memory, or on Redis for the whole fleet. */
  static SuppressionList suppressionList(PostlineMailProperties properties, AddressHasher hasher,
      @Nullable PostlineRedis redis) {
    PostlineFeedbackProperties.Suppression suppression = properties.getSuppression();
    if (resolve(suppression.getStore(), properties) == Store.REDIS) {
      return requireRedis(redis, suppression.getStore() != null ? "postline.mail.suppression.store"
          : "postline.mail.queue.type").suppressionList(hasher, suppression.getName());
    }
    return SuppressionList.inMemory(hasher, Clock.systemUTC());
  }

  /**
   * Where {@code provider}'s webhook verifier remembers accepted requests: on Redis, shared by the
   * fleet, when {@code postline.mail.webhooks.replay-store} is redis or, unset, when the queue or
   * the suppression list is on Redis (either means instances that share one stream of webhooks);
   * otherwise null, and the verifier remembers them in this process.
   */
  static @Nullable IdempotencyStore webhookReplayStore(PostlineMailProperties properties, @Nullable PostlineRedis redis,
      String provider, Duration tolerance) {
    Store store = properties.getWebhooks().getReplayStore();
    String property;
    if (store != null) {
      if (resolve(store, properties) != Store.REDIS) {
        return null;
      }
      property = "postline.mail.webhooks.replay-store";
    } else if (resolve(properties.getSuppression().getStore(), properties) == Store.REDIS) {
      property = properties.getSuppression().getStore() != null ? "postline.mail.suppression.store"
          : "postline.mail.queue.type";
    } else if (resolve(null, properties) == Store.REDIS) {
      property = "postline.mail.queue.type";
    } else {
      return null;
    }
    // A signed timestamp may be up to the tolerance in the future: remember for twice the tolerance.
    return requireRedis(redis, property).webhookReplays(provider, tolerance.multipliedBy(2));
  }

  /** Runs {@code action}; a value it rejects becomes an exception naming {@code property}. */
  static <T> T check(String property, Supplier<T> action) {
    try {
      return action.get();
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidPostlinePropertyException(property, e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
  }

  private static Store resolve(@Nullable Store store, PostlineMailProperties properties) {
    if (store == Store.JDBC) {
      throw new InvalidPostlinePropertyException("postline.mail", "'jdbc' is a queue type only"
          + " (postline.mail.queue.type); idempotency and rate limits are 'memory' or 'redis'");
    }
    Store queue = properties.getQueue().getType();
    return store != null ? store : queue == Store.JDBC ? Store.MEMORY : queue;
  }

  private static PostlineRedis requireRedis(@Nullable PostlineRedis redis, String property) {
    if (redis == null) {
      throw new InvalidPostlinePropertyException(property, "'redis' needs io.postline:mail-queue-redis on the "
          + "classpath; add it, or choose 'memory'");
    }
    return redis;
  }

  /**
   * Adds each configured provider with its options in one call. The providers are created here,
   * not by the builder, so that a provider rejecting its settings names its own property; being
   * given to the Mailer, they are closed by {@code resources}.
   */
  private void addProviders(MailerBuilder builder, CircuitBreakerSettings breaker, PostlineMailerResources resources) {
    Map<String, Provider> providers = properties.getProviders();
    if (providers.isEmpty()) {
      throw new InvalidPostlinePropertyException("postline.mail.providers",
          "no provider is configured; add one, such as postline.mail.providers.primary.dsn=smtp://user:pass@host:587");
    }
    Map<String, MailProviderFactory> factories = loadFactories();
    providers.forEach((name, p) -> {
      MailProvider provider = resources.add(createProvider(name, p, factories));
      builder.provider(provider, options(PREFIX + "providers." + name, p, breaker));
    });
  }

  private MailProvider createProvider(String name, Provider p, Map<String, MailProviderFactory> factories) {
    String base = PREFIX + "providers." + name;
    ProviderSettings settings = signing(settings(name, p, base), p, base);
    String schemeProperty = p.getDsn() != null ? base + ".dsn" : base + ".scheme";
    MailProviderFactory factory = factories.get(settings.scheme());
    if (factory == null) {
      throw new InvalidPostlinePropertyException(schemeProperty, "no mail provider for the scheme '"
          + settings.scheme() + "' (" + settings.maskedDsn() + "); schemes on the classpath: " + factories.keySet()
          + ". Add the module for it, such as io.postline:mail-provider-" + settings.scheme());
    }
    try {
      return factory.create(settings);
    } catch (RuntimeException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("dkim") && !p.getDkim().getKeys().isEmpty()) {
        // The provider names the option: keys[i] is dkim.i.*.
        throw new InvalidPostlinePropertyException(base + ".dkim", "the " + settings.scheme() + " provider rejects "
            + "its DKIM keys (keys[i] are its options dkim.i.*): " + message, e);
      }
      if (message.contains("S/MIME") && smimeGiven(p)) {
        throw new InvalidPostlinePropertyException(base + ".smime", "the " + settings.scheme() + " provider rejects "
            + "its S/MIME settings: " + message, e);
      }
      throw new InvalidPostlinePropertyException(p.getDsn() != null ? base + ".dsn" : base,
          "the " + settings.scheme() + " provider rejects its settings (" + settings.maskedDsn() + "): " + e.getMessage(), e);
    }
  }

  /**
   * The provider's dkim and smime properties as the DSN options they stand for ({@code dkim.domain},
   * {@code dkim.<i>.selector}, {@code dkim.<i>.key}, {@code dkim.<i>.keyPem}; {@code smime.key},
   * {@code smime.cert}, {@code smime.password}, {@code smime.encrypt}); the provider reads them.
   */
  private static ProviderSettings signing(ProviderSettings settings, Provider p, String base) {
    PostlineMailProperties.Dkim dkim = p.getDkim();
    boolean dkimGiven = dkim.getDomain() != null || !dkim.getKeys().isEmpty();
    if (!dkimGiven && !smimeGiven(p)) {
      return settings;
    }
    for (String option : settings.options().keySet()) {
      if (dkimGiven && option.startsWith("dkim.") || smimeGiven(p) && option.startsWith("smime.")) {
        throw new InvalidPostlinePropertyException(base + (option.startsWith("dkim.") ? ".dkim" : ".smime"),
            "the provider's DSN has the option " + option + " too; configure " + option.substring(0, option.indexOf('.'))
                + " either in the DSN or in these properties, not both");
      }
    }
    ProviderSettings.Builder b = settings.toBuilder();
    if (dkimGiven && dkim.getKeys().isEmpty()) {
      throw new InvalidPostlinePropertyException(base + ".dkim.keys", "is empty: give at least one key "
          + "(keys[0].selector and keys[0].key-file or keys[0].key-pem)");
    }
    if (dkim.getDomain() != null) {
      b.option("dkim.domain", dkim.getDomain());
    }
    for (int i = 0; i < dkim.getKeys().size(); i++) {
      PostlineMailProperties.DkimKey key = dkim.getKeys().get(i);
      String prefix = "dkim." + i + ".";
      if (key.getDomain() != null) {
        b.option(prefix + "domain", key.getDomain());
      }
      if (key.getSelector() != null) {
        b.option(prefix + "selector", key.getSelector());
      }
      if (key.getKeyFile() != null) {
        b.option(prefix + "key", key.getKeyFile());
      }
      if (key.getKeyPem() != null) {
        b.option(prefix + "keyPem", key.getKeyPem());
      }
    }
    PostlineMailProperties.Smime smime = p.getSmime();
    if (smime.getKeyFile() != null) {
      b.option("smime.key", smime.getKeyFile());
    }
    if (smime.getCertificateFile() != null) {
      b.option("smime.cert", smime.getCertificateFile());
    }
    if (smime.getKeyPassword() != null) {
      b.option("smime.password", smime.getKeyPassword());
    }
    if (smime.getEncryptDirectory() != null) {
      b.option("smime.encrypt", smime.getEncryptDirectory());
    }
    return b.build();
  }

  private static boolean smimeGiven(Provider p) {
    PostlineMailProperties.Smime s = p.getSmime();
    return s.getKeyFile() != null || s.getCertificateFile() != null || s.getKeyPassword() != null
        || s.getEncryptDirectory() != null;
  }

  private static ProviderSettings settings(String name, Provider p, String base) {
    boolean fields = p.getScheme() != null || p.getHost() != null || p.getPort() != null || p.getUsername() != null
        || p.getPassword() != null || !p.getOptions().isEmpty();
    String dsn = p.getDsn();
    if (dsn != null) {
      if (fields) {
        throw new InvalidPostlinePropertyException(base, "give either a dsn or the fields scheme, host, port, username, "
            + "password and options, not both");
      }
      if (dsn.isBlank()) {
        throw new InvalidPostlinePropertyException(base + ".dsn", "is empty; give a DSN such as smtp://user:pass@host:587");
      }
      return check(base + ".dsn", () -> ProviderSettings.parse(dsn.strip()).withName(name));
    }
    String scheme = p.getScheme();
    if (scheme == null) {
      throw new InvalidPostlinePropertyException(base, "needs a dsn, such as smtp://user:pass@host:587, or a scheme "
          + "and a host");
    }
    ProviderSettings.Builder b = check(base + ".scheme", () -> ProviderSettings.builder(scheme).name(name));
    b.user(p.getUsername()).password(p.getPassword());
    if (p.getHost() != null) {
      b.host(p.getHost());
    }
    Integer port = p.getPort();
    if (port != null) {
      check(base + ".port", () -> b.port(port));
    }
    p.getOptions().forEach(b::option);
    return check(base + ".host", b::build);
  }

  /** The provider factories on the class path, by scheme; one that fails to load is skipped and logged. */
  private Map<String, MailProviderFactory> loadFactories() {
    Map<String, MailProviderFactory> factories = new TreeMap<>();
    Iterator<MailProviderFactory> it = ServiceLoader.load(MailProviderFactory.class, classLoader).iterator();
    for (int failures = 0; failures < 100; ) {
      MailProviderFactory factory;
      try {
        if (!it.hasNext()) {
          break;
        }
        factory = it.next();
      } catch (ServiceConfigurationError | LinkageError e) {
        failures++;
        log.warn("A mail provider factory failed to load and is skipped: {}", e.getMessage());
        continue;
      }
      MailProviderFactory existing = factories.putIfAbsent(factory.scheme(), factory);
      if (existing != null && existing.getClass() != factory.getClass()) {
        throw new IllegalStateException("two mail provider factories claim the scheme '" + factory.scheme() + "': "
            + existing.getClass().getName() + " and " + factory.getClass().getName() + "; keep one of them");
      }
    }
    return factories;
  }

  /** One provider's rate limit, timeout, weight and circuit breaker, each checked against its property. */
  private static Consumer<ProviderOptions> options(String base, Provider p, CircuitBreakerSettings breaker) {
    return o -> {
      Long permits = p.getRateLimit().getPermits();
      if (permits != null) {
        check(base + ".rate-limit", () -> o.rateLimit(permits, p.getRateLimit().getPeriod()));
      }
      Duration timeout = p.getTimeout();
      if (timeout != null) {
        check(base + ".timeout", () -> o.timeout(timeout));
      }
      check(base + ".weight", () -> o.weight(p.getWeight()));
      ProviderCircuitBreaker c = p.getCircuitBreaker();
      if (c.getFailureRateThreshold() != null || c.getSlidingWindowSize() != null || c.getMinimumNumberOfCalls() != null
          || c.getWaitDurationInOpenState() != null || c.getPermittedNumberOfCallsInHalfOpenState() != null) {
        o.circuitBreaker(circuitBreaker(base + ".circuit-breaker", breaker, c.getFailureRateThreshold(),
            c.getSlidingWindowSize(), c.getMinimumNumberOfCalls(), c.getWaitDurationInOpenState(),
            c.getPermittedNumberOfCallsInHalfOpenState()));
      }
    };
  }

  private Routing routing() {
    PostlineMailProperties.Routing r = properties.getRouting();
    List<String> order = new ArrayList<>(r.getOrder());
    checkNames("postline.mail.routing.order", order);
    if (order.isEmpty()) {
      order.addAll(properties.getProviders().keySet());
    }
    Routing base = switch (r.getStrategy()) {
      case FAILOVER -> r.getOrder().isEmpty() ? Routing.failover() : Routing.failover(order.toArray(String[]::new));
      case ROUND_ROBIN -> {
        Map<String, Integer> weights = new LinkedHashMap<>();
        order.forEach(name -> weights.put(name, properties.getProviders().get(name).getWeight()));
        yield check("postline.mail.routing", () -> Routing.roundRobin(weights));
      }
    };
    if (r.getRules().isEmpty()) {
      return base;
    }
    Routing.RulesBuilder rules = Routing.rules();
    for (int i = 0; i < r.getRules().size(); i++) {
      Rule rule = r.getRules().get(i);
      String property = "postline.mail.routing.rules[" + i + "]";
      checkNames(property + ".providers", rule.getProviders());
      if (rule.getProviders().isEmpty()) {
        throw new InvalidPostlinePropertyException(property + ".providers", "a rule needs at least one provider");
      }
      rules.when(condition(property, rule), rule.getProviders().toArray(String[]::new));
    }
    return rules.otherwise(base);
  }

  private static Predicate<Email> condition(String property, Rule rule) {
    List<Predicate<Email>> all = new ArrayList<>();
    String tag = rule.getTag();
    if (tag != null) {
      all.add(e -> e.tags().contains(tag));
    }
    if (rule.getPriority() != null) {
      var priority = rule.getPriority();
      all.add(e -> e.priority() == priority);
    }
    String caller = rule.getCaller();
    if (caller != null) {
      all.add(e -> e.caller().filter(caller::equals).isPresent());
    }
    String domain = rule.getDomain();
    if (domain != null) {
      String ascii = check(property + ".domain", () -> Address.of("x@" + domain).domain());
      all.add(e -> !e.recipients().isEmpty() && e.recipients().stream().map(Address::domain).allMatch(ascii::equals));
    }
    if (all.isEmpty()) {
      throw new InvalidPostlinePropertyException(property, "a rule needs a condition: tag, priority, caller or domain");
    }
    return all.stream().reduce(Predicate::and).orElseThrow();
  }

  private void checkNames(String property, List<String> names) {
    TreeSet<String> unknown = new TreeSet<>(names);
    unknown.removeAll(properties.getProviders().keySet());
    if (!unknown.isEmpty()) {
      throw new InvalidPostlinePropertyException(property, "names provider(s) " + unknown
          + " that are not configured; the providers are " + properties.getProviders().keySet());
    }
  }

  private static RetryPolicy retryPolicy(PostlineMailProperties.Retry r) {
    RetryPolicy p = backoff("postline.mail.retry", r);
    return check("postline.mail.retry.deadline", () -> p.withDeadline(r.getDeadline()));
  }

  private static RetryPolicy backoff(String property, PostlineMailProperties.Backoff b) {
    if (b.getMaxAttempts() == 1) {
      return RetryPolicy.none();
    }
    RetryPolicy exponential = check(property + ".max-attempts",
        () -> RetryPolicy.exponential(b.getMaxAttempts(), b.getInitialDelay()));
    RetryPolicy multiplied = check(property + ".multiplier", () -> exponential.withMultiplier(b.getMultiplier()));
    RetryPolicy capped = check(property + ".max-delay", () -> multiplied.withMaxDelay(b.getMaxDelay()));
    return check(property + ".jitter", () -> capped.withJitter(b.getJitter()));
  }

  private CircuitBreakerSettings circuitBreakerSettings() {
    PostlineMailProperties.CircuitBreaker c = properties.getCircuitBreaker();
    return circuitBreaker(PREFIX + "circuit-breaker", CircuitBreakerSettings.defaults(), c.getFailureRateThreshold(),
        c.getSlidingWindowSize(), c.getMinimumNumberOfCalls(), c.getWaitDurationInOpenState(),
        c.getPermittedNumberOfCallsInHalfOpenState());
  }

  /** {@code base} with the values that are set, each checked against its property under {@code property}. */
  private static CircuitBreakerSettings circuitBreaker(String property, CircuitBreakerSettings base,
      @Nullable Float failureRateThreshold, @Nullable Integer slidingWindowSize, @Nullable Integer minimumNumberOfCalls,
      @Nullable Duration waitDurationInOpenState, @Nullable Integer halfOpenCalls) {
    CircuitBreakerSettings s = base;
    if (failureRateThreshold != null) {
      CircuitBreakerSettings b = s;
      s = check(property + ".failure-rate-threshold", () -> b.withFailureRateThreshold(failureRateThreshold));
    }
    if (slidingWindowSize != null || minimumNumberOfCalls != null) {
      int size = slidingWindowSize != null ? slidingWindowSize : s.slidingWindowSize();
      int minimum = minimumNumberOfCalls != null ? minimumNumberOfCalls : s.minimumCalls();
      // Blame the minimum only when it was given and the window itself is valid.
      String blamed = minimumNumberOfCalls != null && size >= 1 ? ".minimum-number-of-calls" : ".sliding-window-size";
      CircuitBreakerSettings b = s;
      s = check(property + blamed, () -> b.withSlidingWindow(size, minimum));
    }
    if (waitDurationInOpenState != null) {
      CircuitBreakerSettings b = s;
      s = check(property + ".wait-duration-in-open-state", () -> b.withWaitInOpenState(waitDurationInOpenState));
    }
    if (halfOpenCalls != null) {
      CircuitBreakerSettings b = s;
      s = check(property + ".permitted-number-of-calls-in-half-open-state", () -> b.withHalfOpenCalls(halfOpenCalls));
    }
    return s;
  }

  private @Nullable RateLimitBackend rateLimitBackend(@Nullable PostlineRedis redis, PostlineMailerResources resources) {
    PostlineMailProperties.RateLimits limits = properties.getRateLimits();
    boolean anyLimit = properties.getProviders().values().stream().anyMatch(p -> p.getRateLimit().getPermits() != null);
    if (resolve(limits.getStore(), properties) != Store.REDIS || !anyLimit) {
      return null;
    }
    return requireRedis(redis, limits.getStore() != null ? "postline.mail.rate-limits.store" : "postline.mail.queue.type")
        .rateLimits(resources);
  }

  private Templates templates() {
    return templates(properties, classLoader);
  }

  /** The templates {@code postline.mail.templates.*} describes, loaded from the classpath with {@code classLoader}. */
  static Templates templates(PostlineMailProperties properties, ClassLoader classLoader) {
    PostlineMailProperties.Templates t = properties.getTemplates();
    String property = "postline.mail.templates.location";
    String location = Objects.requireNonNull(t.getLocation(), property).strip();
    Templates.TemplatesBuilder b = Templates.builder();
    if (location.startsWith("file:")) {
      String dir = location.substring("file:".length());
      check(property, () -> b.directory(Path.of(dir.startsWith("//") ? dir.substring(2) : dir)));
    } else {
      String prefix = location.startsWith("classpath:") ? location.substring("classpath:".length()) : location;
      while (prefix.startsWith("/")) {
        prefix = prefix.substring(1);
      }
      String p = prefix;
      check(property, () -> b.classpath(p, classLoader));
    }
    check("postline.mail.templates.cache-size", () -> b.cacheSize(t.getCacheSize()));
    return b.strict(t.isStrict()).build();
  }

  /**
   * The queue the properties ask for, added to {@code resources}; null for the Mailer's own
   * in-memory queue (its workers start on first use, and the Mailer closes it).
   */
  private @Nullable MailQueue queue(@Nullable PostlineRedis redis, PostlineMailerResources resources) {
    PostlineMailProperties.Queue q = properties.getQueue();
    if (q.getEncryptionKeys() != null && q.getType() != Store.JDBC) {
      throw new InvalidPostlinePropertyException("postline.mail.queue.encryption-keys", "encrypts the jdbc queue only;"
          + " the Redis stores take postline.mail.redis.encryption-keys, and memory is not stored");
    }
    if (q.getType() == Store.REDIS) {
      return requireRedis(redis, "postline.mail.queue.type").queue(q, resources);
    }
    if (q.getType() == Store.JDBC) {
      // PostlineJdbcQueueAutoConfiguration provides the queue; reaching here means it could not.
      throw new InvalidPostlinePropertyException("postline.mail.queue.type", "'jdbc' needs io.postline:mail-queue-jdbc,"
          + " spring-jdbc and a DataSource bean; add them, or choose 'memory' or 'redis'");
    }
    Long capacity = q.getCapacity();
    if (capacity == null) {
      return null;
    }
    long c = capacity;
    if (c < 1 || c > Integer.MAX_VALUE) {
      throw new InvalidPostlinePropertyException("postline.mail.queue.capacity",
          "must be from 1 to " + Integer.MAX_VALUE + " for an in-memory queue, was " + c);
    }
    return resources.add(MailQueue.inMemory((int) c, Clock.systemUTC()));
  }
}
