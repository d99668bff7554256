package io.postline.mail.core;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.tck.DeliveredMessage;
import io.postline.mail.tck.MailProviderContractTest;
import java.time.Duration;
import java.util.List;

/** The in-memory provider passes the contract every provider passes. */
class InMemoryProviderContractTest extends MailProviderContractTest {
  private InMemoryProvider memory;

  @Override
  protected MailProvider createProvider() {
    memory = new InMemoryProvider("memory");
    return memory;
  }

  @Override
  protected List<DeliveredMessage> delivered() {
    return memory.sent().stream().map(e -> DeliveredMessage.of(e, true)).toList();
  }

  @Override
  protected boolean arrangeFailure(FailureKind kind, Email email) {
    if (kind == FailureKind.RECIPIENTS_REJECTED) {
      email.recipients().stream().map(Address::email).forEach(memory::reject);
    } else {
      memory.failNext(1, kind, kind == FailureKind.RATE_LIMITED ? Duration.ofSeconds(1) : null);
    }
    return true;
  }
}
