package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecipientStatusTest {
  private static final Address ANN = Address.of("ann@example.org", "Ann");

  @Test
  void accepted() {
    RecipientStatus s = RecipientStatus.accepted(ANN);

    assertThat(s.address()).isEqualTo(ANN);
    assertThat(s.status()).isEqualTo(RecipientStatus.Status.ACCEPTED);
    assertThat(s.isAccepted()).isTrue();
    assertThat(s.reason()).isEmpty();
  }

  @Test
  void rejectedCarriesTheReason() {
    RecipientStatus s = RecipientStatus.rejected(ANN, "550 5.1.1 user unknown");

    assertThat(s.status()).isEqualTo(RecipientStatus.Status.REJECTED);
    assertThat(s.isAccepted()).isFalse();
    assertThat(s.reason()).contains("550 5.1.1 user unknown");
  }

  @Test
  void toStringMasksTheAddress() {
    assertThat(RecipientStatus.accepted(ANN)).hasToString("a***@example.org ACCEPTED");
    assertThat(RecipientStatus.rejected(ANN, "550 mailbox full"))
        .hasToString("a***@example.org REJECTED (550 mailbox full)");
  }

  @Test
  void equality() {
    assertThat(RecipientStatus.rejected(ANN, "x"))
        .isEqualTo(new RecipientStatus(ANN, RecipientStatus.Status.REJECTED, Optional.of("x")))
        .isNotEqualTo(RecipientStatus.rejected(ANN, "y"))
        .isNotEqualTo(RecipientStatus.accepted(ANN));
  }

  @Test
  void rejectsNulls() {
    assertThatNullPointerException().isThrownBy(() -> RecipientStatus.accepted(null));
    assertThatNullPointerException().isThrownBy(() -> RecipientStatus.rejected(ANN, null));
    assertThatNullPointerException()
        .isThrownBy(() -> new RecipientStatus(ANN, null, Optional.empty()));
    assertThatNullPointerException()
        .isThrownBy(() -> new RecipientStatus(ANN, RecipientStatus.Status.ACCEPTED, null));
  }
}
