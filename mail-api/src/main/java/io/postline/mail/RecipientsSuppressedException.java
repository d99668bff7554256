package io.postline.mail;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Nothing was sent because the {@code Mailer}'s suppression list names every recipient of the
 * message (bounces, complaints, unsubscribes): no provider was called. {@link #recipients()} says
 * why for each; the kind is {@link FailureKind#RECIPIENTS_REJECTED} (retrying will not help until
 * the entries are removed or expire) and the provider is {@value #PROVIDER}.
 */
public class RecipientsSuppressedException extends SendFailedException {
  private static final long serialVersionUID = 1L;

  /** The provider name this exception and the message's {@code Failed} event give. */
  public static final String PROVIDER = "suppression-list";

  private final transient List<RecipientStatus> recipients;

  /**
   * Creates the exception.
   *
   * @param mailId the id the {@code Mailer} gave the message
   * @param recipients every recipient, each {@link RecipientStatus.Status#SUPPRESSED}
   * @throws IllegalArgumentException if the list is empty or a recipient is not suppressed
   */
  public RecipientsSuppressedException(String mailId, List<RecipientStatus> recipients) {
    super(FailureKind.RECIPIENTS_REJECTED, PROVIDER, describe(recipients), null, 0, null,
        Objects.requireNonNull(mailId, "mailId"));
    this.recipients = List.copyOf(recipients);
  }

  /** Every recipient of the message, each suppressed, with why. */
  public List<RecipientStatus> recipients() {
    return recipients;
  }

  /** Says how many and why, never who. */
  private static String describe(List<RecipientStatus> recipients) {
    if (recipients.isEmpty() || !recipients.stream().allMatch(RecipientStatus::isSuppressed)) {
      throw new IllegalArgumentException("every recipient must be suppressed, and there must be at least one");
    }
    TreeSet<String> reasons = new TreeSet<>();
    recipients.forEach(r -> r.reason().ifPresent(reasons::add));
    return "not sent: the suppression list names every recipient (" + recipients.size() + "; "
        + String.join(", ", reasons) + "); no provider was called";
  }
}
