package io.postline.mail.spi;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A way of sending email: SMTP, an HTTP API, or memory. Implementations are thread-safe; one
 * instance serves every send of a {@code Mailer} and is closed with it.
 *
 * <p>A provider sends exactly the {@link Email} it is given: templates are already rendered and
 * the email is already valid. It classifies every failure with a
 * {@link io.postline.mail.FailureKind} in a {@link ProviderException}; retries, failover and
 * rate limits are the caller's business, so a provider never retries by itself.
 */
public interface MailProvider extends AutoCloseable {

  /** The provider's name within its {@code Mailer}, used in results, events and metrics. */
  String name();

  /** What this provider can send; the caller checks an email against it before sending. */
  Capabilities capabilities();

  /**
   * Sends one message.
   *
   * @return the provider's message id and the status of each recipient
   * @throws ProviderException classified, with the provider's own code where it gave one
   */
  SendResult send(Email email) throws ProviderException;

  /**
   * Sends several messages, in as few requests as the provider allows (see
   * {@link Capabilities#batch()}), chunking by {@link Capabilities#maxBatchSize()}. One message's
   * failure does not stop the others. The default sends them one by one; a
   * {@link RuntimeException} from {@link #send(Email)} becomes a
   * {@link FailureKind#PERMANENT PERMANENT} failure of that message, so that the outcomes of the
   * messages already sent are not lost.
   *
   * @return one outcome per email, in the same order
   */
  default List<SendOutcome> sendBatch(List<Email> emails) {
    List<SendOutcome> outcomes = new ArrayList<>(emails.size());
    for (Email email : emails) {
      try {
        outcomes.add(SendOutcome.sent(email, send(email)));
      } catch (ProviderException e) {
        outcomes.add(SendOutcome.failed(email, e));
      } catch (RuntimeException e) {
        outcomes.add(SendOutcome.failed(email, ProviderException.builder(FailureKind.PERMANENT, name(),
            "unclassified " + e.getClass().getName() + " from the provider").cause(e).build()));
      }
    }
    return outcomes;
  }

  /**
   * Checks actively that the provider could send now (an SMTP connect and NOOP, an API call
   * that costs nothing), within {@code timeout}. The default does nothing: a provider without an
   * active check is judged by its recent sends alone.
   *
   * @throws ProviderException if the check fails, classified like a send failure
   */
  default void probe(Duration timeout) throws ProviderException {}

  /** Releases connections and threads. Sends after {@code close()} fail. */
  @Override
  default void close() {}
}
