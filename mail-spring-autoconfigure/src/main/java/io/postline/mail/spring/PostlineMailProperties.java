package io.postline.mail.spring;

import io.postline.mail.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/**
 * Configuration of the auto-configured {@link io.postline.mail.core.Mailer}, under
 * {@code postline.mail}. Mutable, as Spring binds it; {@code MailerFactory} turns it into the
 * immutable core configuration in one place, and fails start-up with an
 * {@link InvalidPostlinePropertyException} naming the property when a value is wrong.
 *
 * <pre>
 * postline.mail.providers.primary.dsn=smtp://user:secret@smtp.example.org:587
 * postline.mail.providers.backup.dsn=sendgrid://${SENDGRID_API_KEY}@default
 * postline.mail.providers.primary.rate-limit.permits=50
 * postline.mail.queue.type=redis
 * </pre>
 */
@ConfigurationProperties("postline.mail")
public class PostlineMailProperties {

  /** Whether to auto-configure a Mailer (it also needs at least one provider). */
  private boolean enabled = true;

  /** Providers by name, tried in the order they are declared unless routing says otherwise. */
  private Map<String, Provider> providers = new LinkedHashMap<>();

  /** Which providers each email goes to, in which order. */
  private final Routing routing = new Routing();

  /** Retries of a synchronous send, per provider. */
  private final Retry retry = new Retry();

  /** The circuit breaker of every provider that sets none of its own. */
  private final CircuitBreaker circuitBreaker = new CircuitBreaker();

  /** Where provider rate limits live and how long a send waits for one. */
  private final RateLimits rateLimits = new RateLimits();

  /** Where templates come from and how they render. */
  private final Templates templates = new Templates();

  /** The queue of Mailer.enqueue and its workers. */
  private final Queue queue = new Queue();

  /** The Redis that Postline's Redis stores (queue, idempotency, audit, rate limits) use. */
  private final Redis redis = new Redis();

  /** Idempotency keys: how long duplicates are recognised and where keys are kept. */
  private final Idempotency idempotency = new Idempotency();

  /** The audit log that tells each message's story. */
  private final Audit audit = new Audit();

  /** The suppression list: addresses not to send to, fed by webhooks and unsubscribes. */
  @NestedConfigurationProperty
  private final PostlineFeedbackProperties.Suppression suppression = new PostlineFeedbackProperties.Suppression();

  /** The providers' delivery webhooks. */
  @NestedConfigurationProperty
  private final PostlineFeedbackProperties.Webhooks webhooks = new PostlineFeedbackProperties.Webhooks();

  /** RFC 8058 one-click unsubscribe. */
  @NestedConfigurationProperty
  private final PostlineFeedbackProperties.Unsubscribe unsubscribe = new PostlineFeedbackProperties.Unsubscribe();

  /** Whether recipient addresses are masked (a***@example.org) where this integration shows them, such as the dead letters of the actuator endpoint. */
  private boolean maskRecipients = true;

  /** The logging MDC key of the caller's correlation id, carried with queued messages. */
  private String correlationKey = "correlationId";

  /** How long each provider's active health check may take. */
  private Duration healthTimeout = Duration.ofSeconds(5);

  /** How long closing the Mailer at shutdown waits for sends in flight. */
  private Duration closeTimeout = Duration.ofSeconds(30);

  /** Postline's meters in the application's MeterRegistry. */
  private final Metrics metrics = new Metrics();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Map<String, Provider> getProviders() {
    return providers;
  }

  public void setProviders(Map<String, Provider> providers) {
    this.providers = providers;
  }

  public Routing getRouting() {
    return routing;
  }

  public Retry getRetry() {
    return retry;
  }

  public CircuitBreaker getCircuitBreaker() {
    return circuitBreaker;
  }

  public RateLimits getRateLimits() {
    return rateLimits;
  }

  public Templates getTemplates() {
    return templates;
  }

  public Queue getQueue() {
    return queue;
  }

  public Redis getRedis() {
    return redis;
  }

  public Idempotency getIdempotency() {
    return idempotency;
  }

  public Audit getAudit() {
    return audit;
  }

  public PostlineFeedbackProperties.Suppression getSuppression() {
    return suppression;
  }

  public PostlineFeedbackProperties.Webhooks getWebhooks() {
    return webhooks;
  }

  public PostlineFeedbackProperties.Unsubscribe getUnsubscribe() {
    return unsubscribe;
  }

  public boolean isMaskRecipients() {
    return maskRecipients;
  }

  public void setMaskRecipients(boolean maskRecipients) {
    this.maskRecipients = maskRecipients;
  }

  public String getCorrelationKey() {
    return correlationKey;
  }

  public void setCorrelationKey(String correlationKey) {
    this.correlationKey = correlationKey;
  }

  public Duration getHealthTimeout() {
    return healthTimeout;
  }

  public void setHealthTimeout(Duration healthTimeout) {
    this.healthTimeout = healthTimeout;
  }

  public Duration getCloseTimeout() {
    return closeTimeout;
  }

  public void setCloseTimeout(Duration closeTimeout) {
    this.closeTimeout = closeTimeout;
  }

  public Metrics getMetrics() {
    return metrics;
  }

  /** One provider: a DSN, or the same parts as separate fields. */
  public static class Provider {

    /** The provider's DSN, such as smtp://user:secret@smtp.example.org:587; or use scheme, host and the other fields. */
    private @Nullable String dsn;

    /** The provider's scheme (smtp, smtps, sendgrid, ses, mailgun, memory) when it is not given by a DSN. */
    private @Nullable String scheme;

    /** The host (or, for API providers, a name such as default or the sending domain) when there is no DSN. */
    private @Nullable String host;

    /** The port when there is no DSN. */
    private @Nullable Integer port;

    /** The user (a login, or an API key for API providers) when there is no DSN. */
    private @Nullable String username;

    /** The password when there is no DSN. */
    private @Nullable String password;

    /** Provider options (the DSN's query parameters) when there is no DSN. */
    private Map<String, String> options = new LinkedHashMap<>();

    /** The provider's share of messages when routing.strategy is round-robin; at least 1. */
    private int weight = 1;

    /** A limit on how many messages this provider is given. */
    private final RateLimit rateLimit = new RateLimit();

    /** The longest a single call to this provider may take; past it the attempt fails and may be retried. */
    private @Nullable Duration timeout;

    /** This provider's circuit breaker: each setting not given here is postline.mail.circuit-breaker's. */
    private final ProviderCircuitBreaker circuitBreaker = new ProviderCircuitBreaker();

    /** DKIM keys Postline signs this provider's messages with (SMTP, SES); the DSN's dkim.* options. */
    private final Dkim dkim = new Dkim();

    /** S/MIME signing and encryption of this provider's messages (SMTP, SES); the DSN's smime.* options. */
    private final Smime smime = new Smime();

    public @Nullable String getDsn() {
      return dsn;
    }

    public void setDsn(@Nullable String dsn) {
      this.dsn = dsn;
    }

    public @Nullable String getScheme() {
      return scheme;
    }

    public void setScheme(@Nullable String scheme) {
      this.scheme = scheme;
    }

    public @Nullable String getHost() {
      return host;
    }

    public void setHost(@Nullable String host) {
      this.host = host;
    }

    public @Nullable Integer getPort() {
      return port;
    }

    public void setPort(@Nullable Integer port) {
      this.port = port;
    }

    public @Nullable String getUsername() {
      return username;
    }

    public void setUsername(@Nullable String username) {
      this.username = username;
    }

    public @Nullable String getPassword() {
      return password;
    }

    public void setPassword(@Nullable String password) {
      this.password = password;
    }

    public Map<String, String> getOptions() {
      return options;
    }

    public void setOptions(Map<String, String> options) {
      this.options = options;
    }

    public int getWeight() {
      return weight;
    }

    public void setWeight(int weight) {
      this.weight = weight;
    }

    public RateLimit getRateLimit() {
      return rateLimit;
    }

    public @Nullable Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(@Nullable Duration timeout) {
      this.timeout = timeout;
    }

    public ProviderCircuitBreaker getCircuitBreaker() {
      return circuitBreaker;
    }

    public Dkim getDkim() {
      return dkim;
    }

    public Smime getSmime() {
      return smime;
    }
  }

  /** A provider's DKIM keys: keys[i] are the DSN's numbered options dkim.i.*. */
  public static class Dkim {

    /** The signing domain (d=) of every key that names none, such as example.org. */
    private @Nullable String domain;

    /** The keys; several for one domain give one signature each (RSA and Ed25519 side by side, or rotation). */
    private List<DkimKey> keys = new ArrayList<>();

    public @Nullable String getDomain() {
      return domain;
    }

    public void setDomain(@Nullable String domain) {
      this.domain = domain;
    }

    public List<DkimKey> getKeys() {
      return keys;
    }

    public void setKeys(List<DkimKey> keys) {
      this.keys = keys;
    }
  }

  /** One DKIM key. */
  public static class DkimKey {

    /** Its signing domain (d=) when it is not dkim.domain; mail from this domain or below is signed with it. */
    private @Nullable String domain;

    /** The selector (s=): the public key is the DNS TXT record selector._domainkey.domain. */
    private @Nullable String selector;

    /** The path of the private key, an unencrypted PKCS#8 PEM file (RSA of 2048 bits or more, or Ed25519). */
    private @Nullable String keyFile;

    /** The private key as PKCS#8 PEM text, such as ${DKIM_KEY} from the environment; instead of key-file. */
    private @Nullable String keyPem;

    public @Nullable String getDomain() {
      return domain;
    }

    public void setDomain(@Nullable String domain) {
      this.domain = domain;
    }

    public @Nullable String getSelector() {
      return selector;
    }

    public void setSelector(@Nullable String selector) {
      this.selector = selector;
    }

    public @Nullable String getKeyFile() {
      return keyFile;
    }

    public void setKeyFile(@Nullable String keyFile) {
      this.keyFile = keyFile;
    }

    public @Nullable String getKeyPem() {
      return keyPem;
    }

    public void setKeyPem(@Nullable String keyPem) {
      this.keyPem = keyPem;
    }
  }

  /** A provider's S/MIME settings (Bouncy Castle's bcpkix-jdk18on must be on the class path). */
  public static class Smime {

    /** The signing key: a PKCS#8 PEM file (with certificate-file) or a PKCS#12 file (with key-password). */
    private @Nullable String keyFile;

    /** The signer's PEM certificate chain, signer first, for a PEM key-file. */
    private @Nullable String certificateFile;

    /** The password of a PKCS#12 key-file. */
    private @Nullable String keyPassword;

    /** A directory of recipients' certificates (RSA or EC), one <address>.pem each; every message is encrypted. */
    private @Nullable String encryptDirectory;

    public @Nullable String getKeyFile() {
      return keyFile;
    }

    public void setKeyFile(@Nullable String keyFile) {
      this.keyFile = keyFile;
    }

    public @Nullable String getCertificateFile() {
      return certificateFile;
    }

    public void setCertificateFile(@Nullable String certificateFile) {
      this.certificateFile = certificateFile;
    }

    public @Nullable String getKeyPassword() {
      return keyPassword;
    }

    public void setKeyPassword(@Nullable String keyPassword) {
      this.keyPassword = keyPassword;
    }

    public @Nullable String getEncryptDirectory() {
      return encryptDirectory;
    }

    public void setEncryptDirectory(@Nullable String encryptDirectory) {
      this.encryptDirectory = encryptDirectory;
    }
  }

  /** One provider's circuit breaker settings; those not set are postline.mail.circuit-breaker's. */
  public static class ProviderCircuitBreaker {

    /** The failure rate, in percent, at or above which this provider's circuit opens. */
    private @Nullable Float failureRateThreshold;

    /** How many of the last calls the failure rate is computed over. */
    private @Nullable Integer slidingWindowSize;

    /** How many calls the window needs before the failure rate counts. */
    private @Nullable Integer minimumNumberOfCalls;

    /** How long an open circuit stays open before a trial call is let through. */
    private @Nullable Duration waitDurationInOpenState;

    /** How many trial calls a half-open circuit lets through. */
    private @Nullable Integer permittedNumberOfCallsInHalfOpenState;

    public @Nullable Float getFailureRateThreshold() {
      return failureRateThreshold;
    }

    public void setFailureRateThreshold(@Nullable Float failureRateThreshold) {
      this.failureRateThreshold = failureRateThreshold;
    }

    public @Nullable Integer getSlidingWindowSize() {
      return slidingWindowSize;
    }

    public void setSlidingWindowSize(@Nullable Integer slidingWindowSize) {
      this.slidingWindowSize = slidingWindowSize;
    }

    public @Nullable Integer getMinimumNumberOfCalls() {
      return minimumNumberOfCalls;
    }

    public void setMinimumNumberOfCalls(@Nullable Integer minimumNumberOfCalls) {
      this.minimumNumberOfCalls = minimumNumberOfCalls;
    }

    public @Nullable Duration getWaitDurationInOpenState() {
      return waitDurationInOpenState;
    }

    public void setWaitDurationInOpenState(@Nullable Duration waitDurationInOpenState) {
      this.waitDurationInOpenState = waitDurationInOpenState;
    }

    public @Nullable Integer getPermittedNumberOfCallsInHalfOpenState() {
      return permittedNumberOfCallsInHalfOpenState;
    }

    public void setPermittedNumberOfCallsInHalfOpenState(@Nullable Integer permittedNumberOfCallsInHalfOpenState) {
      this.permittedNumberOfCallsInHalfOpenState = permittedNumberOfCallsInHalfOpenState;
    }
  }

  /** Postline's meters. */
  public static class Metrics {

    /** Whether the send timer is tagged with the email's caller; only for a small fixed set of callers, as each value is a new time series. */
    private boolean callerTag;

    public boolean isCallerTag() {
      return callerTag;
    }

    public void setCallerTag(boolean callerTag) {
      this.callerTag = callerTag;
    }
  }

  /** A token bucket: at most {@code permits} messages per {@code period}. */
  public static class RateLimit {

    /** How many messages the provider may be given per period; no limit unless set. */
    private @Nullable Long permits;

    /** The period the permits refill over. */
    private Duration period = Duration.ofSeconds(1);

    public @Nullable Long getPermits() {
      return permits;
    }

    public void setPermits(@Nullable Long permits) {
      this.permits = permits;
    }

    public Duration getPeriod() {
      return period;
    }

    public void setPeriod(Duration period) {
      this.period = period;
    }
  }

  /** How messages are spread over providers. */
  public enum RoutingStrategy {
    /** The providers in order: the next one only when the one before cannot take the message. */
    FAILOVER,
    /** Spread by the providers' weights; the others follow as failover. */
    ROUND_ROBIN
  }

  /** Routing: a strategy, an order, and rules that route some emails elsewhere. */
  public static class Routing {

    /** How messages are spread over providers: failover (in order) or round-robin (by weight). */
    private RoutingStrategy strategy = RoutingStrategy.FAILOVER;

    /** The providers to use, by name, in order; every provider in the order declared unless set. */
    private List<String> order = new ArrayList<>();

    /** Rules checked in order; the first that matches an email picks its providers, other emails follow the strategy. */
    private List<Rule> rules = new ArrayList<>();

    public RoutingStrategy getStrategy() {
      return strategy;
    }

    public void setStrategy(RoutingStrategy strategy) {
      this.strategy = strategy;
    }

    public List<String> getOrder() {
      return order;
    }

    public void setOrder(List<String> order) {
      this.order = order;
    }

    public List<Rule> getRules() {
      return rules;
    }

    public void setRules(List<Rule> rules) {
      this.rules = rules;
    }
  }

  /** A routing rule: emails matching every condition set go to {@code providers}, in order. */
  public static class Rule {

    /** Matches emails carrying this tag. */
    private @Nullable String tag;

    /** Matches emails of this priority. */
    private @Nullable Priority priority;

    /** Matches emails from this caller (Email.caller). */
    private @Nullable String caller;

    /** Matches emails whose every recipient is at this domain. */
    private @Nullable String domain;

    /** The providers matching emails go to, in order. */
    private List<String> providers = new ArrayList<>();

    public @Nullable String getTag() {
      return tag;
    }

    public void setTag(@Nullable String tag) {
      this.tag = tag;
    }

    public @Nullable Priority getPriority() {
      return priority;
    }

    public void setPriority(@Nullable Priority priority) {
      this.priority = priority;
    }

    public @Nullable String getCaller() {
      return caller;
    }

    public void setCaller(@Nullable String caller) {
      this.caller = caller;
    }

    public @Nullable String getDomain() {
      return domain;
    }

    public void setDomain(@Nullable String domain) {
      this.domain = domain;
    }

    public List<String> getProviders() {
      return providers;
    }

    public void setProviders(List<String> providers) {
      this.providers = providers;
    }
  }

  /**
   * Exponential backoff with jitter, as a synchronous send's retries and a queued message's have it.
   * The defaults that differ (attempts, first and longest wait) are set by each kind's constructor
   * and listed in additional-spring-configuration-metadata.json.
   */
  public abstract static class Backoff {

    /** Attempts, the first included; 1 for no retry. */
    private int maxAttempts;

    /** The wait before the second attempt. */
    private Duration initialDelay;

    /** How much each wait grows. */
    private double multiplier = 2.0;

    /** The longest wait between two attempts. */
    private Duration maxDelay;

    /** The fraction each wait is spread by, from 0 to 1. */
    private double jitter = 0.2;

    Backoff(int maxAttempts, Duration initialDelay, Duration maxDelay) {
      this.maxAttempts = maxAttempts;
      this.initialDelay = initialDelay;
      this.maxDelay = maxDelay;
    }

    public int getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getInitialDelay() {
      return initialDelay;
    }

    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    public double getMultiplier() {
      return multiplier;
    }

    public void setMultiplier(double multiplier) {
      this.multiplier = multiplier;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    public double getJitter() {
      return jitter;
    }

    public void setJitter(double jitter) {
      this.jitter = jitter;
    }
  }

  /** Retries of a synchronous send: per provider, 3 attempts from 200 ms to at most 1 minute apart, within a deadline. */
  public static class Retry extends Backoff {

    /** How long a synchronous send may take, retries included. */
    private Duration deadline = Duration.ofSeconds(30);

    /** The defaults. */
    public Retry() {
      super(3, Duration.ofMillis(200), Duration.ofMinutes(1));
    }

    public Duration getDeadline() {
      return deadline;
    }

    public void setDeadline(Duration deadline) {
      this.deadline = deadline;
    }
  }

  /**
   * Retries of a queued message: 8 attempts in all, from 1 second to at most 10 minutes apart,
   * before it becomes a dead letter; the queue reschedules, no thread waits.
   */
  public static class QueueRetry extends Backoff {

    /** The defaults. */
    public QueueRetry() {
      super(8, Duration.ofSeconds(1), Duration.ofMinutes(10));
    }
  }

  /** A Resilience4j circuit breaker per provider; which failures count is Postline's choice. */
  public static class CircuitBreaker {

    /** The failure rate, in percent, at or above which the circuit opens. */
    private float failureRateThreshold = 50;

    /** How many of the last calls the failure rate is computed over. */
    private int slidingWindowSize = 20;

    /** How many calls the window needs before the failure rate counts. */
    private int minimumNumberOfCalls = 5;

    /** How long an open circuit stays open before a trial call is let through. */
    private Duration waitDurationInOpenState = Duration.ofSeconds(30);

    /** How many trial calls a half-open circuit lets through. */
    private int permittedNumberOfCallsInHalfOpenState = 1;

    public float getFailureRateThreshold() {
      return failureRateThreshold;
    }

    public void setFailureRateThreshold(float failureRateThreshold) {
      this.failureRateThreshold = failureRateThreshold;
    }

    public int getSlidingWindowSize() {
      return slidingWindowSize;
    }

    public void setSlidingWindowSize(int slidingWindowSize) {
      this.slidingWindowSize = slidingWindowSize;
    }

    public int getMinimumNumberOfCalls() {
      return minimumNumberOfCalls;
    }

    public void setMinimumNumberOfCalls(int minimumNumberOfCalls) {
      this.minimumNumberOfCalls = minimumNumberOfCalls;
    }

    public Duration getWaitDurationInOpenState() {
      return waitDurationInOpenState;
    }

    public void setWaitDurationInOpenState(Duration waitDurationInOpenState) {
      this.waitDurationInOpenState = waitDurationInOpenState;
    }

    public int getPermittedNumberOfCallsInHalfOpenState() {
      return permittedNumberOfCallsInHalfOpenState;
    }

    public void setPermittedNumberOfCallsInHalfOpenState(int permittedNumberOfCallsInHalfOpenState) {
      this.permittedNumberOfCallsInHalfOpenState = permittedNumberOfCallsInHalfOpenState;
    }
  }

  /** Where something is kept: in this JVM, or on Redis for a whole fleet. */
  public enum Store {
    /** In this JVM's memory. */
    MEMORY,
    /** On Redis (needs io.postline:mail-queue-redis), shared by every instance. */
    REDIS,
    /**
     * For the queue only: in the application's DataSource (needs io.postline:mail-queue-jdbc),
     * written in the caller's transaction; idempotency and rate limits then stay in memory.
     */
    JDBC
  }

  /** Where audit events go. */
  public enum AuditStore {
    /** In this JVM's memory, searchable by message id. */
    MEMORY,
    /** On Redis (needs io.postline:mail-queue-redis), searchable by message id from every instance. */
    REDIS,
    /** Only as log lines on the io.postline.mail.audit logger; not searchable. */
    LOG,
    /** Nowhere. */
    NONE
  }

  /** Rate limits of all providers. */
  public static class RateLimits {

    /** How long a synchronous send waits for a rate-limited provider before failing over; queued messages never wait. */
    private Duration maxWait = Duration.ofSeconds(5);

    /** Where the token buckets live; the queue's type (memory or redis) unless set. */
    private @Nullable Store store;

    public Duration getMaxWait() {
      return maxWait;
    }

    public void setMaxWait(Duration maxWait) {
      this.maxWait = maxWait;
    }

    public @Nullable Store getStore() {
      return store;
    }

    public void setStore(@Nullable Store store) {
      this.store = store;
    }
  }

  /** Mustache templates. */
  public static class Templates {

    /** Where templates are: classpath:PREFIX/ or file:DIRECTORY. */
    private String location = "classpath:mail/";

    /** Whether a variable the model lacks is an error (true) or renders as empty. */
    private boolean strict = true;

    /** How many compiled template variants are kept. */
    private int cacheSize = 500;

    /** The locale templates render in when an email names none; the default variant unless set. */
    private @Nullable Locale defaultLocale;

    public String getLocation() {
      return location;
    }

    public void setLocation(String location) {
      this.location = location;
    }

    public boolean isStrict() {
      return strict;
    }

    public void setStrict(boolean strict) {
      this.strict = strict;
    }

    public int getCacheSize() {
      return cacheSize;
    }

    public void setCacheSize(int cacheSize) {
      this.cacheSize = cacheSize;
    }

    public @Nullable Locale getDefaultLocale() {
      return defaultLocale;
    }

    public void setDefaultLocale(@Nullable Locale defaultLocale) {
      this.defaultLocale = defaultLocale;
    }
  }

  /** The queue of Mailer.enqueue. */
  public static class Queue {

    /** Where queued messages wait: memory (lost on shutdown), redis (durable, shared by every instance) or jdbc (the application's DataSource, in its transactions). */
    private Store type = Store.MEMORY;

    /** The most unfinished messages the queue holds; 100,000 in memory and 1,000,000 on Redis unless set. */
    private @Nullable Long capacity;

    /** How many threads work the queue; 0 for a producer-only Mailer that enqueues for other instances to send. */
    private int workers = 4;

    /** How long a worker's lease on a message lasts before it must be renewed. */
    private Duration leaseDuration = Duration.ofSeconds(60);

    /** For queue type jdbc: create the queue's table at start-up if it is missing (off: migrate it yourself). */
    private boolean createSchema;

    /** For queue type jdbc: AES keys encrypting stored messages, as id:base64key entries separated by commas, the current key first (the format of postline.mail.redis.encryption-keys; rotate by putting a new key first). */
    private @Nullable String encryptionKeys;

    /** The name of the Redis queue; every instance naming the same queue shares it. */
    private String name = "mail";

    /** For queue type redis: store a group's shared body once, not in every copy (payload version 2). Turn it on only once every instance working the queue runs a release that reads it. */
    private boolean sharedGroupBodies;

    /** Retries of queued messages: attempts in all, and the waits between them. */
    private final QueueRetry retry = new QueueRetry();

    public Store getType() {
      return type;
    }

    public void setType(Store type) {
      this.type = type;
    }

    public @Nullable Long getCapacity() {
      return capacity;
    }

    public void setCapacity(@Nullable Long capacity) {
      this.capacity = capacity;
    }

    public boolean isCreateSchema() {
      return createSchema;
    }

    public void setCreateSchema(boolean createSchema) {
      this.createSchema = createSchema;
    }

    public int getWorkers() {
      return workers;
    }

    public void setWorkers(int workers) {
      this.workers = workers;
    }

    public Duration getLeaseDuration() {
      return leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
    }

    public @Nullable String getEncryptionKeys() {
      return encryptionKeys;
    }

    public void setEncryptionKeys(@Nullable String encryptionKeys) {
      this.encryptionKeys = encryptionKeys;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public boolean isSharedGroupBodies() {
      return sharedGroupBodies;
    }

    public void setSharedGroupBodies(boolean sharedGroupBodies) {
      this.sharedGroupBodies = sharedGroupBodies;
    }

    public QueueRetry getRetry() {
      return retry;
    }
  }

  /** Postline's connection to Redis. */
  public static class Redis {

    /** A Redis of Postline's own, such as redis://localhost:6379; the application's Lettuce connection factory (Spring Data Redis) unless set. */
    private @Nullable String url;

    /** What every Postline key on Redis starts with. */
    private String keyPrefix = "postline";

    /** AES keys encrypting what is stored on Redis, as id:base64key entries separated by commas, the current key first. */
    private @Nullable String encryptionKeys;

    public @Nullable String getUrl() {
      return url;
    }

    public void setUrl(@Nullable String url) {
      this.url = url;
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }

    public @Nullable String getEncryptionKeys() {
      return encryptionKeys;
    }

    public void setEncryptionKeys(@Nullable String encryptionKeys) {
      this.encryptionKeys = encryptionKeys;
    }
  }

  /** Idempotency keys. */
  public static class Idempotency {

    /** How long an idempotency key is remembered: a second email with the same key within it is not sent. */
    private Duration window = Duration.ofHours(24);

    /** Where keys are kept; the queue's type (memory or redis) unless set. */
    private @Nullable Store store;

    public Duration getWindow() {
      return window;
    }

    public void setWindow(Duration window) {
      this.window = window;
    }

    public @Nullable Store getStore() {
      return store;
    }

    public void setStore(@Nullable Store store) {
      this.store = store;
    }
  }

  /** The audit log. */
  public static class Audit {

    /** How long each message's events are kept. */
    private Duration retention = Duration.ofDays(30);

    /** The most messages an in-memory audit log keeps events of (the oldest go first). */
    private int maxMessages = 10_000;

    /** Where events are kept: memory, redis, log or none; the queue's type (memory or redis) unless set. */
    private @Nullable AuditStore store;

    /** Whether every event is also written as a log line on the io.postline.mail.audit logger. */
    private boolean log;

    public Duration getRetention() {
      return retention;
    }

    public void setRetention(Duration retention) {
      this.retention = retention;
    }

    public int getMaxMessages() {
      return maxMessages;
    }

    public void setMaxMessages(int maxMessages) {
      this.maxMessages = maxMessages;
    }

    public @Nullable AuditStore getStore() {
      return store;
    }

    public void setStore(@Nullable AuditStore store) {
      this.store = store;
    }

    public boolean isLog() {
      return log;
    }

    public void setLog(boolean log) {
      this.log = log;
    }
  }
}
