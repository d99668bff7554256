package io.postline.mail.smtp;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.MailException;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.mime.CertificateLookupException;
import io.postline.mail.mime.DkimSigner;
import io.postline.mail.mime.MimeChannel;
import io.postline.mail.mime.MimeRenderer;
import io.postline.mail.mime.MimeSigning;
import io.postline.mail.mime.SigningException;
import io.postline.mail.mime.SigningOptions;
import io.postline.mail.mime.Smime;
import io.postline.mail.smtp.internal.ConnectionPool;
import io.postline.mail.smtp.internal.Connector;
import io.postline.mail.smtp.internal.DsnRequest;
import io.postline.mail.smtp.internal.Outgoing;
import io.postline.mail.smtp.internal.Redactor;
import io.postline.mail.smtp.internal.SendAttempt;
import io.postline.mail.smtp.internal.SmtpConnection;
import io.postline.mail.smtp.internal.SmtpFailures;
import io.postline.mail.smtp.internal.SmtpLink;
import io.postline.mail.smtp.internal.SmtpSettings;
import io.postline.mail.smtp.internal.TagHeaders;
import io.postline.mail.smtp.internal.TlsContexts;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.spi.SendOutcome;
import jakarta.mail.MessagingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends email over SMTP with Postline's own pipelining engine (or, with {@code transport=angus},
 * Jakarta Mail's Angus), through a pool of reused connections, with verified TLS, finite timeouts
 * and classified failures.
 *
 * <p>Created from a DSN by the {@code smtp} and {@code smtps} factories:
 *
 * <pre>{@code
 * smtp://user:password@smtp.example.org:587          STARTTLS, required because of the credentials
 * smtps://user:password@smtp.example.org:465         implicit TLS
 * smtp://localhost:2525?tls=none                     a local relay, no TLS
 * smtp://relay.internal:587?trustedCertificate=/etc/relay.pem&poolSize=8
 * }</pre>
 *
 * or by hand, with the same settings and an OAuth2 token supplier:
 *
 * <pre>{@code
 * SmtpProvider smtp = SmtpProvider.builder("smtp.example.org")
 *     .credentials("user", "password")
 *     .poolSize(8)
 *     .readTimeout(Duration.ofSeconds(30))
 *     .build();
 * }</pre>
 *
 * <h2>Security</h2>
 * Credentials never go over plain text: with credentials, STARTTLS is required (the send fails
 * rather than fall back), unless {@code tls=none} is given explicitly, which logs a warning.
 * Certificates and host names are verified against the JVM's trust store, or against exactly the
 * certificates of {@code trustStore} / {@code trustedCertificate} when set; only
 * {@code tlsVerify=false} turns that off, and it logs a warning. Every timeout is finite.
 *
 * <h2>Connections</h2>
 * See {@code docs/provider-smtp.md}: at most {@code poolSize} connections, each closed after
 * {@code messagesPerConnection} messages or {@code idleTimeout} unused; an idle connection is
 * checked with RSET before reuse; a connection whose send failed is closed, never reused;
 * {@link #close()} sends QUIT on every connection.
 *
 * <h2>Failures</h2>
 * Every failure is a {@link ProviderException} with a {@link FailureKind} from the SMTP reply code
 * and RFC 3463 enhanced code, the reply in {@link ProviderException#code()} and its text in the
 * message (addresses masked, no secrets). Recipients refused while others were accepted do not
 * fail the send: the message goes to the others and the refused ones are
 * {@link RecipientStatus.Status#REJECTED REJECTED} in the {@link SendResult}.
 *
 * <h2>Logging</h2>
 * The SMTP conversation is logged at DEBUG on {@code io.postline.mail.smtp.wire} (decided when
 * each connection opens), with AUTH exchanges and message content left out and addresses masked.
 *
 * <p>Thread-safe.
 */
public final class SmtpProvider implements MailProvider {
  /** The DSN scheme for STARTTLS (or, with {@code tls=none}, plain) SMTP. */
  public static final String SCHEME = "smtp";
  /** The DSN scheme for implicit TLS. */
  public static final String SCHEME_TLS = "smtps";
  /** The default port for STARTTLS (submission, RFC 6409). */
  public static final int DEFAULT_PORT = 587;
  /** The default port for implicit TLS (RFC 8314). */
  public static final int DEFAULT_TLS_PORT = 465;
  /** The default port for {@code tls=none}. */
  public static final int DEFAULT_PLAIN_PORT = 25;
  /** Default limit for opening a connection, TLS handshake included. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Default limit for each server reply (the reply to the end of DATA may take a while). */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);
  /** Default limit for each write. */
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(60);
  /** Default most connections open at once. */
  public static final int DEFAULT_POOL_SIZE = 4;
  /** Default most messages one connection sends before it is closed. */
  public static final int DEFAULT_MESSAGES_PER_CONNECTION = 100;
  /** Default time an unused connection stays open. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** Default time a send waits for a free connection. */
  public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);
  /** Default idle time after which a connection is checked with RSET before reuse. */
  public static final Duration DEFAULT_VALIDATE_AFTER_IDLE = Duration.ofMillis(500);
  /** Default most recipients per message (RFC 5321 servers must accept at least 100). */
  public static final int DEFAULT_MAX_RECIPIENTS = 100;
  /** The most messages one {@link #sendBatch} call takes (fewer when {@code messagesPerConnection} is lower). */
  public static final int MAX_BATCH = 100;
  /** The most tags per message when tags are sent as headers. */
  public static final int MAX_TAGS = 20;

  static final Set<String> OPTIONS = Set.of("tls", "connectTimeout", "readTimeout", "writeTimeout",
      "poolSize", "messagesPerConnection", "idleTimeout", "acquireTimeout", "validateAfterIdle", "ehlo",
      "trustStore", "trustStorePassword", "trustStoreType", "trustedCertificate", "tlsVerify",
      "maxMessageBytes", "maxRecipients", "tagHeaders", "messageIdDomain", "transport", "deliveryNotify",
      "deliveryReturn");
  private static final Logger LOG = LoggerFactory.getLogger(SmtpProvider.class);
  private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

  private final SmtpSettings settings;
  private final int maxRecipients;
  private final MimeRenderer renderer;
  private final @Nullable DkimSigner dkim;
  private final @Nullable Smime smime;
  private final ScheduledThreadPoolExecutor scheduler;
  private final Connector connector;
  private final ConnectionPool pool;
  private final SmtpFailures failures;
  private volatile Capabilities capabilities;
  private volatile long capabilitiesSize;
  private volatile boolean closed;

  private SmtpProvider(Builder b, SmtpSettings settings) {
    this.settings = settings;
    this.maxRecipients = b.maxRecipients;
    MimeRenderer.Builder rb = MimeRenderer.builder();
    if (settings.messageIdDomain() != null) {
      rb.messageIdDomain(settings.messageIdDomain());
    }
    this.renderer = rb.build();
    this.dkim = b.dkim;
    this.smime = b.smime;
    Redactor redactor = new Redactor(settings.username(), settings.password());
    this.failures = new SmtpFailures(settings.name(), settings.address(), redactor);
    AtomicInteger threads = new AtomicInteger();
    this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "postline-smtp-" + settings.name() + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.scheduler.setRemoveOnCancelPolicy(true);
    this.connector = new Connector(settings, redactor, failures, scheduler);
    this.pool = new ConnectionPool(settings, connector::open, failures, scheduler);
    this.capabilitiesSize = -1;
    this.capabilities = buildCapabilities(-1);
  }

  /** Starts a provider for the server at {@code host}. */
  public static Builder builder(String host) {
    return new Builder().host(host);
  }

  /** Starts a provider; set at least {@link Builder#host(String)}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Creates a provider from DSN settings ({@code smtp://} or {@code smtps://}); see
   * {@code docs/provider-smtp.md} for the options.
   *
   * @throws IllegalArgumentException naming the setting that is missing or wrong, secrets masked
   */
  public static SmtpProvider create(ProviderSettings dsn) {
    Objects.requireNonNull(dsn, "settings");
    Set<String> known = new java.util.HashSet<>(OPTIONS);
    known.addAll(SigningOptions.names(dsn));
    dsn.requireKnownOptions(known);
    boolean implicitScheme = dsn.scheme().equals(SCHEME_TLS);
    if (!implicitScheme && !dsn.scheme().equals(SCHEME)) {
      throw new IllegalArgumentException("SMTP provider takes smtp:// or smtps:// DSNs, not " + dsn.maskedDsn());
    }
    Builder b = builder(dsn.host()).name(dsn.name());
    Optional<String> tls = dsn.option("tls");
    if (tls.isPresent()) {
      TlsMode mode = dsn.enumOption("tls", TlsMode.class, TlsMode.STARTTLS);
      if (implicitScheme && mode != TlsMode.IMPLICIT) {
        throw new IllegalArgumentException("smtps:// is implicit TLS; it cannot take tls=" + tls.get()
            + " (" + dsn.maskedDsn() + "); use smtp:// for that");
      }
      b.tls(mode);
    } else if (implicitScheme) {
      b.tls(TlsMode.IMPLICIT);
    }
    dsn.port().ifPresent(b::port);
    if (dsn.user().isPresent()) {
      String password = dsn.password().orElseThrow(() -> new IllegalArgumentException(
          "SMTP DSN has a user but no password: " + dsn.maskedDsn() + "; write smtp://USER:PASSWORD@host"));
      b.credentials(dsn.user().get(), password);
    }
    b.connectTimeout(dsn.durationOption("connectTimeout", DEFAULT_CONNECT_TIMEOUT))
        .readTimeout(dsn.durationOption("readTimeout", DEFAULT_READ_TIMEOUT))
        .writeTimeout(dsn.durationOption("writeTimeout", DEFAULT_WRITE_TIMEOUT))
        .poolSize(dsn.intOption("poolSize", DEFAULT_POOL_SIZE))
        .messagesPerConnection(dsn.intOption("messagesPerConnection", DEFAULT_MESSAGES_PER_CONNECTION))
        .idleTimeout(dsn.durationOption("idleTimeout", DEFAULT_IDLE_TIMEOUT))
        .acquireTimeout(dsn.durationOption("acquireTimeout", DEFAULT_ACQUIRE_TIMEOUT))
        .validateAfterIdle(dsn.durationOption("validateAfterIdle", DEFAULT_VALIDATE_AFTER_IDLE))
        .maxRecipients(dsn.intOption("maxRecipients", DEFAULT_MAX_RECIPIENTS))
        .tagHeaders(dsn.booleanOption("tagHeaders", false));
    dsn.option("ehlo").ifPresent(b::ehloName);
    if (dsn.option("transport").isPresent()) {
      b.transport(dsn.enumOption("transport", SmtpTransport.class, SmtpTransport.POSTLINE));
    }
    dsn.option("messageIdDomain").ifPresent(b::messageIdDomain);
    dsn.option("maxMessageBytes").ifPresent(v -> b.maxMessageBytes(longOption(dsn, "maxMessageBytes", v)));
    dsn.option("trustStore").ifPresent(path -> b.trustStore(Path.of(path),
        dsn.option("trustStorePassword").map(String::toCharArray).orElse(null),
        dsn.option("trustStoreType").orElse(null)));
    if (dsn.option("trustStore").isEmpty()
        && (dsn.option("trustStorePassword").isPresent() || dsn.option("trustStoreType").isPresent())) {
      throw new IllegalArgumentException("trustStorePassword and trustStoreType need trustStore (" + dsn.maskedDsn() + ")");
    }
    dsn.option("trustedCertificate").ifPresent(path -> b.trustedCertificate(Path.of(path)));
    if (!dsn.booleanOption("tlsVerify", true)) {
      b.insecureSkipTlsVerification();
    }
    SigningOptions.smime(dsn).ifPresent(b::smime);
    SigningOptions.dkim(dsn).ifPresent(b::dkim);
    dsn.option("deliveryNotify").ifPresent(v -> b.deliveryNotify(deliveryNotify(dsn, v)));
    if (dsn.option("deliveryReturn").isPresent()) {
      b.deliveryReturn(dsn.enumOption("deliveryReturn", DeliveryReturn.class, DeliveryReturn.HEADERS));
    }
    return b.build();
  }

  /** {@code FAILURE,DELAY}: a comma-separated list of {@link DeliveryNotify} names, any case. */
  private static Set<DeliveryNotify> deliveryNotify(ProviderSettings dsn, String value) {
    Set<DeliveryNotify> notify = EnumSet.noneOf(DeliveryNotify.class);
    for (String part : value.split(",")) {
      try {
        notify.add(DeliveryNotify.valueOf(part.strip().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("option 'deliveryNotify' of provider " + dsn.name() + " takes a comma-"
            + "separated list of SUCCESS, FAILURE, DELAY or NEVER alone, was '" + value + "'");
      }
    }
    return notify;
  }

  private static long longOption(ProviderSettings dsn, String key, String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option '" + key + "' of provider " + dsn.name() + " ("
          + dsn.maskedDsn() + ") must be a whole number, was '" + value + "'");
    }
  }

  @Override
  public String name() {
    return settings.name();
  }

  /**
   * Attachments and inline parts yes; the size limit is {@code maxMessageBytes}, lowered to the
   * server's SIZE once a connection has read it; tags and metadata only with
   * {@code tagHeaders=true}, as {@code X-Postline-Tags} and {@code X-Postline-Meta-<key>} headers;
   * internationalized addresses yes (a server without SMTPUTF8 fails such a message
   * {@code PERMANENT}); batches of up to {@link #MAX_BATCH} messages over one pipelined connection;
   * no native scheduling.
   */
  @Override
  public Capabilities capabilities() {
    long size = connector.serverMaxSize();
    if (size != capabilitiesSize) {
      capabilities = buildCapabilities(size);
      capabilitiesSize = size;
    }
    return capabilities;
  }

  private Capabilities buildCapabilities(long serverSize) {
    long max = settings.maxMessageBytes();
    if (serverSize > 0) {
      max = Math.min(max, serverSize);
    }
    Capabilities.Builder b = Capabilities.builder().maxRecipients(maxRecipients).attachments(true)
        // SMTPUTF8 is checked per connection: a server without it fails such a message PERMANENT.
        .internationalizedAddresses(true)
        // A batch goes over one connection, each message's envelope pipelined with the previous body.
        .batch(Math.min(settings.messagesPerConnection(), MAX_BATCH))
        .dkimSigning(dkim != null ? Capabilities.DkimSigning.POSTLINE : Capabilities.DkimSigning.NONE);
    if (max != Long.MAX_VALUE) {
      b.maxMessageBytes(max);
    }
    if (settings.tagHeaders()) {
      b.tags(MAX_TAGS).metadata(true);
    } else {
      b.noTags().metadata(false);
    }
    return b.build();
  }

  @Override
  public SendResult send(Email email) throws ProviderException {
    Objects.requireNonNull(email, "email");
    capabilities().check(email, name());
    if (closed) {
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "the provider is closed", null);
    }
    long started = System.nanoTime();
    Email rendered = settings.tagHeaders() ? TagHeaders.apply(email) : email;
    SmtpConnection connection = pool.acquire();
    boolean sent = false;
    List<RecipientStatus> statuses;
    String messageId;
    try {
      Outgoing message = prepare(email, rendered, connection.link());
      messageId = message.messageId();
      statuses = connection.link().send(message);
      sent = true;
      logRefusals(messageId, statuses);
    } catch (RuntimeException e) {
      if (e instanceof InvalidEmailException invalid) {
        throw invalid;
      }
      throw failures.failure(FailureKind.TRANSIENT, "SMTP send failed unexpectedly ("
          + e.getClass().getName() + ")", e);
    } finally {
      if (sent) {
        connection.sent(System.nanoTime());
      }
      // A refused message leaves the connection usable when it could be reset; a lost one never.
      pool.release(connection, connection.link().reusable());
    }
    return new SendResult(name(), messageId, statuses, 1, Duration.ofNanos(System.nanoTime() - started));
  }

  /**
   * Sends the emails over as few connections as the pool allows, pipelined where the server offers
   * PIPELINING: each message's envelope goes with the end of the previous message's body (see
   * {@code docs/providers-smtp.md}). Each email's outcome is its own: a refused message does not
   * fail the others, and messages a lost connection never reached go out on another connection.
   *
   * @return one outcome per email, in the same order
   */
  @Override
  public List<SendOutcome> sendBatch(List<Email> emails) {
    Objects.requireNonNull(emails, "emails");
    SendOutcome[] outcomes = new SendOutcome[emails.size()];
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < emails.size(); i++) {
      try {
        capabilities().check(emails.get(i), name());
        pending.add(i);
      } catch (InvalidEmailException e) {
        outcomes[i] = SendOutcome.failed(emails.get(i), failures.failure(FailureKind.PERMANENT,
            "the email does not fit this provider: " + String.join("; ", e.problems()), null));
      }
    }
    while (!pending.isEmpty()) {
      pending = sendSome(emails, pending, outcomes);
    }
    return List.of(outcomes);
  }

  /** Sends what one connection takes of {@code pending}; returns what is left for another connection. */
  private List<Integer> sendSome(List<Email> emails, List<Integer> pending, SendOutcome[] outcomes) {
    long started = System.nanoTime();
    SmtpConnection connection;
    try {
      if (closed) {
        throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "the provider is closed", null);
      }
      connection = pool.acquire();
    } catch (ProviderException e) {
      pending.forEach(i -> outcomes[i] = SendOutcome.failed(emails.get(i), e));
      return List.of();
    }
    int room = Math.max(1, settings.messagesPerConnection() - connection.messages());
    List<Integer> taken = new ArrayList<>(pending.subList(0, Math.min(room, pending.size())));
    List<Integer> left = new ArrayList<>(pending.subList(taken.size(), pending.size()));
    List<Integer> written = new ArrayList<>();
    List<Outgoing> messages = new ArrayList<>();
    try {
      for (int i : taken) {
        Email email = emails.get(i);
        try {
          messages.add(prepare(email, settings.tagHeaders() ? TagHeaders.apply(email) : email, connection.link()));
          written.add(i);
        } catch (ProviderException e) {
          outcomes[i] = SendOutcome.failed(email, e);
        } catch (RuntimeException e) {
          outcomes[i] = SendOutcome.failed(email, failures.failure(FailureKind.PERMANENT,
              "the message cannot be written (" + e.getClass().getSimpleName() + ")", e));
        }
      }
      List<SendAttempt> attempts = messages.isEmpty() ? List.of() : connection.link().sendAll(messages);
      List<Integer> again = new ArrayList<>();
      for (int k = 0; k < written.size(); k++) {
        int i = written.get(k);
        SendAttempt attempt = attempts.get(k);
        if (attempt == null) {
          again.add(i);
        } else if (attempt.failure() != null) {
          outcomes[i] = SendOutcome.failed(emails.get(i), attempt.failure());
        } else {
          List<RecipientStatus> statuses = Objects.requireNonNull(attempt.statuses(), "statuses");
          connection.sent(System.nanoTime());
          logRefusals(messages.get(k).messageId(), statuses);
          outcomes[i] = SendOutcome.sent(emails.get(i), new SendResult(name(), messages.get(k).messageId(),
              statuses, 1, Duration.ofNanos(System.nanoTime() - started)));
        }
      }
      again.addAll(left);
      return again;
    } catch (RuntimeException e) {
      ProviderException failed = failures.failure(FailureKind.TRANSIENT, "SMTP send failed unexpectedly ("
          + e.getClass().getName() + ")", e);
      taken.stream().filter(i -> outcomes[i] == null).forEach(i -> outcomes[i] = SendOutcome.failed(emails.get(i), failed));
      return left;
    } finally {
      pool.release(connection, connection.link().reusable());
    }
  }

  /**
   * Renders the email for what this connection's server takes (8BITMIME: 8-bit text; SMTPUTF8:
   * UTF-8 addresses), then S/MIME and DKIM over those bytes.
   *
   * @throws ProviderException PERMANENT when it cannot be written, signed, or sent to this server
   */
  private Outgoing prepare(Email email, Email rendered, SmtpLink link) throws ProviderException {
    boolean utf8 = email.hasInternationalizedAddress();
    MimeChannel channel = link.channel(utf8);
    if (smime != null && channel == MimeChannel.EIGHT_BIT) {
      // RFC 8551 3.1.2: signed content in 7 bits, so that no relay's conversion can break the signature.
      channel = MimeChannel.SEVEN_BIT;
    }
    byte[] mime;
    try {
      mime = renderer.toEml(rendered, channel);
    } catch (MailException | IllegalArgumentException e) {
      if (e instanceof InvalidEmailException invalid) {
        throw invalid;
      }
      throw failures.failure(FailureKind.PERMANENT, "the message cannot be written as MIME ("
          + e.getClass().getSimpleName() + ")", e);
    }
    try {
      // S/MIME wraps the content; DKIM then signs what goes on the wire.
      mime = MimeSigning.apply(mime, email.recipients(), smime, dkim);
    } catch (SigningException e) {
      throw failures.failure(FailureKind.PERMANENT, "the message was not sent: it could not be signed: "
          + e.getMessage(), e);
    } catch (CertificateLookupException e) {
      throw failures.failure(FailureKind.TRANSIENT, "the message was not sent: " + e.getMessage()
          + "; sending again may succeed", e.getCause());
    }
    return new Outgoing(email.from(), email.recipients(), mime, utf8, messageId(mime));
  }

  private void logRefusals(String messageId, List<RecipientStatus> statuses) {
    if (LOG.isDebugEnabled() && statuses.stream().anyMatch(s -> !s.isAccepted())) {
      LOG.debug("SMTP provider {}: message {} sent, some recipients refused: {}", name(), messageId,
          statuses.stream().filter(s -> !s.isAccepted()).toList());
    }
  }

  /** The Message-ID header's value, which {@link MimeRenderer} writes on a line of its own. */
  private static String messageId(byte[] mime) {
    byte[] key = "\r\nMessage-ID: ".getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + key.length < mime.length; i++) {
      for (int j = 0; j < key.length; j++) {
        if (mime[i + j] != key[j]) {
          continue outer;
        }
      }
      int start = i + key.length;
      int end = start;
      while (end < mime.length && mime[end] != '\r') {
        end++;
      }
      return new String(mime, start, end - start, StandardCharsets.US_ASCII);
    }
    return "";
  }

  /**
   * Opens a new connection (connect, TLS, EHLO, AUTH), sends NOOP and QUIT, all within
   * {@code timeout}. It does not take a connection from the pool nor count against its size.
   *
   * @throws ProviderException classified like a send failure; TRANSIENT when it took too long
   */
  @Override
  public void probe(Duration timeout) throws ProviderException {
    if (closed) {
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "the provider is closed", null);
    }
    Duration connect = min(timeout, settings.connectTimeout());
    Duration read = min(timeout, settings.readTimeout());
    Duration write = min(timeout, settings.writeTimeout());
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        SmtpConnection c = connector.open(connect, read, write);
        try {
          c.link().noop();
        } finally {
          c.link().close();
        }
        done.complete(null);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }, "postline-smtp-probe-" + name());
    t.setDaemon(true);
    t.start();
    try {
      done.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw failures.failure(FailureKind.TRANSIENT, "SMTP server " + settings.address()
          + " did not complete connect, EHLO and NOOP within " + timeout, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failures.failure(FailureKind.TRANSIENT, "interrupted while probing SMTP server " + settings.address(), e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ProviderException pe) {
        throw pe;
      }
      if (cause instanceof MessagingException me) {
        throw failures.connectFailure(me, null);
      }
      throw failures.failure(FailureKind.TRANSIENT, "probing SMTP server " + settings.address() + " failed ("
          + (cause == null ? "unknown" : cause.getClass().getName()) + ")", null);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Stops taking sends, sends QUIT on every idle connection now and on busy ones as they finish. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    pool.close(scheduler::shutdown);
  }

  /** Names the provider and the server; never the password or a token. */
  @Override
  public String toString() {
    return "SmtpProvider[" + settings + (dkim == null ? "" : ", dkim=" + dkim.domains()) + "]";
  }

  /** Settings for an {@link SmtpProvider}; everything but the host has a safe default. */
  public static final class Builder {
    private String name = SCHEME;
    private @Nullable String host;
    private int port = -1;
    private @Nullable TlsMode tls;
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable OAuth2TokenSupplier oauth2;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
    private int poolSize = DEFAULT_POOL_SIZE;
    private int messagesPerConnection = DEFAULT_MESSAGES_PER_CONNECTION;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
    private Duration validateAfterIdle = DEFAULT_VALIDATE_AFTER_IDLE;
    private @Nullable String ehloName;
    private @Nullable Path trustStore;
    private char @Nullable [] trustStorePassword;
    private @Nullable String trustStoreType;
    private final List<Path> trustedCertificates = new ArrayList<>();
    private boolean tlsVerify = true;
    private long maxMessageBytes = Long.MAX_VALUE;
    private int maxRecipients = DEFAULT_MAX_RECIPIENTS;
    private boolean tagHeaders;
    private @Nullable String messageIdDomain;
    private SmtpTransport transport = SmtpTransport.POSTLINE;
    private @Nullable DkimSigner dkim;
    private @Nullable Smime smime;
    private Set<DeliveryNotify> deliveryNotify = Set.of();
    private @Nullable DeliveryReturn deliveryReturn;

    private Builder() {}

    /** The provider's name within its {@code Mailer}; {@code smtp} by default. */
    public Builder name(String name) {
      this.name = ProviderSettings.checkName(name);
      return this;
    }

    /** The server's host name or IP address. */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
        throw new IllegalArgumentException("SMTP host must be a host name or IP address, was '" + host + "'");
      }
      this.host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
      return this;
    }

    /** The port; by default 587 for STARTTLS, 465 for implicit TLS, 25 without TLS. */
    public Builder port(int port) {
      this.port = ProviderSettings.checkPort(port);
      return this;
    }

    /**
     * How the connection is protected; {@link TlsMode#STARTTLS} by default (required with
     * credentials, else used when offered). Setting STARTTLS explicitly makes it required.
     */
    public Builder tls(TlsMode tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** Logs in with AUTH PLAIN or LOGIN, whichever the server offers (PLAIN first). */
    public Builder credentials(String username, String password) {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      if (username.isEmpty()) {
        throw new IllegalArgumentException("SMTP username must not be empty");
      }
      if (oauth2 != null) {
        throw new IllegalStateException("XOAUTH2 is already set; use either credentials or xoauth2");
      }
      this.username = username;
      this.password = password;
      return this;
    }

    /**
     * Logs in with AUTH XOAUTH2, asking {@code tokens} for an access token for each new
     * connection and again, with {@code refresh} true, when the server refuses one.
     */
    public Builder xoauth2(String username, OAuth2TokenSupplier tokens) {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(tokens, "tokens");
      if (username.isEmpty()) {
        throw new IllegalArgumentException("SMTP username must not be empty");
      }
      if (password != null) {
        throw new IllegalStateException("credentials are already set; use either credentials or xoauth2");
      }
      this.username = username;
      this.oauth2 = tokens;
      return this;
    }

    /** Limit for opening a connection, TLS handshake included; 10 seconds by default. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout("connectTimeout", timeout);
      return this;
    }

    /** Limit for each server reply; 60 seconds by default. */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = timeout("readTimeout", timeout);
      return this;
    }

    /** Limit for each write to the server; 60 seconds by default. */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeout = timeout("writeTimeout", timeout);
      return this;
    }

    /** The most connections open at once; 4 by default. */
    public Builder poolSize(int size) {
      if (size < 1 || size > 1000) {
        throw new IllegalArgumentException("poolSize must be from 1 to 1000, was " + size);
      }
      this.poolSize = size;
      return this;
    }

    /** The most messages one connection sends before it is closed and replaced; 100 by default. */
    public Builder messagesPerConnection(int messages) {
      if (messages < 1) {
        throw new IllegalArgumentException("messagesPerConnection must be at least 1, was " + messages);
      }
      this.messagesPerConnection = messages;
      return this;
    }

    /** How long an unused connection stays open; 30 seconds by default. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = timeout("idleTimeout", timeout);
      return this;
    }

    /** How long a send waits for a free connection before failing TRANSIENT; 30 seconds by default. */
    public Builder acquireTimeout(Duration timeout) {
      this.acquireTimeout = timeout("acquireTimeout", timeout);
      return this;
    }

    /**
     * A connection unused for this long is checked with RSET before it is reused; 500 ms by
     * default, zero to check before every reuse.
     */
    public Builder validateAfterIdle(Duration idle) {
      Objects.requireNonNull(idle, "validateAfterIdle");
      if (idle.isNegative() || idle.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException("validateAfterIdle must be from 0 to " + MAX_TIMEOUT + ", was " + idle);
      }
      this.validateAfterIdle = idle;
      return this;
    }

    /**
     * The name this client gives in EHLO; by default the host's fully qualified name, or its
     * address literal (with a warning) when it has none.
     */
    public Builder ehloName(String name) {
      Objects.requireNonNull(name, "ehloName");
      if (name.isBlank() || name.chars().anyMatch(c -> c <= ' ' || c > '~')) {
        throw new IllegalArgumentException("ehlo name must be a host name or address literal, was '" + name + "'");
      }
      this.ehloName = name;
      return this;
    }

    /**
     * Trusts exactly the certificates in this trust store (PKCS12, or JKS by a {@code .jks}
     * name or {@code type}) instead of the JVM's authorities.
     */
    public Builder trustStore(Path path, char @Nullable [] password, @Nullable String type) {
      this.trustStore = Objects.requireNonNull(path, "path");
      this.trustStorePassword = password == null ? null : password.clone();
      this.trustStoreType = type;
      return this;
    }

    /**
     * Trusts the certificates of this PEM file (a private relay's self-signed certificate or
     * its CA) instead of the JVM's authorities; may be called for several files. Host names are
     * still verified.
     */
    public Builder trustedCertificate(Path pemFile) {
      trustedCertificates.add(Objects.requireNonNull(pemFile, "pemFile"));
      return this;
    }

    /**
     * Turns off certificate and host name verification: anyone on the network path can then read
     * and change the mail and the credentials. Logs a warning when the provider is built. For
     * tests only; prefer {@link #trustedCertificate(Path)}.
     */
    public Builder insecureSkipTlsVerification() {
      this.tlsVerify = false;
      return this;
    }

    /** The largest message; the server's SIZE, once read, lowers it. No limit of its own by default. */
    public Builder maxMessageBytes(long max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxMessageBytes must be at least 1, was " + max);
      }
      this.maxMessageBytes = max;
      return this;
    }

    /** The most recipients per message; 100 by default (the least RFC 5321 servers accept). */
    public Builder maxRecipients(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxRecipients must be at least 1, was " + max);
      }
      this.maxRecipients = max;
      return this;
    }

    /**
     * Sends tags as an {@code X-Postline-Tags} header and each metadata entry as an
     * {@code X-Postline-Meta-<key>} header; off by default, in which case emails with tags or
     * metadata are refused (recipients can read headers, so this is opt-in).
     */
    public Builder tagHeaders(boolean enabled) {
      this.tagHeaders = enabled;
      return this;
    }

    /**
     * The protocol engine: {@link SmtpTransport#POSTLINE} by default; {@link SmtpTransport#ANGUS}
     * for a server that misbehaves with pipelining (kept for one release).
     */
    public Builder transport(SmtpTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * Signs every message with DKIM: a message whose From domain has no key in {@code signer}, or
     * whose signature cannot be made, is not sent but fails {@code PERMANENT}.
     */
    public Builder dkim(DkimSigner signer) {
      this.dkim = Objects.requireNonNull(signer, "signer");
      return this;
    }

    /**
     * Signs and/or encrypts every message with S/MIME (before DKIM, which then signs the result);
     * a message that cannot be, such as one to a recipient without a certificate, fails
     * {@code PERMANENT}. Needs Bouncy Castle ({@code bcpkix-jdk18on}) on the class path.
     */
    public Builder smime(Smime smime) {
      this.smime = Objects.requireNonNull(smime, "smime");
      return this;
    }

    /**
     * Asks the receiving servers for Delivery Status Notifications (RFC 3461 {@code NOTIFY}) for
     * every recipient of every message, such as {@code EnumSet.of(FAILURE, DELAY)}; each RCPT also
     * names its recipient ({@code ORCPT}) and each MAIL the Message-ID ({@code ENVID}), so that a
     * notification can be matched to {@code SendResult.messageId()}. Sent only to a server that
     * offers DSN; for one that does not, it is left out (with one WARN) and the server's defaults
     * apply. Not asked for by default.
     *
     * @throws IllegalArgumentException if {@code NEVER} is combined with another value, or it is empty
     */
    public Builder deliveryNotify(Set<DeliveryNotify> notify) {
      Objects.requireNonNull(notify, "notify");
      if (notify.isEmpty()) {
        throw new IllegalArgumentException("deliveryNotify needs at least one of SUCCESS, FAILURE, DELAY or NEVER");
      }
      new DsnRequest(notify, null);
      this.deliveryNotify = Set.copyOf(notify);
      return this;
    }

    /**
     * How much of the message a failure notification returns (RFC 3461 {@code RET}); the server's
     * choice by default. Sent only to a server that offers DSN, like {@link #deliveryNotify}.
     */
    public Builder deliveryReturn(DeliveryReturn ret) {
      this.deliveryReturn = Objects.requireNonNull(ret, "ret");
      return this;
    }

    /** The domain of Message-IDs; the sender's domain by default. */
    public Builder messageIdDomain(String domain) {
      MimeRenderer.builder().messageIdDomain(domain);
      this.messageIdDomain = domain;
      return this;
    }

    /**
     * Builds the provider. No connection is opened until the first send or probe.
     *
     * @throws IllegalArgumentException if the host is missing or a trust file cannot be read
     */
    public SmtpProvider build() {
      if (host == null) {
        throw new IllegalArgumentException("SMTP provider needs a host: SmtpProvider.builder(\"smtp.example.org\")");
      }
      TlsMode mode = tls == null ? TlsMode.STARTTLS : tls;
      boolean required = mode == TlsMode.STARTTLS && (tls != null || username != null);
      int p = port > 0 ? port : mode == TlsMode.IMPLICIT ? DEFAULT_TLS_PORT
          : mode == TlsMode.NONE ? DEFAULT_PLAIN_PORT : DEFAULT_PORT;
      if (mode == TlsMode.NONE && (trustStore != null || !trustedCertificates.isEmpty() || !tlsVerify)) {
        throw new IllegalArgumentException("TLS trust settings make no sense with tls=none");
      }
      SSLSocketFactory sockets = tlsVerify
          ? TlsContexts.trusting(trustStore, trustStorePassword, trustStoreType, trustedCertificates)
          : TlsContexts.trustingEverything();
      SmtpSettings settings = new SmtpSettings(name, host, p, mode, required, username, password, oauth2,
          connectTimeout, readTimeout, writeTimeout, poolSize, messagesPerConnection, idleTimeout,
          acquireTimeout, validateAfterIdle, ehloName, sockets, tlsVerify, maxMessageBytes, tagHeaders,
          messageIdDomain, transport,
          deliveryNotify.isEmpty() && deliveryReturn == null ? null : new DsnRequest(deliveryNotify, deliveryReturn));
      if (mode == TlsMode.NONE && username != null) {
        LOG.warn("SMTP provider {} sends its credentials to {} in plain text (tls=none); use it only with a"
            + " relay on a trusted network", name, settings.address());
      }
      if (!tlsVerify) {
        LOG.warn("SMTP provider {} does not verify the TLS certificate or host name of {} (tlsVerify=false):"
            + " anyone on the network path can read and change its mail and credentials", name, settings.address());
      }
      return new SmtpProvider(this, settings);
    }

    private static Duration timeout(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(what + " must be positive and at most " + MAX_TIMEOUT
            + " (timeouts are never infinite), was " + d);
      }
      return d;
    }

    @Override
    public String toString() {
      return "SmtpProvider.Builder[" + name + ", " + host + "]";
    }
  }
}
