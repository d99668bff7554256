package io.postline.mail.smtp.internal;

import io.postline.mail.RecipientStatus;
import io.postline.mail.spi.ProviderException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What became of one message of a pipelined group: each recipient's status, or the failure.
 *
 * @param statuses the recipients' statuses when the message was sent, else null
 * @param failure the classified failure when it was not, else null
 */
public record SendAttempt(@Nullable List<RecipientStatus> statuses, @Nullable ProviderException failure) {
  static SendAttempt sent(List<RecipientStatus> statuses) {
    return new SendAttempt(statuses, null);
  }

  static SendAttempt failed(ProviderException failure) {
    return new SendAttempt(null, failure);
  }

  /** The statuses, or the failure thrown. */
  public List<RecipientStatus> orThrow() throws ProviderException {
    if (failure != null) {
      throw failure;
    }
    return java.util.Objects.requireNonNull(statuses, "statuses");
  }
}
