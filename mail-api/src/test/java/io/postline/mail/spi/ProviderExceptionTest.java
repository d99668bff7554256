package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Address;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProviderExceptionTest {

  @Test
  void ofCarriesKindProviderAndMessageOnly() {
    ProviderException e = ProviderException.of(FailureKind.TRANSIENT, "smtp", "421 4.3.2 try again later");

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.provider()).isEqualTo("smtp");
    assertThat(e).hasMessage("421 4.3.2 try again later").hasNoCause();
    assertThat(e.code()).isEmpty();
    assertThat(e.retryAfter()).isEmpty();
    assertThat(e.recipients()).isEmpty();
  }

  @Test
  void builderCarriesEveryDetail() {
    IOException cause = new IOException("reset");
    RecipientStatus rejected = RecipientStatus.rejected(Address.of("ann@example.org"), "550 5.1.1");

    ProviderException e = ProviderException.builder(FailureKind.RATE_LIMITED, "sendgrid", "429 Too Many Requests")
        .code("429")
        .retryAfter(Duration.ofSeconds(60))
        .cause(cause)
        .recipients(List.of(rejected))
        .build();

    assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
    assertThat(e.code()).contains("429");
    assertThat(e.retryAfter()).contains(Duration.ofSeconds(60));
    assertThat(e).hasCause(cause);
    assertThat(e.recipients()).containsExactly(rejected);
  }

  @Test
  void isChecked() {
    assertThat(ProviderException.of(FailureKind.PERMANENT, "p", "m"))
        .isInstanceOf(Exception.class)
        .isNotInstanceOf(RuntimeException.class);
  }

  @Test
  void retryAfterMayBeZeroOrNullButNotNegative() {
    assertThat(ProviderException.builder(FailureKind.RATE_LIMITED, "p", "m").retryAfter(Duration.ZERO).build()
        .retryAfter()).contains(Duration.ZERO);
    assertThat(ProviderException.builder(FailureKind.RATE_LIMITED, "p", "m").retryAfter(null).build()
        .retryAfter()).isEmpty();
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProviderException.builder(FailureKind.RATE_LIMITED, "p", "m").retryAfter(Duration.ofSeconds(-1)))
        .withMessageContaining("must not be negative");
  }

  @Test
  void recipientsAreCopied() {
    List<RecipientStatus> list = new ArrayList<>();
    list.add(RecipientStatus.rejected(Address.of("a@example.org"), "550"));
    ProviderException e = ProviderException.builder(FailureKind.RECIPIENTS_REJECTED, "p", "m").recipients(list).build();

    list.clear();

    assertThat(e.recipients()).hasSize(1);
    assertThatThrownBy(() -> e.recipients().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void requiredArguments() {
    assertThatNullPointerException().isThrownBy(() -> ProviderException.of(null, "p", "m")).withMessage("kind");
    assertThatNullPointerException().isThrownBy(() -> ProviderException.of(FailureKind.TRANSIENT, null, "m"))
        .withMessage("provider");
    assertThatNullPointerException().isThrownBy(() -> ProviderException.of(FailureKind.TRANSIENT, "p", null))
        .withMessage("message");
    assertThatNullPointerException()
        .isThrownBy(() -> ProviderException.builder(FailureKind.TRANSIENT, "p", "m").code(null));
  }
}
