package io.postline.mail.ses.internal;

import io.postline.mail.FailureKind;
import io.postline.mail.spi.HttpFailures;
import io.postline.mail.spi.NetworkFailures;
import io.postline.mail.spi.ProviderException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sesv2.model.AccountSuspendedException;
import software.amazon.awssdk.services.sesv2.model.BadRequestException;
import software.amazon.awssdk.services.sesv2.model.LimitExceededException;
import software.amazon.awssdk.services.sesv2.model.MailFromDomainNotVerifiedException;
import software.amazon.awssdk.services.sesv2.model.MessageRejectedException;
import software.amazon.awssdk.services.sesv2.model.NotFoundException;
import software.amazon.awssdk.services.sesv2.model.SendingPausedException;
import software.amazon.awssdk.services.sesv2.model.TooManyRequestsException;

/**
 * Classifies what the AWS SDK threw for a {@code SendEmail} call.
 *
 * <table>
 *   <caption>SES answer to FailureKind</caption>
 *   <tr><th>answer</th><th>kind</th></tr>
 *   <tr><td>TooManyRequests, any throttling error</td><td>RATE_LIMITED, retry after {@code Retry-After} if sent</td></tr>
 *   <tr><td>LimitExceeded (daily quota)</td><td>PROVIDER_UNAVAILABLE, retry after the configured quota wait</td></tr>
 *   <tr><td>AccountSuspended, SendingPaused, MailFromDomainNotVerified, NotFound</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>HTTP 401/403 (bad or expired credentials, access denied), credentials not found</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>MessageRejected, BadRequest, other 4xx</td><td>PERMANENT</td></tr>
 *   <tr><td>unreachable: connection refused, unknown host, TLS handshake or untrusted certificate
 *       ({@link NetworkFailures})</td><td>PROVIDER_UNAVAILABLE</td></tr>
 *   <tr><td>5xx, I/O error, timeout, other client errors</td><td>TRANSIENT</td></tr>
 * </table>
 */
public final class SesErrors {
  private static final Pattern EMAIL = Pattern.compile("([A-Za-z0-9._%+'-])[A-Za-z0-9._%+'-]*@([A-Za-z0-9.-]+)");
  private static final Set<String> CREDENTIAL_CODES = Set.of(
      "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch",
      "ExpiredToken", "ExpiredTokenException", "AccessDeniedException", "AccessDenied", "MissingAuthenticationToken",
      "IncompleteSignature");

  /** Where the SDK's TLS trust comes from, for the advice on an untrusted certificate. */
  private static final String JVM_TRUST = "the JVM's trust store (javax.net.ssl.trustStore)";

  private SesErrors() {}

  /**
   * The classified exception for what the SDK threw.
   *
   * @param provider the provider's name
   * @param e what the SDK threw
   * @param secrets credentials to scrub from anything quoted
   * @param quotaRetryAfter the wait to suggest when the daily quota is spent
   * @param timeout the call timeout, for the message
   * @param now the current time, for an HTTP-date {@code Retry-After}
   */
  public static ProviderException failure(String provider, SdkException e, List<String> secrets,
      Duration quotaRetryAfter, Duration timeout, Instant now) {
    if (e instanceof AwsServiceException ase) {
      return serviceFailure(provider, ase, secrets, quotaRetryAfter, now);
    }
    FailureKind kind = FailureKind.TRANSIENT;
    String code = "I/O";
    String what;
    String advice = "retrying may help";
    Optional<String> unreachable = NetworkFailures.unreachable(e, JVM_TRUST);
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException || readTimedOut(e)) {
      what = "no answer within the timeout of " + timeout.toMillis() + " ms";
    } else if (unreachable.isPresent()) {
      kind = FailureKind.PROVIDER_UNAVAILABLE;
      what = quote(unreachable.get(), secrets);
      advice = "retrying will not help soon, another provider may";
    } else if (String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("credentials")) {
      kind = FailureKind.PROVIDER_UNAVAILABLE;
      code = "credentials";
      what = "no AWS credentials: " + quote(String.valueOf(e.getMessage()), secrets);
      advice = "set credentials in the DSN (ses://ACCESS_KEY:SECRET@default) or for the SDK's default chain;"
          + " retrying will not help, another provider may";
    } else {
      Throwable io = e.getCause() instanceof IOException ? e.getCause() : e;
      what = "I/O error " + io.getClass().getSimpleName() + " (" + quote(String.valueOf(io.getMessage()), secrets) + ")";
    }
    return ProviderException.builder(kind, provider, "SES provider '" + provider + "': " + what + "; " + advice)
        .code(code)
        .cause(e)
        .build();
  }

  /**
   * The socket's read timeout and the SDK's call timeout are the same length; whichever fires
   * first, it is the same event for the caller.
   */
  private static boolean readTimedOut(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof java.net.SocketTimeoutException && !(c instanceof java.net.ConnectException)
          && !String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).contains("connect")) {
        return true;
      }
    }
    return false;
  }

  private static ProviderException serviceFailure(String provider, AwsServiceException e, List<String> secrets,
      Duration quotaRetryAfter, Instant now) {
    AwsErrorDetails details = e.awsErrorDetails();
    String code = details == null || details.errorCode() == null ? "" : details.errorCode();
    int status = e.statusCode();
    String message = details == null || details.errorMessage() == null ? "" : details.errorMessage();
    String detail = HttpFailures.excerpt(mask(HttpFailures.scrub(message, secrets)));
    FailureKind kind;
    Duration retryAfter = null;
    String advice;
    if (e instanceof TooManyRequestsException || e.isThrottlingException()) {
      kind = FailureKind.RATE_LIMITED;
      retryAfter = retryAfter(details, now);
      advice = retryAfter == null ? "rate limited, retrying later may help"
          : "rate limited, retrying after " + retryAfter.toSeconds() + "s may help";
    } else if (e instanceof LimitExceededException) {
      kind = FailureKind.PROVIDER_UNAVAILABLE;
      retryAfter = quotaRetryAfter;
      advice = "the sending quota is spent: this provider cannot send until it frees up (suggested wait "
          + quotaRetryAfter.toMinutes() + " min), another provider may";
    } else if (e instanceof AccountSuspendedException || e instanceof SendingPausedException
        || e instanceof MailFromDomainNotVerifiedException || e instanceof NotFoundException
        || status == 401 || status == 403 || CREDENTIAL_CODES.contains(code)) {
      kind = FailureKind.PROVIDER_UNAVAILABLE;
      advice = "the account, identity, credentials or configuration set is not usable: retrying will not help,"
          + " another provider may";
    } else if (e instanceof MessageRejectedException || e instanceof BadRequestException
        || status >= 400 && status < 500) {
      kind = FailureKind.PERMANENT;
      advice = "the message was refused: retrying will not help";
    } else {
      kind = FailureKind.TRANSIENT;
      advice = "retrying may help";
    }
    StringBuilder m = new StringBuilder("SES provider '").append(provider).append("': SES answered HTTP ").append(status);
    if (!code.isEmpty()) {
      m.append(' ').append(code);
    }
    if (!detail.isEmpty()) {
      m.append(" (").append(detail).append(')');
    }
    m.append("; ").append(advice);
    return ProviderException.builder(kind, provider, m.toString())
        .code(code.isEmpty() ? "HTTP " + status : code)
        .retryAfter(retryAfter)
        .cause(scrubbed(e, secrets))
        .build();
  }

  /**
   * The SDK's exception when its message holds no secret, else a stand-in naming its class: the
   * cause chain is part of what a caller may log.
   */
  private static Throwable scrubbed(SdkException e, List<String> secrets) {
    String message = String.valueOf(e.getMessage());
    for (String secret : secrets) {
      if (!secret.isEmpty() && message.contains(secret)) {
        return new IllegalStateException(e.getClass().getName() + " (message withheld: it quoted a credential)");
      }
    }
    return e;
  }

  private static @Nullable Duration retryAfter(@Nullable AwsErrorDetails details, Instant now) {
    if (details == null || details.sdkHttpResponse() == null) {
      return null;
    }
    return details.sdkHttpResponse().firstMatchingHeader("Retry-After")
        .flatMap(value -> HttpFailures.parseRetryAfter(value, now))
        .orElse(null);
  }

  /** The start of a text fit for a message, credentials scrubbed. */
  private static String quote(String text, List<String> secrets) {
    return HttpFailures.excerpt(HttpFailures.scrub(text, secrets));
  }

  /** Email addresses in SES's text masked like {@code a***@example.org}. */
  static String mask(String text) {
    Matcher m = EMAIL.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + "***@" + m.group(2)));
    }
    m.appendTail(out);
    return out.toString();
  }
}
