package io.postline.mail.feedback;

import io.postline.mail.MailException;
import java.util.Objects;

/**
 * A webhook request was refused; nothing was read or remembered from it. The message says which
 * check failed and never quotes the request (no signature, token, key or address).
 */
public final class WebhookRejectedException extends MailException {
  private static final long serialVersionUID = 1L;

  /** Which check refused the request. */
  public enum Reason {
    /** A header or field the scheme needs is missing, or the body is not what the provider sends. */
    MALFORMED,
    /** The signature does not match the body with the configured key or certificate. */
    BAD_SIGNATURE,
    /** The signed timestamp is outside the configured tolerance. */
    STALE,
    /**
     * The same signed request (SendGrid timestamp and body, Mailgun token, SNS message id) was
     * already accepted and its events applied: answer 2xx.
     */
    REPLAYED,
    /**
     * The same signed request is being processed right now (a provider's retry arrived while the
     * first delivery's handler was still running) and may yet fail: answer 5xx, so the provider
     * sends it again later, when it is either applied ({@link #REPLAYED}) or forgotten (accepted).
     */
    IN_PROGRESS,
    /** The SNS signing certificate URL is not HTTPS on an {@code sns.<region>.amazonaws.com} host with a {@code .pem} path. */
    UNTRUSTED_CERTIFICATE_URL,
    /** The SNS signing certificate could not be fetched or read. */
    CERTIFICATE_UNAVAILABLE,
    /** The SNS topic is not in the allowlist. */
    UNKNOWN_TOPIC,
    /**
     * An SNS subscription confirmation arrived and confirming is not enabled, or its SubscribeURL
     * is not on an SNS host. (A confirmation whose GET fails is not refused: {@code verify} throws a
     * {@code MailException}, and the MessageId is forgotten so SNS's retry is accepted.)
     */
    SUBSCRIPTION_NOT_CONFIRMED,
    /** The body is larger than the configured limit. */
    TOO_LARGE
  }

  private final String provider;
  private final Reason reason;

  /** A refusal by {@code provider} for {@code reason}, with a detail that quotes nothing from the request. */
  public WebhookRejectedException(String provider, Reason reason, String detail) {
    super(provider + " webhook refused (" + reason + "): " + detail);
    this.provider = Objects.requireNonNull(provider, "provider");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The provider whose verifier refused the request. */
  public String provider() {
    return provider;
  }

  /** Which check failed. */
  public Reason reason() {
    return reason;
  }
}
