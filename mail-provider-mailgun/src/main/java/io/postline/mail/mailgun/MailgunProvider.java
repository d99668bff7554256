package io.postline.mail.mailgun;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendResult;
import io.postline.mail.mailgun.internal.Json;
import io.postline.mail.mailgun.internal.MailgunErrors;
import io.postline.mail.mailgun.internal.MailgunForms;
import io.postline.mail.mailgun.internal.Multipart;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.spi.SendOutcome;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends email through the Mailgun v3 messages API ({@code POST /v3/{domain}/messages}) as
 * {@code multipart/form-data}, with the JDK's {@link HttpClient} and basic auth {@code api:KEY}.
 *
 * <p>Created from a DSN by the {@code mailgun} factory, or by hand:
 *
 * <pre>{@code
 * MailProvider mailgun = MailgunProvider.builder(System.getenv("MAILGUN_API_KEY"), "mg.example.org")
 *     .region(MailgunProvider.Region.EU)
 *     .build();
 * }</pre>
 *
 * <p>Mapping: {@code from}, {@code to}, {@code cc}, {@code bcc} (one field per address, domains
 * in ASCII), {@code subject}, {@code text}, {@code html}, {@code attachment} and {@code inline}
 * files (an inline file is named after its content id, because Mailgun uses the file name as the
 * Content-ID), {@code h:Reply-To} and {@code h:} custom headers, {@code o:tag} per tag (at most 3),
 * {@code v:} per metadata entry, {@code o:deliverytime} in RFC 2822 form (at most 3 days ahead; a
 * time already past sends at once).
 *
 * <p>Failures: 400, 413 and other 4xx are {@link FailureKind#PERMANENT}; 401, 403 and 404 (domain
 * not found) {@link FailureKind#PROVIDER_UNAVAILABLE}; 429 {@link FailureKind#RATE_LIMITED} with
 * {@code retryAfter} from {@code Retry-After} or {@code X-RateLimit-Reset}; 408, 5xx, I/O errors
 * and timeouts {@link FailureKind#TRANSIENT}.
 *
 * <p>{@link #sendBatch(List)} uses batch sending with {@code recipient-variables}, at most 1,000
 * recipients per request, and reports one outcome per email.
 *
 * <p>Thread-safe. The API key never appears in {@link #toString()}, logs or exception messages.
 */
public final class MailgunProvider implements MailProvider {
  /** The DSN scheme. */
  public static final String SCHEME = "mailgun";
  /** The default deadline for one request. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** The default limit for opening a connection. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Mailgun's limit for a whole message, attachments included. */
  public static final long MAX_MESSAGE_BYTES = 25L * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(MailgunProvider.class);
  private static final Set<String> OPTIONS = Set.of("region", "baseUrl", "timeout", "connectTimeout", "testMode");
  private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+");
  private static final Capabilities CAPABILITIES = Capabilities.builder()
      // Mailgun's API takes SMTPUTF8 addresses, but documents that it does not send to punycode
      // domains (which this provider writes) and the form for them is untested: refused until it is.
      .internationalizedAddresses(false)
      // It signs with the DKIM keys of the domain authenticated in the account.
      .dkimSigning(Capabilities.DkimSigning.PROVIDER)
      .maxRecipients(MailgunForms.MAX_RECIPIENTS)
      .maxMessageBytes(MAX_MESSAGE_BYTES)
      .attachments(true)
      .tags(MailgunForms.MAX_TAGS)
      .metadata(true)
      .deliveryReports(true)
      .scheduling(MailgunForms.MAX_SCHEDULE_AHEAD)
      .batch(MailgunForms.MAX_RECIPIENTS)
      .build();

  /** Where Mailgun's API is. */
  public enum Region {
    /** {@code https://api.mailgun.net}. */
    US("https://api.mailgun.net"),
    /** {@code https://api.eu.mailgun.net}, for domains created in the EU region. */
    EU("https://api.eu.mailgun.net");

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
  private final String domain;
  private final URI endpoint;
  private final Duration timeout;
  private final String authorization;
  private final HttpClient http;
  private final MailgunForms forms;
  private final Clock clock;
  private volatile boolean closed;

  private MailgunProvider(Builder b) {
    this.name = b.name;
    this.apiKey = b.apiKey;
    this.domain = b.domain;
    URI base = b.baseUrl != null ? b.baseUrl : b.region.baseUrl();
    String prefix = base.toString().replaceAll("/+$", "");
    this.endpoint = URI.create(prefix + "/v3/" + domain + "/messages");
    this.timeout = b.timeout;
    this.clock = b.clock;
    this.authorization = "Basic " + Base64.getEncoder()
        .encodeToString(("api:" + apiKey).getBytes(StandardCharsets.UTF_8));
    this.http = HttpClient.newBuilder()
        .connectTimeout(b.connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .version("http".equalsIgnoreCase(base.getScheme()) ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
        .build();
    this.forms = new MailgunForms(name, b.testMode);
  }

  /**
   * Starts a provider.
   *
   * @param apiKey a Mailgun API key (or a domain sending key)
   * @param domain the sending domain, such as {@code mg.example.org}
   * @throws IllegalArgumentException if the key is blank or the domain is not a host name
   */
  public static Builder builder(String apiKey, String domain) {
    return new Builder(apiKey, domain);
  }

  /**
   * Creates a provider from DSN settings: {@code mailgun://API_KEY@mg.example.org} with the
   * options {@code region} ({@code us} or {@code eu}), {@code baseUrl}, {@code timeout},
   * {@code connectTimeout} and {@code testMode}.
   *
   * @throws IllegalArgumentException naming the setting that is missing or wrong, secrets masked
   */
  public static MailgunProvider create(ProviderSettings settings) {
    Objects.requireNonNull(settings, "settings");
    CAPABILITIES.refuseDkimOptions(settings);
    settings.requireKnownOptions(OPTIONS);
    String key = settings.requireUser("the API key");
    if (settings.password().isPresent()) {
      throw new IllegalArgumentException("mailgun DSN takes the API key as its user part only: "
          + "mailgun://API_KEY@mg.example.org, not USER:PASSWORD (" + settings.maskedDsn() + ")");
    }
    if (!DOMAIN.matcher(settings.host()).matches()) {
      throw new IllegalArgumentException("mailgun DSN host must be the sending domain, like "
          + "mailgun://API_KEY@mg.example.org (" + settings.maskedDsn() + ")");
    }
    Builder b = builder(key, settings.host()).name(settings.name())
        .region(settings.enumOption("region", Region.class, Region.US))
        .timeout(settings.durationOption("timeout", DEFAULT_TIMEOUT))
        .connectTimeout(settings.durationOption("connectTimeout", DEFAULT_CONNECT_TIMEOUT))
        .testMode(settings.booleanOption("testMode", false));
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
    List<String> problems = forms.problems(email, now);
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems);
    }
    ensureOpen();
    long started = System.nanoTime();
    String messageId = post(forms.single(email, now), email.recipients().size());
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    LOG.debug("Mailgun provider '{}' sent message {} to {} recipient(s) {} in {} ms",
        name, messageId, email.recipients().size(), masked(email.to()), took.toMillis());
    return SendResult.accepted(name, messageId, email.recipients(), took);
  }

  /**
   * Sends the emails with Mailgun's batch sending where they allow it (one To recipient each, and
   * the same sender, reply-to, headers, tags, metadata, send time and attachments): at most 1,000
   * recipients per request, each getting a message of their own. Every email is checked first; if
   * any is invalid, nothing is sent.
   *
   * @return one outcome per email, in the order given; the emails of a failed request all fail
   *     with its exception
   * @throws InvalidEmailException listing the problems of every invalid email, by position
   */
  @Override
  public List<SendOutcome> sendBatch(List<Email> emails) {
    Instant now = clock.instant();
    CAPABILITIES.checkBatch(emails, name, email -> forms.problems(email, now));
    SendOutcome[] outcomes = new SendOutcome[emails.size()];
    List<MailgunForms.Chunk> chunks = forms.plan(emails);
    LOG.debug("Mailgun provider '{}' sends a batch of {} email(s) in {} request(s)", name, emails.size(), chunks.size());
    for (MailgunForms.Chunk chunk : chunks) {
      int recipients = chunk.indices().stream().mapToInt(i -> emails.get(i).recipients().size()).sum();
      long started = System.nanoTime();
      try {
        ensureOpen();
        String messageId = post(forms.build(chunk, emails, now), recipients);
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

  /** POSTs one form; returns Mailgun's message id, or throws the classified failure. */
  private String post(Multipart form, int recipients) throws ProviderException {
    HttpRequest request = HttpRequest.newBuilder(endpoint)
        .timeout(timeout)
        .header("Authorization", authorization)
        .header("Content-Type", form.contentType())
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(form.toBytes()))
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted = new InterruptedIOException("interrupted");
      interrupted.initCause(e);
      throw fail(MailgunErrors.ioFailure(name, interrupted, apiKey, timeout), "interrupted", recipients);
    } catch (IOException e) {
      throw fail(MailgunErrors.ioFailure(name, e, apiKey, timeout), e.getClass().getSimpleName(), recipients);
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return Json.topLevelStrings(response.body()).getOrDefault("id", "");
    }
    throw fail(MailgunErrors.failure(name, status, response.headers(), response.body(), apiKey, clock.instant()),
        "HTTP " + status, recipients);
  }

  private ProviderException fail(ProviderException failure, String what, int recipients) {
    LOG.debug("Mailgun provider '{}' failed: {} ({}, {} recipient(s){})", name, failure.kind(), what, recipients,
        failure.retryAfter().map(d -> ", retry after " + d.toSeconds() + "s").orElse(""));
    return failure;
  }

  private void ensureOpen() throws ProviderException {
    if (closed) {
      throw ProviderException.closed("Mailgun", name);
    }
  }

  private static List<String> masked(List<Address> addresses) {
    return addresses.stream().limit(3).map(Address::masked).toList();
  }

  /** Marks the provider closed; later sends fail as {@link FailureKind#PROVIDER_UNAVAILABLE}. */
  @Override
  public void close() {
    closed = true;
  }

  /** The provider's name, endpoint and timeout; never the API key. */
  @Override
  public String toString() {
    return "MailgunProvider[" + name + ", " + endpoint + ", timeout=" + timeout + "]";
  }

  /** Builds a {@link MailgunProvider}. */
  public static final class Builder {
    private final String apiKey;
    private final String domain;
    private String name = SCHEME;
    private Region region = Region.US;
    private @Nullable URI baseUrl;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private boolean testMode;
    private Clock clock = Clock.systemUTC();

    private Builder(String apiKey, String domain) {
      Objects.requireNonNull(apiKey, "apiKey");
      Objects.requireNonNull(domain, "domain");
      if (apiKey.isBlank()) {
        throw new IllegalArgumentException("Mailgun API key is blank");
      }
      if (!DOMAIN.matcher(domain).matches()) {
        throw new IllegalArgumentException("Mailgun sending domain must be a host name like mg.example.org, was '"
            + domain + "'");
      }
      this.apiKey = apiKey;
      this.domain = domain.toLowerCase(Locale.ROOT);
    }

    /** The provider's name in results, events and metrics; {@code mailgun} by default. */
    public Builder name(String name) {
      this.name = ProviderSettings.checkName(name);
      return this;
    }

    /** The API region the domain lives in; {@link Region#US} by default. */
    public Builder region(Region region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /**
     * Another API base URL, such as a mock server's {@code http://localhost:8089}; overrides the
     * region. {@code /v3/{domain}/messages} is appended.
     */
    public Builder baseUrl(URI baseUrl) {
      ProviderSettings.checkHttpUrl("baseUrl", baseUrl);
      if (baseUrl.getRawQuery() != null) {
        throw new IllegalArgumentException("baseUrl must have no query (the messages path is appended), was '"
            + baseUrl + "'");
      }
      this.baseUrl = baseUrl;
      return this;
    }

    /** The deadline for one request, from sending to receiving the answer; 30 s by default. */
    public Builder timeout(Duration timeout) {
      this.timeout = ProviderSettings.checkPositive("timeout", timeout);
      return this;
    }

    /** The limit for opening a connection; 10 s by default. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = ProviderSettings.checkPositive("connectTimeout", connectTimeout);
      return this;
    }

    /** Mailgun's test mode ({@code o:testmode=yes}): accepted and logged, not delivered. */
    public Builder testMode(boolean testMode) {
      this.testMode = testMode;
      return this;
    }

    /** The clock for {@code o:deliverytime} and rate-limit resets; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds the provider; it connects on first use. */
    public MailgunProvider build() {
      return new MailgunProvider(this);
    }
  }
}
