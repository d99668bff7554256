package io.postline.mail.spi;

import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A provider could not send a message, classified. Checked, so that every provider decides what
 * each of its failures means; the caller turns it into retries, failover or a
 * {@link io.postline.mail.SendFailedException}.
 *
 * <p>The message must say what the provider answered (an SMTP reply, an API error text) and
 * never hold a credential or the message body.
 */
public class ProviderException extends Exception {
  private static final long serialVersionUID = 1L;

  private final FailureKind kind;
  private final String provider;
  private final @Nullable String code;
  private final @Nullable Duration retryAfter;
  private final List<RecipientStatus> recipients;

  private ProviderException(Builder b) {
    super(b.message, b.cause);
    this.kind = b.kind;
    this.provider = b.provider;
    this.code = b.code;
    this.retryAfter = b.retryAfter;
    this.recipients = List.copyOf(b.recipients);
  }

  /**
   * Starts a classified exception.
   *
   * @param kind what the failure means for retries and failover
   * @param provider the provider's name
   * @param message what the provider answered, without secrets or bodies
   */
  public static Builder builder(FailureKind kind, String provider, String message) {
    return new Builder(kind, provider, message);
  }

  /** A classified exception with no further detail. */
  public static ProviderException of(FailureKind kind, String provider, String message) {
    return builder(kind, provider, message).build();
  }

  /**
   * The failure of a send to a provider that was closed: {@link FailureKind#PROVIDER_UNAVAILABLE},
   * so that another provider may send.
   *
   * @param service the service's display name, such as {@code SendGrid}
   * @param provider the provider's name
   */
  public static ProviderException closed(String service, String provider) {
    return of(FailureKind.PROVIDER_UNAVAILABLE, provider,
        service + " provider '" + provider + "' is closed; another provider may send");
  }

  /** What the failure means for retries and failover. */
  public FailureKind kind() {
    return kind;
  }

  /** The provider's name. */
  public String provider() {
    return provider;
  }

  /** The provider's own code: an SMTP reply such as {@code 550 5.1.1}, an HTTP status, an API error. */
  public Optional<String> code() {
    return Optional.ofNullable(code);
  }

  /** When the provider asked to be tried again, if it said. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** Per-recipient statuses, when the provider refused recipients one by one. */
  public List<RecipientStatus> recipients() {
    return recipients;
  }

  /** Builds a {@link ProviderException}. */
  public static final class Builder {
    private final FailureKind kind;
    private final String provider;
    private final String message;
    private @Nullable String code;
    private @Nullable Duration retryAfter;
    private @Nullable Throwable cause;
    private List<RecipientStatus> recipients = List.of();

    private Builder(FailureKind kind, String provider, String message) {
      this.kind = Objects.requireNonNull(kind, "kind");
      this.provider = Objects.requireNonNull(provider, "provider");
      this.message = Objects.requireNonNull(message, "message");
    }

    /** The provider's own code (SMTP reply, HTTP status, API error code). */
    public Builder code(String code) {
      this.code = Objects.requireNonNull(code, "code");
      return this;
    }

    /** When the provider asked to be tried again. */
    public Builder retryAfter(@Nullable Duration retryAfter) {
      if (retryAfter != null && retryAfter.isNegative()) {
        throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
      }
      this.retryAfter = retryAfter;
      return this;
    }

    /** The underlying exception. */
    public Builder cause(@Nullable Throwable cause) {
      this.cause = cause;
      return this;
    }

    /** Per-recipient statuses. */
    public Builder recipients(List<RecipientStatus> recipients) {
      this.recipients = List.copyOf(recipients);
      return this;
    }

    /** Builds the exception. */
    public ProviderException build() {
      return new ProviderException(this);
    }
  }
}
