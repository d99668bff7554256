package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FailureKindTest {

  @ParameterizedTest
  @CsvSource({
      "TRANSIENT,            true,  true",
      "RATE_LIMITED,         true,  true",
      "PROVIDER_UNAVAILABLE, false, true",
      "RECIPIENTS_REJECTED,  false, false",
      "PERMANENT,            false, false",
  })
  void decidesRetryAndFailover(FailureKind kind, boolean retryable, boolean failsOver) {
    assertThat(kind.retryable()).isEqualTo(retryable);
    assertThat(kind.failsOver()).isEqualTo(failsOver);
  }

  @ParameterizedTest
  @CsvSource({"TRANSIENT", "RATE_LIMITED", "PROVIDER_UNAVAILABLE", "RECIPIENTS_REJECTED", "PERMANENT"})
  void aRetryableKindAlsoFailsOver(FailureKind kind) {
    assertThat(!kind.retryable() || kind.failsOver()).isTrue();
  }
}
