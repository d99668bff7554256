package io.postline.mail.tck;

import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A reference provider for the kit's own tests: records what it is given, fails when told to. */
final class RecordingProvider implements MailProvider {
  private final String name;
  private final Capabilities capabilities;
  private final List<Email> sent = new ArrayList<>();
  private @Nullable FailureKind nextFailure;

  RecordingProvider(String name, Capabilities capabilities) {
    this.name = name;
    this.capabilities = capabilities;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public synchronized SendResult send(Email email) throws ProviderException {
    capabilities.check(email, name);
    FailureKind failure = nextFailure;
    nextFailure = null;
    if (failure != null) {
      List<RecipientStatus> statuses = failure == FailureKind.RECIPIENTS_REJECTED
          ? email.recipients().stream().map(a -> RecipientStatus.rejected(a, "550 5.1.1 no such user")).toList()
          : List.of();
      throw ProviderException.builder(failure, name, "recording provider '" + name + "' told to fail: " + failure)
          .code("test").recipients(statuses).build();
    }
    sent.add(email);
    return SendResult.accepted(name, "<" + sent.size() + "@recording>", email.recipients(), Duration.ZERO);
  }

  synchronized void failNext(FailureKind kind) {
    nextFailure = kind;
  }

  /** What was sent, as a peer would report it. */
  synchronized List<DeliveredMessage> delivered() {
    List<DeliveredMessage> out = new ArrayList<>();
    for (Email e : sent) {
      out.add(DeliveredMessage.of(e, capabilities.scheduling()));
    }
    return out;
  }

  @Override
  public String toString() {
    return "RecordingProvider[" + name + "]";
  }
}
