package io.postline.mail.ses;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.mime.CertificateLookupException;
import io.postline.mail.mime.DkimSigner;
import io.postline.mail.mime.MimeRenderer;
import io.postline.mail.mime.SigningException;
import io.postline.mail.mime.SigningOptions;
import io.postline.mail.mime.Smime;
import io.postline.mail.ses.internal.SesErrors;
import io.postline.mail.ses.internal.SesRequests;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.spi.SendOutcome;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sesv2.SesV2ClientBuilder;
import software.amazon.awssdk.services.sesv2.model.SendEmailRequest;
import software.amazon.awssdk.services.sesv2.model.SendEmailResponse;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * Sends email through Amazon SES v2 ({@code SendEmail}) with the AWS SDK for Java v2.
 *
 * <p>Created from a DSN by the {@code ses} factory, or by hand:
 *
 * <pre>{@code
 * MailProvider ses = SesProvider.builder()
 *     .region("eu-west-1")                      // or the SDK's region chain (AWS_REGION, profile)
 *     .configurationSet("transactional")        // optional
 *     .build();                                 // credentials from the SDK's default chain
 * }</pre>
 *
 * <p>Mapping: {@code Simple} content (subject, text, HTML, custom headers, reply-to) when the
 * email has no attachments, else {@code Raw} MIME rendered by mail-mime; the {@code Destination}
 * lists to, cc and bcc; tags and metadata become {@code EmailTags}, sanitized to SES's allowed
 * characters (see {@link SesRequests}). SES has no native scheduling: an email with
 * {@code sendAt} is sent at once (the queue is what holds it until it is due).
 *
 * <p>DKIM: SES signs with Easy DKIM when the sending identity has it set up in the account
 * ({@link Capabilities.DkimSigning#PROVIDER}). With Postline's DKIM ({@link Builder#dkim}, the
 * {@code dkim.*} options of {@link SigningOptions}) or S/MIME ({@link Builder#smime}, the
 * {@code smime.*} options), every message goes as {@code Raw} MIME that Postline signs (S/MIME
 * first, DKIM last, over the exact bytes SES receives; {@link Capabilities.DkimSigning#POSTLINE});
 * SES may add its own Easy DKIM signature beside it. A message that cannot be signed is not sent:
 * it fails {@link FailureKind#PERMANENT}.
 *
 * <p>The SDK's own retries are switched off: Postline's retry policy is the only one, since two
 * layers of retries multiply.
 *
 * <p>Failures: TooManyRequests and throttling are {@link FailureKind#RATE_LIMITED}; LimitExceeded
 * (the daily quota) {@link FailureKind#PROVIDER_UNAVAILABLE} with a retry-after (one hour unless
 * set); AccountSuspended, SendingPaused, MailFromDomainNotVerified, NotFound, rejected or missing
 * credentials {@link FailureKind#PROVIDER_UNAVAILABLE}; MessageRejected, BadRequest and other 4xx
 * {@link FailureKind#PERMANENT}; 5xx, I/O errors and timeouts {@link FailureKind#TRANSIENT}.
 *
 * <p>At most 50 recipients per message: a larger one is an {@link InvalidEmailException} that
 * points to {@link #sendBatch(List)}, which splits it into messages of at most 50.
 *
 * <p>Thread-safe. Credentials never appear in {@link #toString()}, logs or exception messages.
 */
public final class SesProvider implements MailProvider {
  /** The DSN scheme. */
  public static final String SCHEME = "ses";
  /** The default deadline for one call. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** The default limit for opening a connection. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** The default wait suggested when the daily sending quota is spent. */
  public static final Duration DEFAULT_QUOTA_RETRY_AFTER = Duration.ofHours(1);
  /** SES v2's limit for a whole message, attachments included. */
  public static final long MAX_MESSAGE_BYTES = 40L * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(SesProvider.class);
  private static final Set<String> OPTIONS = Set.of("region", "endpoint", "configurationSet", "timeout",
      "connectTimeout", "quotaRetryAfter", "raw", "sessionToken");
  private static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+)+");

  private final String name;
  private final Region region;
  private final @Nullable URI endpoint;
  private final Duration timeout;
  private final Duration quotaRetryAfter;
  private final List<String> secrets;
  private final SesV2Client client;
  private final @Nullable SdkAutoCloseable ownedCredentials;
  private final SesRequests requests;
  private final Clock clock;
  private final Capabilities capabilities;
  /** What one email of a batch may have: any number of recipients, split into messages of 50. */
  private final Capabilities batchCapabilities;
  private final @Nullable DkimSigner dkim;
  private volatile boolean closed;

  private SesProvider(Builder b) {
    this.name = b.name;
    this.region = b.region != null ? Region.of(b.region) : defaultRegion();
    this.endpoint = b.endpoint;
    this.timeout = b.timeout;
    this.quotaRetryAfter = b.quotaRetryAfter;
    this.clock = b.clock;
    this.secrets = b.secrets();
    AwsCredentialsProvider credentials = b.credentials;
    SdkAutoCloseable owned = null;
    if (credentials == null) {
      DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
      credentials = chain;
      owned = chain;
    }
    this.ownedCredentials = owned;
    SesV2ClientBuilder client = SesV2Client.builder()
        .region(region)
        .credentialsProvider(credentials)
        .httpClient(UrlConnectionHttpClient.builder()
            .connectionTimeout(b.connectTimeout)
            .socketTimeout(b.timeout)
            .build())
        .overrideConfiguration(o -> o
            .retryStrategy(AwsRetryStrategy.doNotRetry())
            .apiCallTimeout(b.timeout)
            .apiCallAttemptTimeout(b.timeout));
    if (endpoint != null) {
      client.endpointOverride(endpoint);
    }
    this.client = client.build();
    this.dkim = b.dkim;
    this.requests = new SesRequests(name, b.configurationSet, b.raw, b.renderer, b.smime, b.dkim);
    this.capabilities = capabilities(SesRequests.MAX_RECIPIENTS, b.dkim != null);
    this.batchCapabilities = capabilities(Integer.MAX_VALUE, b.dkim != null);
  }

  private static Capabilities capabilities(int maxRecipients, boolean postlineDkim) {
    return Capabilities.builder()
        .dkimSigning(postlineDkim ? Capabilities.DkimSigning.POSTLINE : Capabilities.DkimSigning.PROVIDER)
        // SES does not support SMTPUTF8: a local part must be ASCII (API reference, Destination).
        .internationalizedAddresses(false)
        .maxRecipients(maxRecipients)
        .maxMessageBytes(MAX_MESSAGE_BYTES)
        .attachments(true)
        .tags(SesRequests.MAX_MESSAGE_TAGS)
        .metadata(true)
        .deliveryReports(true)
        .build();
  }

  private static Region defaultRegion() {
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkException e) {
      throw new IllegalArgumentException("SES needs a region: set ?region=eu-west-1 in the DSN, region(..) on the"
          + " builder, or AWS_REGION for the SDK's region chain");
    }
  }

  /** Starts a provider; without credentials it uses the SDK's default credentials chain. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Creates a provider from DSN settings: {@code ses://ACCESS_KEY:SECRET@default} (or
   * {@code ses://default} for the SDK's default credentials chain) with the options
   * {@code region}, {@code endpoint}, {@code configurationSet}, {@code timeout},
   * {@code connectTimeout}, {@code quotaRetryAfter}, {@code raw} and {@code sessionToken}, and
   * the signing options {@code dkim.*} and {@code smime.*} ({@link SigningOptions}).
   *
   * @throws IllegalArgumentException naming the setting that is missing or wrong, secrets masked
   */
  public static SesProvider create(ProviderSettings settings) {
    Objects.requireNonNull(settings, "settings");
    Set<String> known = new HashSet<>(OPTIONS);
    known.addAll(SigningOptions.names(settings));
    settings.requireKnownOptions(known);
    if (!settings.host().equals("default")) {
      throw new IllegalArgumentException("ses DSN host must be 'default' (" + settings.maskedDsn()
          + "); set the region with ?region=eu-west-1 and another endpoint with ?endpoint=...");
    }
    Builder b = builder().name(settings.name())
        .timeout(settings.durationOption("timeout", DEFAULT_TIMEOUT))
        .connectTimeout(settings.durationOption("connectTimeout", DEFAULT_CONNECT_TIMEOUT))
        .quotaRetryAfter(settings.durationOption("quotaRetryAfter", DEFAULT_QUOTA_RETRY_AFTER))
        .raw(settings.booleanOption("raw", false));
    String user = settings.user().filter(u -> !u.isEmpty()).orElse(null);
    String password = settings.password().filter(p -> !p.isEmpty()).orElse(null);
    if (user != null && password != null) {
      String token = settings.option("sessionToken").orElse(null);
      if (token != null) {
        b.credentials(user, password, token);
      } else {
        b.credentials(user, password);
      }
    } else if (user != null || password != null) {
      throw new IllegalArgumentException("ses DSN needs both ACCESS_KEY:SECRET, or neither for the SDK's default"
          + " credentials chain (" + settings.maskedDsn() + ")");
    } else if (settings.option("sessionToken").isPresent()) {
      throw new IllegalArgumentException("ses DSN option sessionToken needs ACCESS_KEY:SECRET too ("
          + settings.maskedDsn() + ")");
    }
    settings.option("region").ifPresent(region -> {
      if (!REGION.matcher(region).matches()) {
        throw new IllegalArgumentException("option 'region' of provider " + settings.name()
            + " must be an AWS region like eu-west-1, was '" + region + "'");
      }
      b.region(region);
    });
    settings.option("configurationSet").ifPresent(b::configurationSet);
    SigningOptions.smime(settings).ifPresent(b::smime);
    SigningOptions.dkim(settings).ifPresent(b::dkim);
    settings.httpUrlOption("endpoint").ifPresent(b::endpoint);
    return b.build();
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * Up to 50 recipients and 40 MB per message, attachments, tags and metadata as message tags;
   * DKIM by Postline when configured, else by SES (Easy DKIM).
   */
  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public SendResult send(Email email) throws ProviderException {
    capabilities.check(email, name);
    List<String> problems = requests.problems(email);
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems);
    }
    ensureOpen();
    return sendOne(email);
  }

  private SendResult sendOne(Email email) throws ProviderException {
    if (email.sendAt().filter(at -> at.isAfter(clock.instant())).isPresent()) {
      LOG.debug("SES provider '{}' has no native scheduling: sending a message with sendAt at once", name);
    }
    boolean raw = requests.usesRaw(email);
    long started = System.nanoTime();
    SendEmailResponse response;
    SendEmailRequest request;
    try {
      request = requests.request(email);
    } catch (SigningException e) {
      // Unsigned is never a fallback for what was meant to be signed.
      throw ProviderException.builder(FailureKind.PERMANENT, name, "SES provider '" + name
          + "': the message was not sent: it could not be signed: " + e.getMessage()).cause(e).build();
    } catch (CertificateLookupException e) {
      throw ProviderException.builder(FailureKind.TRANSIENT, name, "SES provider '" + name + "': the message was not "
          + "sent: " + e.getMessage() + "; sending again may succeed").cause(e.getCause()).build();
    }
    try {
      response = client.sendEmail(request);
    } catch (SdkException | UncheckedIOException e) {
      // The SDK's URL connection client reports a garbled answer as UncheckedIOException, not SdkException.
      SdkException sdk = e instanceof SdkException se ? se : SdkClientException.create(
          "I/O error reading the answer", e.getCause());
      ProviderException failure = SesErrors.failure(name, sdk, secrets, quotaRetryAfter, timeout, clock.instant());
      LOG.debug("SES provider '{}' failed: {} ({}, {} recipient(s){})", name, failure.kind(),
          failure.code().orElse("?"), email.recipients().size(),
          failure.retryAfter().map(d -> ", retry after " + d.toSeconds() + "s").orElse(""));
      throw failure;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    String messageId = response.messageId() == null ? "" : response.messageId();
    LOG.debug("SES provider '{}' sent message {} ({}) to {} recipient(s) {} in {} ms", name, messageId,
        raw ? "raw" : "simple", email.recipients().size(), masked(email.to()), took.toMillis());
    return SendResult.accepted(name, messageId, email.recipients(), took);
  }

  /**
   * Sends each email with its own {@code SendEmail} call (SES has no multi-message call for
   * content that is not a template). An email with more than 50 recipients is split into messages
   * of at most 50 (to, then cc, then bcc, in order), each recipient seeing only the addresses of
   * their own part. Every email is checked first; if any is invalid, nothing is sent.
   *
   * @return one outcome per email, in the order given. An email whose parts all failed fails with
   *     the first part's exception; one whose parts partly failed is sent, with the recipients of
   *     the failed parts {@linkplain RecipientStatus.Status#REJECTED rejected} and the reason (the
   *     kind, and whether retrying them may help). Its message id lists the parts' ids, comma
   *     separated.
   * @throws InvalidEmailException listing the problems of every invalid email, by position
   */
  @Override
  public List<SendOutcome> sendBatch(List<Email> emails) {
    batchCapabilities.checkBatch(emails, name, requests::problems);
    List<SendOutcome> outcomes = new ArrayList<>(emails.size());
    for (Email email : emails) {
      outcomes.add(sendSplit(email));
    }
    return outcomes;
  }

  private SendOutcome sendSplit(Email email) {
    long started = System.nanoTime();
    List<Email> parts = SesRequests.split(email, SesRequests.MAX_RECIPIENTS);
    List<String> ids = new ArrayList<>();
    List<RecipientStatus> statuses = new ArrayList<>();
    ProviderException firstFailure = null;
    for (Email part : parts) {
      try {
        ensureOpen();
        SendResult result = sendOne(part);
        ids.add(result.messageId());
        statuses.addAll(result.recipients());
      } catch (ProviderException e) {
        if (firstFailure == null) {
          firstFailure = e;
        }
        String reason = "not sent: " + e.kind() + (e.kind().retryable() ? ", retrying may help" : "")
            + " (" + e.code().orElse("?") + ")";
        for (Address a : part.recipients()) {
          statuses.add(RecipientStatus.rejected(a, reason));
        }
      }
    }
    if (ids.isEmpty()) {
      return SendOutcome.failed(email, Objects.requireNonNull(firstFailure));
    }
    return SendOutcome.sent(email, new SendResult(name, String.join(",", ids), statuses, 1,
        Duration.ofNanos(System.nanoTime() - started)));
  }

  private void ensureOpen() throws ProviderException {
    if (closed) {
      throw ProviderException.closed("SES", name);
    }
  }

  private static List<String> masked(List<Address> addresses) {
    return addresses.stream().limit(3).map(Address::masked).toList();
  }

  /** Closes the SDK client and its connections. */
  @Override
  public void close() {
    closed = true;
    client.close();
    if (ownedCredentials != null) {
      ownedCredentials.close();
    }
  }

  /** The provider's name, region, endpoint and timeout; never credentials. */
  @Override
  public String toString() {
    return "SesProvider[" + name + ", " + region.id() + (endpoint == null ? "" : ", " + endpoint)
        + ", timeout=" + timeout + (dkim == null ? "" : ", dkim=" + dkim.domains()) + "]";
  }

  /** Builds a {@link SesProvider}. */
  public static final class Builder {
    private String name = SCHEME;
    private @Nullable String region;
    private @Nullable URI endpoint;
    private @Nullable String configurationSet;
    private @Nullable AwsCredentialsProvider credentials;
    private final List<String> secretValues = new ArrayList<>();
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration quotaRetryAfter = DEFAULT_QUOTA_RETRY_AFTER;
    private boolean raw;
    private MimeRenderer renderer = MimeRenderer.defaults();
    private Clock clock = Clock.systemUTC();
    private @Nullable DkimSigner dkim;
    private @Nullable Smime smime;

    private Builder() {}

    /** The provider's name in results, events and metrics; {@code ses} by default. */
    public Builder name(String name) {
      this.name = ProviderSettings.checkName(name);
      return this;
    }

    /** The AWS region, such as {@code eu-west-1}; the SDK's region chain by default. */
    public Builder region(String region) {
      Objects.requireNonNull(region, "region");
      if (!REGION.matcher(region).matches()) {
        throw new IllegalArgumentException("region must be an AWS region like eu-west-1, was '" + region + "'");
      }
      this.region = region;
      return this;
    }

    /** Another endpoint, such as a mock server's {@code http://localhost:8089}. */
    public Builder endpoint(URI endpoint) {
      this.endpoint = ProviderSettings.checkHttpUrl("endpoint", endpoint);
      return this;
    }

    /** The configuration set every message names (for event publishing, IP pools). */
    public Builder configurationSet(String configurationSet) {
      Objects.requireNonNull(configurationSet, "configurationSet");
      if (configurationSet.isBlank()) {
        throw new IllegalArgumentException("configurationSet is blank");
      }
      this.configurationSet = configurationSet;
      return this;
    }

    /** Static credentials: an access key id and its secret. */
    public Builder credentials(String accessKeyId, String secretAccessKey) {
      requireText("accessKeyId", accessKeyId);
      requireText("secretAccessKey", secretAccessKey);
      this.credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey));
      secretValues.clear();
      secretValues.add(secretAccessKey);
      secretValues.add(accessKeyId);
      return this;
    }

    /** Temporary credentials: an access key id, its secret and a session token. */
    public Builder credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
      requireText("accessKeyId", accessKeyId);
      requireText("secretAccessKey", secretAccessKey);
      requireText("sessionToken", sessionToken);
      this.credentials = StaticCredentialsProvider.create(
          AwsSessionCredentials.create(accessKeyId, secretAccessKey, sessionToken));
      secretValues.clear();
      secretValues.add(secretAccessKey);
      secretValues.add(sessionToken);
      secretValues.add(accessKeyId);
      return this;
    }

    /** Any credentials provider (a profile, a role, web identity); closing it stays yours. */
    public Builder credentialsProvider(AwsCredentialsProvider provider) {
      this.credentials = Objects.requireNonNull(provider, "provider");
      secretValues.clear();
      return this;
    }

    /** The deadline for one call, from sending to the answer; 30 s by default. */
    public Builder timeout(Duration timeout) {
      this.timeout = ProviderSettings.checkPositive("timeout", timeout);
      return this;
    }

    /** The limit for opening a connection; 10 s by default. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = ProviderSettings.checkPositive("connectTimeout", connectTimeout);
      return this;
    }

    /** The retry-after suggested when the daily quota is spent (LimitExceeded); 1 h by default. */
    public Builder quotaRetryAfter(Duration quotaRetryAfter) {
      this.quotaRetryAfter = ProviderSettings.checkPositive("quotaRetryAfter", quotaRetryAfter);
      return this;
    }

    /** Sends every message as {@code Raw} MIME, not only those with attachments; off by default. */
    public Builder raw(boolean raw) {
      this.raw = raw;
      return this;
    }

    /**
     * Signs every message with DKIM, sent as {@code Raw} MIME: a message whose From domain has no
     * key in {@code signer}, or whose signature cannot be made, fails {@link FailureKind#PERMANENT}
     * and is not sent. SES may add its own Easy DKIM signature beside Postline's.
     */
    public Builder dkim(DkimSigner signer) {
      this.dkim = Objects.requireNonNull(signer, "signer");
      return this;
    }

    /**
     * Signs and/or encrypts every message with S/MIME, sent as {@code Raw} MIME (before DKIM, which
     * then signs the result); a message that cannot be fails {@link FailureKind#PERMANENT}.
     */
    public Builder smime(Smime smime) {
      this.smime = Objects.requireNonNull(smime, "smime");
      return this;
    }

    /** Renders {@code Raw} messages; {@link MimeRenderer#defaults()} by default. */
    public Builder renderer(MimeRenderer renderer) {
      this.renderer = Objects.requireNonNull(renderer, "renderer");
      return this;
    }

    /** The clock for logging scheduled messages and HTTP-date retry-afters. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the provider.
     *
     * @throws IllegalArgumentException if no region was set and the SDK's region chain has none
     */
    public SesProvider build() {
      return new SesProvider(this);
    }

    private List<String> secrets() {
      return List.copyOf(secretValues);
    }

    private static void requireText(String what, String value) {
      Objects.requireNonNull(value, what);
      if (value.isBlank()) {
        throw new IllegalArgumentException(what + " is blank");
      }
    }
  }
}
