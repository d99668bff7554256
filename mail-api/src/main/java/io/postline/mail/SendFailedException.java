package io.postline.mail;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A send ended without the message being accepted by any provider. {@link #kind()} says whether
 * trying again later can help; the message says which provider answered what.
 */
public class SendFailedException extends MailException {
  private static final long serialVersionUID = 1L;

  private final FailureKind kind;
  private final String provider;
  private final @Nullable Duration retryAfter;
  private final int attempts;
  private final @Nullable String mailId;

  /**
   * Creates the exception.
   *
   * @param kind the classification of the last failure
   * @param provider the name of the last provider tried
   * @param message what happened, without secrets or message bodies
   * @param retryAfter when the provider said to try again, if it did
   * @param attempts how many attempts were made, across all providers
   * @param cause the provider's exception, if any
   */
  public SendFailedException(
      FailureKind kind,
      String provider,
      String message,
      @Nullable Duration retryAfter,
      int attempts,
      @Nullable Throwable cause) {
    this(kind, provider, message, retryAfter, attempts, cause, null);
  }

  /**
   * Creates the exception for the message the {@code Mailer} gave {@code mailId}.
   *
   * @param kind the classification of the last failure
   * @param provider the name of the last provider tried
   * @param message what happened, without secrets or message bodies
   * @param retryAfter when the provider said to try again, if it did
   * @param attempts how many attempts were made, across all providers
   * @param cause the provider's exception, if any
   * @param mailId the message's id, to find its events with {@code mailer.audit().find(mailId)}
   */
  public SendFailedException(
      FailureKind kind,
      String provider,
      String message,
      @Nullable Duration retryAfter,
      int attempts,
      @Nullable Throwable cause,
      @Nullable String mailId) {
    super(message, cause);
    this.kind = java.util.Objects.requireNonNull(kind, "kind");
    this.provider = java.util.Objects.requireNonNull(provider, "provider");
    this.retryAfter = retryAfter;
    this.attempts = attempts;
    this.mailId = mailId;
  }

  /** The classification of the last failure. */
  public FailureKind kind() {
    return kind;
  }

  /** The name of the last provider tried. */
  public String provider() {
    return provider;
  }

  /** When the provider asked to be tried again, if it said. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** The id the {@code Mailer} gave the message, when a {@code Mailer} threw this. */
  public Optional<String> mailId() {
    return Optional.ofNullable(mailId);
  }

  /** How many attempts were made, across all providers. */
  public int attempts() {
    return attempts;
  }
}
