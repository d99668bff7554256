package io.postline.mail.spi;

import io.postline.mail.Email;
import io.postline.mail.SendResult;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one message of a {@link MailProvider#sendBatch(java.util.List) batch}: sent, with
 * its result, or failed, with its classified exception.
 */
public final class SendOutcome {
  private final Email email;
  private final @Nullable SendResult result;
  private final @Nullable ProviderException failure;

  private SendOutcome(Email email, @Nullable SendResult result, @Nullable ProviderException failure) {
    this.email = Objects.requireNonNull(email, "email");
    this.result = result;
    this.failure = failure;
  }

  /** The message was accepted. */
  public static SendOutcome sent(Email email, SendResult result) {
    return new SendOutcome(email, Objects.requireNonNull(result, "result"), null);
  }

  /** The message failed. */
  public static SendOutcome failed(Email email, ProviderException failure) {
    return new SendOutcome(email, null, Objects.requireNonNull(failure, "failure"));
  }

  /** The message this outcome is for. */
  public Email email() {
    return email;
  }

  /** Whether the provider accepted the message. */
  public boolean isSent() {
    return result != null;
  }

  /** The result, when sent. */
  public Optional<SendResult> result() {
    return Optional.ofNullable(result);
  }

  /** The failure, when not sent. */
  public Optional<ProviderException> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public String toString() {
    return result != null
        ? "SendOutcome[sent " + result.messageId() + "]"
        : "SendOutcome[failed " + Objects.requireNonNull(failure).kind() + "]";
  }
}
