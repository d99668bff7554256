package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SendFailedExceptionTest {

  @Test
  void carriesKindProviderRetryAfterAttemptsAndCause() {
    IOException cause = new IOException("connection reset");
    SendFailedException e = new SendFailedException(
        FailureKind.RATE_LIMITED, "sendgrid", "429 Too Many Requests", Duration.ofSeconds(30), 4, cause);

    assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
    assertThat(e.provider()).isEqualTo("sendgrid");
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
    assertThat(e.attempts()).isEqualTo(4);
    assertThat(e).hasMessage("429 Too Many Requests").hasCause(cause).isInstanceOf(MailException.class);
  }

  @Test
  void retryAfterAndCauseAreOptional() {
    SendFailedException e = new SendFailedException(FailureKind.PERMANENT, "smtp", "554", null, 1, null);

    assertThat(e.retryAfter()).isEmpty();
    assertThat(e.getCause()).isNull();
  }

  @Test
  void kindAndProviderAreRequired() {
    assertThatNullPointerException()
        .isThrownBy(() -> new SendFailedException(null, "smtp", "m", null, 1, null)).withMessage("kind");
    assertThatNullPointerException()
        .isThrownBy(() -> new SendFailedException(FailureKind.TRANSIENT, null, "m", null, 1, null))
        .withMessage("provider");
  }
}
