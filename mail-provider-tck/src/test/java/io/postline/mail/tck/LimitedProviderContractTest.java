package io.postline.mail.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kit against a provider that lacks most features: no attachments, tags or metadata, no
 * scheduling, 5 recipients, 20 kB. The kit must expect refusals instead of skipping.
 */
class LimitedProviderContractTest extends MailProviderContractTest {
  private RecordingProvider recording;

  @Override
  protected MailProvider createProvider() {
    recording = new RecordingProvider("limited", Capabilities.builder().attachments(false).noTags().metadata(false)
        .maxRecipients(5).maxMessageBytes(20_000).build());
    return recording;
  }

  @Override
  protected List<DeliveredMessage> delivered() {
    return recording.delivered();
  }

  @Override
  protected boolean arrangeFailure(FailureKind kind, Email email) {
    if (kind == FailureKind.RECIPIENTS_REJECTED) {
      return false;
    }
    recording.failNext(kind);
    return true;
  }

  @Test
  void theKitsOwnHelpersReportWhatIsMissing() throws Exception {
    Email withTag = email().subject("s").text("t").tag("x").build();

    assertThat(assertUnsupported(withTag, "tags").problems()).containsExactly("provider limited: tags are not supported");
  }
}
