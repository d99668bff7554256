package io.postline.mail.tck;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import java.time.Duration;
import java.util.List;

/** The kit against a provider that supports everything: every feature must arrive. */
class FullFeaturedProviderContractTest extends MailProviderContractTest {
  private RecordingProvider recording;

  @Override
  protected MailProvider createProvider() {
    recording = new RecordingProvider("full", Capabilities.builder().scheduling(Duration.ofDays(30)).batch(100).build());
    return recording;
  }

  @Override
  protected List<DeliveredMessage> delivered() {
    return recording.delivered();
  }

  @Override
  protected boolean arrangeFailure(FailureKind kind, Email email) {
    recording.failNext(kind);
    return true;
  }
}
