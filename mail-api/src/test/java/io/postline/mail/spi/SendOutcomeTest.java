package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SendOutcomeTest {
  private static final Email EMAIL = Email.builder().from("a@example.org").to("ann@example.org")
      .subject("Secret subject").text("Secret body").build();

  @Test
  void sent() {
    SendResult result = SendResult.accepted("smtp", "id-1", EMAIL.recipients(), Duration.ZERO);

    SendOutcome o = SendOutcome.sent(EMAIL, result);

    assertThat(o.isSent()).isTrue();
    assertThat(o.email()).isSameAs(EMAIL);
    assertThat(o.result()).contains(result);
    assertThat(o.failure()).isEmpty();
    assertThat(o).hasToString("SendOutcome[sent id-1]");
  }

  @Test
  void failed() {
    ProviderException failure = ProviderException.of(FailureKind.PERMANENT, "smtp", "554 rejected");

    SendOutcome o = SendOutcome.failed(EMAIL, failure);

    assertThat(o.isSent()).isFalse();
    assertThat(o.result()).isEmpty();
    assertThat(o.failure()).containsSame(failure);
    assertThat(o).hasToString("SendOutcome[failed PERMANENT]");
  }

  @Test
  void toStringLeavesOutTheEmail() {
    assertThat(SendOutcome.failed(EMAIL, ProviderException.of(FailureKind.TRANSIENT, "p", "m")).toString())
        .doesNotContain("Secret", "ann@");
  }

  @Test
  void requiresItsParts() {
    assertThatNullPointerException().isThrownBy(() -> SendOutcome.sent(EMAIL, null));
    assertThatNullPointerException().isThrownBy(() -> SendOutcome.failed(EMAIL, null));
    assertThatNullPointerException().isThrownBy(
        () -> SendOutcome.failed(null, ProviderException.of(FailureKind.TRANSIENT, "p", "m")));
  }
}
