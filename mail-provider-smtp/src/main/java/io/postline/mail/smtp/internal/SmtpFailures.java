package io.postline.mail.smtp.internal;

import io.postline.mail.Address;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.spi.NetworkFailures;
import io.postline.mail.spi.ProviderException;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.internet.InternetAddress;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.jspecify.annotations.Nullable;

/**
 * Turns what Angus Mail throws into classified {@link ProviderException}s. The rules, in order:
 *
 * <ul>
 *   <li>timeouts (connect timeouts included), dropped connections, other I/O errors: TRANSIENT;
 *   <li>a server that cannot be reached at all (connection refused, unknown host, no route; see
 *       {@link NetworkFailures}): PROVIDER_UNAVAILABLE, saying what to check;
 *   <li>TLS failures (handshake, untrusted certificate, host name mismatch, STARTTLS required but
 *       not offered): PROVIDER_UNAVAILABLE, naming the trust options;
 *   <li>530, 534, 535, 538 (authentication) anywhere, and a refused AUTH: PROVIDER_UNAVAILABLE;
 *       454 (temporary authentication or TLS failure): TRANSIENT;
 *   <li>an enhanced code X.2.2 (mailbox full), even on a 5xx: TRANSIENT;
 *   <li>4xx with an enhanced code 4.7.x, or a text about rate limits: RATE_LIMITED;
 *   <li>other 4xx (421, 450, 451, 452, ...): TRANSIENT;
 *   <li>5xx while connecting (greeting, EHLO, STARTTLS): PROVIDER_UNAVAILABLE;
 *   <li>every recipient refused: RECIPIENTS_REJECTED when all refusals are 5xx, else TRANSIENT
 *       (or RATE_LIMITED when every temporary refusal is a throttle);
 *   <li>other 5xx (MAIL FROM, DATA, end of data): PERMANENT.
 * </ul>
 *
 * The reply code and enhanced code go into {@link ProviderException#code()}, the reply text into
 * the message, cleaned by the {@link Redactor}. Only network and TLS exceptions are kept as
 * causes: Angus's own exceptions carry reply texts with unmasked addresses.
 */
public final class SmtpFailures {
  private static final Set<Integer> AUTH_CODES = Set.of(530, 534, 535, 538);
  private static final int MAX_TEXT = 400;
  /** The options that decide which certificates are trusted, named in the advice for TLS failures. */
  static final String TRUST_SETTINGS = "the options trustedCertificate=/path/ca.pem or trustStore=/path/store.p12"
      + " (without them, the JVM's trust store)";
  private static final Pattern RETRY_IN = Pattern.compile(
      "(?i)\\b(?:in|after|wait|for)\\s+(\\d{1,6})\\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?)\\b");

  private final String provider;
  private final String server;
  private final Redactor redactor;

  /**
   * @param provider the provider's name
   * @param server {@code host:port}, for messages
   */
  public SmtpFailures(String provider, String server, Redactor redactor) {
    this.provider = provider;
    this.server = server;
    this.redactor = redactor;
  }

  /** Classifies a failure to open a connection (connect, TLS, EHLO, AUTH). */
  public ProviderException connectFailure(Exception e, @Nullable SMTPTransport transport) {
    Throwable timeout = find(e, SocketTimeoutException.class);
    if (timeout != null) {
      return build(FailureKind.TRANSIENT, "timed out connecting to SMTP server " + server
          + " (" + timeout.getMessage() + ")", null, null, timeout);
    }
    Optional<String> unreachable = NetworkFailures.unreachable(e, TRUST_SETTINGS);
    if (unreachable.isPresent()) {
      Throwable cause = find(e, IOException.class);
      return build(FailureKind.PROVIDER_UNAVAILABLE, "cannot connect to SMTP server " + server + ": "
          + unreachable.get(), null, null, cause);
    }
    Throwable tls = find(e, SSLException.class);
    if (tls == null) {
      tls = find(e, GeneralSecurityException.class);
    }
    if (tls != null) {
      return build(FailureKind.PROVIDER_UNAVAILABLE, "TLS with SMTP server " + server + " failed: "
          + rootMessage(tls) + "; check that the server speaks TLS on this port, and the trust settings, "
          + TRUST_SETTINGS, null, null, tls);
    }
    String message = String.valueOf(e.getMessage());
    if (message.contains("STARTTLS is required")) {
      return startTlsNotOffered();
    }
    if (e instanceof AuthenticationFailedException) {
      Optional<SmtpReply> reply = SmtpReply.find(e.getMessage());
      if (reply.isPresent()) {
        return authFailure(reply.get());
      }
      return build(FailureKind.PROVIDER_UNAVAILABLE, "SMTP server " + server + " refused the login: " + message,
          null, null, null);
    }
    Throwable io = find(e, IOException.class);
    if (io != null) {
      return build(FailureKind.TRANSIENT, "cannot connect to SMTP server " + server + ": " + rootMessage(io),
          null, null, io);
    }
    if (transport != null && transport.getLastReturnCode() == -1 || "[EOF]".equals(message)) {
      return build(FailureKind.TRANSIENT, "SMTP server " + server + " closed the connection while connecting",
          null, null, null);
    }
    Optional<SmtpReply> reply = transport != null && transport.getLastReturnCode() >= 100
        ? SmtpReply.parse(transport.getLastServerResponse()) : Optional.empty();
    if (reply.isEmpty()) {
      reply = SmtpReply.find(message);
    }
    if (reply.isPresent()) {
      return sessionRefused(reply.get());
    }
    return build(FailureKind.TRANSIENT, "cannot connect to SMTP server " + server + ": " + message,
        null, null, null);
  }

  /** The server answered the greeting, EHLO/HELO or STARTTLS with something other than success. */
  public ProviderException sessionRefused(SmtpReply r) {
    if (r.isConnectionLost()) {
      return build(FailureKind.TRANSIENT, "SMTP server " + server + " closed the connection while connecting",
          null, r, null);
    }
    FailureKind kind = AUTH_CODES.contains(r.code()) ? FailureKind.PROVIDER_UNAVAILABLE
        : r.code() == 454 ? FailureKind.TRANSIENT
        : r.isTransient() ? temporaryKind(r)
        : FailureKind.PROVIDER_UNAVAILABLE;
    return build(kind, "SMTP server " + server + " refused the session: " + r, r.providerCode(), r, null);
  }

  /** STARTTLS is required (credentials, or tls=starttls given) and the server does not offer it. */
  public ProviderException startTlsNotOffered() {
    return build(FailureKind.PROVIDER_UNAVAILABLE, "SMTP server " + server
        + " does not offer STARTTLS, which is required (credentials are set or tls=starttls was"
        + " given); use tls=implicit for port 465, or tls=none only for a trusted local relay",
        null, null, null);
  }

  /** The server refused AUTH: for now (4xx, TRANSIENT) or for good (PROVIDER_UNAVAILABLE). */
  public ProviderException authFailure(SmtpReply r) {
    if (r.isTransient() || r.isConnectionLost()) {
      return build(FailureKind.TRANSIENT, "SMTP server " + server + " could not log in for now: " + r,
          r.isConnectionLost() ? null : r.providerCode(), r, null);
    }
    return build(FailureKind.PROVIDER_UNAVAILABLE, "SMTP server " + server + " refused the login: " + r
        + "; check the user name and password (or token)", r.providerCode(), r, null);
  }

  /** The connection ended or failed while a message was under way. */
  public ProviderException lost(@Nullable IOException io) {
    if (io instanceof SocketTimeoutException) {
      return build(FailureKind.TRANSIENT, "timed out waiting for SMTP server " + server, null, null, io);
    }
    return build(FailureKind.TRANSIENT, "connection to SMTP server " + server + " was lost"
        + (io != null ? ": " + rootMessage(io) : ""), null, null, io);
  }

  /**
   * The recipients' statuses when the server accepted the message for some recipients and refused
   * others; empty when {@code e} is not such a partial success.
   */
  public Optional<List<RecipientStatus>> partialSuccess(MessagingException e, List<Address> recipients) {
    if (!(e instanceof SMTPSendFailedException sf) || sf.getReturnCode() < 200 || sf.getReturnCode() >= 300) {
      return Optional.empty();
    }
    jakarta.mail.Address[] sent = sf.getValidSentAddresses();
    if (sent == null || sent.length == 0) {
      return Optional.empty();
    }
    Map<String, SmtpReply> refused = refusals(e);
    List<RecipientStatus> statuses = new ArrayList<>(recipients.size());
    for (Address a : recipients) {
      SmtpReply r = refused.get(key(a.asciiEmail()));
      statuses.add(r == null ? RecipientStatus.accepted(a) : RecipientStatus.rejected(a, clean(r.toString())));
    }
    return Optional.of(statuses);
  }

  /** Classifies a failed send on an open connection. */
  public ProviderException sendFailure(MessagingException e, List<Address> recipients) {
    Throwable timeout = find(e, SocketTimeoutException.class);
    if (timeout != null) {
      return build(FailureKind.TRANSIENT, "timed out waiting for SMTP server " + server, null, null, timeout);
    }
    if (e instanceof SendFailedException && !(e instanceof SMTPSendFailedException)
        && !(e instanceof SMTPSenderFailedException)) {
      Map<String, SmtpReply> refused = refusals(e);
      if (!refused.isEmpty()) {
        return everyRecipientRefused(refused, recipients);
      }
    }
    Optional<SmtpReply> reply = replyOf(e);
    if (reply.isEmpty() || reply.get().isConnectionLost()) {
      Throwable io = find(e, IOException.class);
      if (io != null || reply.isPresent()) {
        return build(FailureKind.TRANSIENT, "connection to SMTP server " + server + " was lost"
            + (io != null ? ": " + rootMessage(io) : ""), null, null, io);
      }
      return build(FailureKind.PERMANENT, "SMTP send failed: " + e.getMessage(), null, null, null);
    }
    return replyFailure(step(e), reply.get());
  }

  /**
   * The server refused a step of a message with this reply.
   *
   * @param step what was refused, such as {@code the sender (MAIL FROM)}
   */
  public ProviderException replyFailure(String step, SmtpReply r) {
    FailureKind kind;
    if (AUTH_CODES.contains(r.code())) {
      kind = FailureKind.PROVIDER_UNAVAILABLE;
    } else if (r.isMailboxFull()) {
      kind = FailureKind.TRANSIENT;
    } else if (r.isTransient()) {
      kind = temporaryKind(r);
    } else if (r.isPermanent()) {
      kind = FailureKind.PERMANENT;
    } else {
      kind = FailureKind.TRANSIENT; // an unexpected 2xx or 3xx: out of step, retry on a new connection
    }
    return build(kind, "SMTP server " + server + " refused " + step + ": " + r, r.providerCode(), r, null);
  }

  private static String step(MessagingException e) {
    String command = e instanceof SMTPSendFailedException s ? s.getCommand()
        : e instanceof SMTPSenderFailedException s ? s.getCommand() : null;
    String verb = command == null ? "" : command.toUpperCase(Locale.ROOT);
    if (e instanceof SMTPSenderFailedException || verb.startsWith("MAIL")) {
      return "the sender (MAIL FROM)";
    }
    if (verb.equals("DATA")) {
      return "the message (DATA)";
    }
    if (verb.equals(".")) {
      return "the message (end of DATA)";
    }
    return "the message";
  }

  /** A classified failure that comes from neither Angus nor the server. */
  public ProviderException failure(FailureKind kind, String message, @Nullable Throwable cause) {
    return build(kind, message, null, null, cause);
  }

  /**
   * Every recipient was refused.
   *
   * @param refused each refused recipient's reply, by lower-case ASCII address
   */
  public ProviderException everyRecipientRefused(Map<String, SmtpReply> refused, List<Address> recipients) {
    List<RecipientStatus> statuses = new ArrayList<>();
    boolean temporary = false;
    boolean allThrottled = true;
    SmtpReply first = null;
    StringBuilder detail = new StringBuilder();
    for (Address a : recipients) {
      SmtpReply r = refused.get(key(a.asciiEmail()));
      if (r == null) {
        r = new SmtpReply(-1, null, "not tried: the server refused the other recipients");
      } else {
        first = first == null ? r : first;
        boolean temp = r.isTransient() || r.isMailboxFull();
        temporary |= temp;
        if (temp) {
          allThrottled &= !r.isMailboxFull() && temporaryKind(r) == FailureKind.RATE_LIMITED;
        }
        if (detail.length() < MAX_TEXT) {
          detail.append(detail.length() == 0 ? "" : "; ").append(a.masked()).append(": ").append(r);
        }
      }
      statuses.add(RecipientStatus.rejected(a, clean(r.toString())));
    }
    // Every refusal a 5.7.x (policy: authentication, relaying, sender): the client is refused, not
    // the recipients, so another provider may deliver.
    boolean clientRefused = !temporary && refused.values().stream().allMatch(SmtpReply::isPolicy);
    FailureKind kind = clientRefused ? FailureKind.PROVIDER_UNAVAILABLE
        : !temporary ? FailureKind.RECIPIENTS_REJECTED
        : allThrottled ? FailureKind.RATE_LIMITED : FailureKind.TRANSIENT;
    String message = "SMTP server " + server + " refused every recipient" + (temporary ? " for now" : "")
        + ": " + detail + (clientRefused ? "; a policy refusal (5.7.x) is about this client, not the"
        + " recipients: check the provider's credentials and that it may relay for this sender" : "");
    Duration wait = first != null && kind.retryable() ? retryAfter(first) : null;
    ProviderException.Builder b = ProviderException.builder(kind, provider, say(kind, message, wait))
        .recipients(statuses);
    if (first != null) {
      b.code(first.providerCode());
      b.retryAfter(wait);
    }
    return b.build();
  }

  private static FailureKind temporaryKind(SmtpReply r) {
    return (r.isPolicy() && r.code() != 454) || r.soundsLikeThrottling()
        ? FailureKind.RATE_LIMITED : FailureKind.TRANSIENT;
  }

  private ProviderException build(FailureKind kind, String message, @Nullable String code,
      @Nullable SmtpReply reply, @Nullable Throwable cause) {
    Duration wait = reply != null && kind.retryable() ? retryAfter(reply) : null;
    ProviderException.Builder b = ProviderException.builder(kind, provider, say(kind, message, wait));
    if (code != null) {
      b.code(code);
    }
    b.retryAfter(wait);
    if (cause != null && !(cause instanceof MessagingException)) {
      b.cause(cause);
    }
    return b.build();
  }

  /** The message with the provider's name first and what the kind means for retrying last. */
  private String say(FailureKind kind, String message, @Nullable Duration wait) {
    String consequence = switch (kind) {
      case TRANSIENT -> "retrying may help";
      // Only a wait the server gave is promised; otherwise the retry policy's backoff decides.
      case RATE_LIMITED -> wait != null
          ? "the server asks to slow down: retry after " + wait.toSeconds() + "s"
          : "the server asks to slow down without saying for how long: retry later, with backoff";
      case PROVIDER_UNAVAILABLE -> "this provider cannot send until that is fixed: fail over";
      case RECIPIENTS_REJECTED, PERMANENT -> "retrying will not help";
    };
    return "SMTP provider '" + provider + "': " + clean(message) + "; " + consequence;
  }

  /** When the reply text says when to come back ("try again in 60 seconds"). */
  static @Nullable Duration retryAfter(SmtpReply reply) {
    Matcher m = RETRY_IN.matcher(reply.text());
    if (!m.find()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    Duration d = unit.startsWith("h") ? Duration.ofHours(n)
        : unit.startsWith("m") ? Duration.ofMinutes(n) : Duration.ofSeconds(n);
    return d.compareTo(Duration.ofDays(1)) > 0 ? Duration.ofDays(1) : d;
  }

  /** The text with secrets removed, addresses masked, on one line and cut when long. */
  public String clean(String text) {
    String s = redactor.clean(text).replace('\n', ' ').replace('\r', ' ');
    return s.length() > MAX_TEXT * 2 ? s.substring(0, MAX_TEXT * 2) + "..." : s;
  }

  private static Map<String, SmtpReply> refusals(MessagingException e) {
    Map<String, SmtpReply> refused = new LinkedHashMap<>();
    Exception next = e;
    int depth = 0;
    while (next != null && depth++ < 10_000) {
      if (next instanceof SMTPAddressFailedException af) {
        InternetAddress ia = af.getAddress();
        SmtpReply r = SmtpReply.parse(af.getMessage())
            .orElse(new SmtpReply(af.getReturnCode(), null, String.valueOf(af.getMessage())));
        refused.putIfAbsent(key(ia.getAddress()), r);
      }
      next = next instanceof MessagingException me ? me.getNextException() : null;
    }
    return refused;
  }

  private static Optional<SmtpReply> replyOf(MessagingException e) {
    if (e instanceof SMTPSendFailedException s) {
      return Optional.of(SmtpReply.parse(s.getMessage())
          .orElse(s.getReturnCode() < 100 ? SmtpReply.connectionLost()
              : new SmtpReply(s.getReturnCode(), null, String.valueOf(s.getMessage()))));
    }
    if (e instanceof SMTPSenderFailedException s) {
      return Optional.of(SmtpReply.parse(s.getMessage())
          .orElse(s.getReturnCode() < 100 ? SmtpReply.connectionLost()
              : new SmtpReply(s.getReturnCode(), null, String.valueOf(s.getMessage()))));
    }
    if (e instanceof SMTPAddressFailedException s) {
      return Optional.of(SmtpReply.parse(s.getMessage())
          .orElse(new SmtpReply(s.getReturnCode(), null, String.valueOf(s.getMessage()))));
    }
    if (find(e, IOException.class) != null) {
      return Optional.empty();
    }
    return SmtpReply.find(e.getMessage());
  }

  private static String key(String ascii) {
    return ascii.toLowerCase(Locale.ROOT);
  }

  /** The first throwable of {@code type} in the cause chain (Angus's next exceptions included). */
  static @Nullable Throwable find(Throwable e, Class<? extends Throwable> type) {
    Throwable t = e;
    for (int i = 0; t != null && i < 20; i++) {
      if (type.isInstance(t)) {
        return t;
      }
      t = t.getCause() == t ? null : t.getCause();
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    for (int i = 0; root.getCause() != null && root.getCause() != root && i < 20; i++) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
