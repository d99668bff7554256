package io.postline.mail.sendgrid;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendResult;
import io.postline.mail.sendgrid.internal.JdkClient;
import io.postline.mail.sendgrid.internal.SendGridErrors;
import io.postline.mail.sendgrid.internal.SendGridRequests;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.spi.SendOutcome;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends email through the SendGrid v3 Mail Send API ({@code POST /v3/mail/send}): request bodies
 * built with sendgrid-java's model, sent with the JDK's HTTP client.
 *
 * <p>Created from a DSN by the {@code sendgrid} factory, or by hand:
 *
 * <pre>{@code
 * MailProvider sendgrid = SendGridProvider.builder(System.getenv("SENDGRID_API_KEY"))
 *     .region(SendGridProvider.Region.EU)
 *     .timeout(Duration.ofSeconds(20))
 *     .build();
 * }</pre>
 *
 * <p>Mapping: to, cc and bcc go into a personalization; text/plain comes before text/html;
 * attachments are base64 with {@code disposition} {@code attachment} or {@code inline} (and
 * {@code content_id}); custom headers go to {@code headers}; tags to {@code categories} (at most
 * 10); metadata to {@code custom_args}; {@code sendAt} to {@code send_at} (at most 72 hours ahead;
 * a time already past sends at once); one reply-to address to {@code reply_to}, several to
 * {@code reply_to_list}. Addresses are sent with their domain in ASCII (punycode).
 *
 * <p>Failures: 400, 413 and other 4xx are {@link FailureKind#PERMANENT}; 401, 403 and 404
 * {@link FailureKind#PROVIDER_UNAVAILABLE}; 429 {@link FailureKind#RATE_LIMITED} with
 * {@code retryAfter} from {@code Retry-After} or {@code X-RateLimit-Reset}; 408, 5xx, I/O errors
 * and timeouts {@link FailureKind#TRANSIENT}.
 *
 * <p>{@link #sendBatch(List)} packs emails into requests of at most 1,000 recipients (one
 * personalization per email, differing bodies as per-personalization substitutions, at most
 * 10,000 bytes of them per personalization and 50,000 per request) and reports one outcome per
 * email.
 *
 * <p>Thread-safe. The API key never appears in {@link #toString()}, logs or exception messages.
 */
public final class SendGridProvider implements MailProvider {
  /** The DSN scheme. */
  public static final String SCHEME = "sendgrid";
  /** The default deadline for one request. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** The default limit for opening a connection. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** SendGrid's limit for a whole message, attachments included. */
  public static final long MAX_MESSAGE_BYTES = 30_000_000L;

  private static final Logger LOG = LoggerFactory.getLogger(SendGridProvider.class);
  private static final Set<String> OPTIONS = Set.of("region", "baseUrl", "timeout", "connectTimeout", "sandbox");
  private static final Capabilities CAPABILITIES = Capabilities.builder()
      // SendGrid's v3 documentation does not say that it takes non-ASCII local parts: refused.
      .internationalizedAddresses(false)
      // It signs with the DKIM keys of the domain authenticated in the account.
      .dkimSigning(Capabilities.DkimSigning.PROVIDER)
      .maxRecipients(SendGridRequests.MAX_RECIPIENTS)
      .maxMessageBytes(MAX_MESSAGE_BYTES)
      .tags(SendGridRequests.MAX_CATEGORIES)
      .metadata(true)
      .deliveryReports(true)
      .attachments(true)
      .scheduling(SendGridRequests.MAX_SCHEDULE_AHEAD)
      .batch(SendGridRequests.MAX_RECIPIENTS)
      .build();

  /** Where SendGrid's API is. */
  public enum Region {
    /** {@code https://api.sendgrid.com}. */
    GLOBAL("https://api.sendgrid.com"),
    /** {@code https://api.eu.sendgrid.com}, for EU regional subusers. */
    EU("https://api.eu.sendgrid.com");

    private final URI baseUrl;

    Region(String baseUrl) {
      this.baseUrl = URI.create(baseUrl);
    }

    /** The API's base URL. */
    public URI baseUrl() {
      return baseUrl;
    }
  }

  private final String name;
  private final String apiKey;
  private final URI baseUrl;
  private final Duration timeout;
  private final JdkClient client;
  private final SendGridRequests requests;
  private final Clock clock;
  private volatile boolean closed;

  private SendGridProvider(Builder b) {
    this.name = b.name;
    this.apiKey = b.apiKey;
    this.baseUrl = b.baseUrl != null ? b.baseUrl : b.region.baseUrl();
    this.timeout = b.timeout;
    this.clock = b.clock;
    this.client = JdkClient.create(baseUrl, apiKey, b.timeout, b.connectTimeout);
    this.requests = new SendGridRequests(name, b.sandbox);
  }

  /**
   * Starts a provider with an API key (one with the Mail Send permission).
   *
   * @throws IllegalArgumentException if the key is blank
   */
  public static Builder builder(String apiKey) {
    return new Builder(apiKey);
  }

  /**
   * Creates a provider from DSN settings: {@code sendgrid://API_KEY@default} with the options
   * {@code region} ({@code global} or {@code eu}), {@code baseUrl}, {@code timeout},
   * {@code connectTimeout} and {@code sandbox}.
   *
   * @throws IllegalArgumentException naming the setting that is missing or wrong, secrets masked
   */
  public static SendGridProvider create(ProviderSettings settings) {
    Objects.requireNonNull(settings, "settings");
    CAPABILITIES.refuseDkimOptions(settings);
    settings.requireKnownOptions(OPTIONS);
    String key = settings.requireUser("the API key");
    if (!settings.host().equals("default")) {
      throw new IllegalArgumentException("sendgrid DSN host must be 'default' (" + settings.maskedDsn()
          + "); choose the API with ?region=eu or ?baseUrl=...");
    }
    if (settings.password().isPresent()) {
      throw new IllegalArgumentException("sendgrid DSN takes the API key as its user part only: "
          + "sendgrid://API_KEY@default, not USER:PASSWORD (" + settings.maskedDsn() + ")");
    }
    Builder b = builder(key).name(settings.name())
        .region(settings.enumOption("region", Region.class, Region.GLOBAL))
        .timeout(settings.durationOption("timeout", DEFAULT_TIMEOUT))
        .connectTimeout(settings.durationOption("connectTimeout", DEFAULT_CONNECT_TIMEOUT))
        .sandbox(settings.booleanOption("sandbox", false));
    settings.httpUrlOption("baseUrl").ifPresent(b::baseUrl);
    return b.build();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Capabilities capabilities() {
    return CAPABILITIES;
  }

  @Override
  public SendResult send(Email email) throws ProviderException {
    CAPABILITIES.check(email, name);
    Instant now = clock.instant();
    List<String> problems = requests.problems(email, now);
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems);
    }
    ensureOpen();
    String body = body(() -> requests.single(email, now));
    long started = System.nanoTime();
    String messageId = post(body, email.recipients().size());
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    LOG.debug("SendGrid provider '{}' sent message {} to {} recipient(s) {} in {} ms",
        name, messageId, email.recipients().size(), masked(email.to()), took.toMillis());
    return SendResult.accepted(name, messageId, email.recipients(), took);
  }

  /**
   * Sends the emails in as few requests as SendGrid allows: at most 1,000 recipients and 50,000
   * bytes of substitutions per request, emails that share sender, reply-to, attachments, tags and kinds of body travelling together.
   * Every email is checked first; if any is invalid, nothing is sent.
   *
   * @return one outcome per email, in the order given; the emails of a failed request all fail
   *     with its exception
   * @throws InvalidEmailException listing the problems of every invalid email, by position
   */
  @Override
  public List<SendOutcome> sendBatch(List<Email> emails) {
    Instant now = clock.instant();
    CAPABILITIES.checkBatch(emails, name, email -> requests.problems(email, now));
    SendOutcome[] outcomes = new SendOutcome[emails.size()];
    List<SendGridRequests.Chunk> chunks = requests.plan(emails);
    LOG.debug("SendGrid provider '{}' sends a batch of {} email(s) in {} request(s)", name, emails.size(), chunks.size());
    for (SendGridRequests.Chunk chunk : chunks) {
      int recipients = chunk.indices().stream().mapToInt(i -> emails.get(i).recipients().size()).sum();
      long started = System.nanoTime();
      try {
        ensureOpen();
        String messageId = post(body(() -> requests.build(chunk, emails, now)), recipients);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        for (int i : chunk.indices()) {
          Email email = emails.get(i);
          outcomes[i] = SendOutcome.sent(email, SendResult.accepted(name, messageId, email.recipients(), took));
        }
      } catch (ProviderException e) {
        for (int i : chunk.indices()) {
          outcomes[i] = SendOutcome.failed(emails.get(i), e);
        }
      }
    }
    return Arrays.asList(outcomes);
  }

  /** Writes a request body; one that cannot be written fails PERMANENT, as it would again. */
  private String body(BodyWriter writer) throws ProviderException {
    try {
      return writer.write();
    } catch (IOException e) {
      throw ProviderException.builder(FailureKind.PERMANENT, name,
          "SendGrid provider '" + name + "': could not write the request body ("
              + e.getClass().getSimpleName() + "); retrying will not help").cause(e).build();
    }
  }

  /** Writes one request body with sendgrid-java's model. */
  @FunctionalInterface
  private interface BodyWriter {
    String write() throws IOException;
  }

  /** POSTs one body; returns SendGrid's message id, or throws the classified failure. */
  private String post(String body, int recipients) throws ProviderException {
    JdkClient.Answer response;
    try {
      response = client.post("mail/send", body);
    } catch (IOException e) {
      ProviderException failure = SendGridErrors.ioFailure(name, e, apiKey, timeout);
      LOG.debug("SendGrid provider '{}' failed: {} ({}, {} recipient(s))",
          name, failure.kind(), e.getClass().getSimpleName(), recipients);
      throw failure;
    }
    int status = response.status();
    Map<String, String> headers = response.headers();
    if (status >= 200 && status < 300) {
      String id = SendGridErrors.header(headers, "X-Message-Id");
      return id == null ? "" : id;
    }
    ProviderException failure = SendGridErrors.failure(name, status, headers, response.body(), apiKey, clock.instant());
    LOG.debug("SendGrid provider '{}' failed: {} (HTTP {}, {} recipient(s){})", name, failure.kind(), status,
        recipients, failure.retryAfter().map(d -> ", retry after " + d.toSeconds() + "s").orElse(""));
    throw failure;
  }

  private void ensureOpen() throws ProviderException {
    if (closed) {
      throw ProviderException.closed("SendGrid", name);
    }
  }

  private static List<String> masked(List<Address> addresses) {
    return addresses.stream().limit(3).map(Address::masked).toList();
  }

  /** Marks the provider closed; the JDK's HTTP client frees its connections when unreferenced. */
  @Override
  public void close() {
    closed = true;
  }

  /** The provider's name, base URL and timeout; never the API key. */
  @Override
  public String toString() {
    return "SendGridProvider[" + name + ", " + baseUrl + ", timeout=" + timeout + "]";
  }

  /** Builds a {@link SendGridProvider}. */
  public static final class Builder {
    private final String apiKey;
    private String name = SCHEME;
    private Region region = Region.GLOBAL;
    private @Nullable URI baseUrl;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private boolean sandbox;
    private Clock clock = Clock.systemUTC();

    private Builder(String apiKey) {
      Objects.requireNonNull(apiKey, "apiKey");
      if (apiKey.isBlank()) {
        throw new IllegalArgumentException("SendGrid API key is blank");
      }
      this.apiKey = apiKey;
    }

    /** The provider's name in results, events and metrics; {@code sendgrid} by default. */
    public Builder name(String name) {
      this.name = ProviderSettings.checkName(name);
      return this;
    }

    /** The API region; {@link Region#GLOBAL} by default. */
    public Builder region(Region region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /**
     * Another API base URL, such as a mock server's {@code http://localhost:8089}; overrides the
     * region. Scheme {@code http} or {@code https}, no path.
     */
    public Builder baseUrl(URI baseUrl) {
      ProviderSettings.checkHttpUrl("baseUrl", baseUrl);
      if (baseUrl.getRawPath() != null && !baseUrl.getRawPath().isEmpty() && !baseUrl.getRawPath().equals("/")
          || baseUrl.getRawQuery() != null) {
        throw new IllegalArgumentException("baseUrl must have no path or query (SendGrid's paths start at /v3), was '"
            + baseUrl + "'");
      }
      this.baseUrl = baseUrl;
      return this;
    }

    /** The deadline for one request, from sending to reading the answer; 30 s by default. */
    public Builder timeout(Duration timeout) {
      this.timeout = ProviderSettings.checkPositive("timeout", timeout);
      return this;
    }

    /** The limit for opening a connection; 10 s by default. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = ProviderSettings.checkPositive("connectTimeout", connectTimeout);
      return this;
    }

    /** SendGrid's sandbox mode: requests are validated, nothing is delivered. */
    public Builder sandbox(boolean sandbox) {
      this.sandbox = sandbox;
      return this;
    }

    /** The clock for {@code send_at} and rate-limit resets; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds the provider; it opens connections on first use. */
    public SendGridProvider build() {
      return new SendGridProvider(this);
    }
  }
}
