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
  void suppressedCarriesOneOfTheKnownReasons() {
    RecipientStatus s = RecipientStatus.suppressed(ANN, "complaint");

    assertThat(s.status()).isEqualTo(RecipientStatus.Status.SUPPRESSED);
    assertThat(s.isSuppressed()).isTrue();
    assertThat(s.isAccepted()).isFalse();
    assertThat(s.reason()).contains("complaint");
    assertThat(s).hasToString("a***@example.org SUPPRESSED (complaint)");
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> RecipientStatus.suppressed(ANN, "because"))
        .withMessageContaining("hard_bounce").withMessageContaining("'because'");
  }

  @Test
  void suppressedResultsAndExceptionsSayWhyButNeverWho() {
    Address bob = Address.of("bob@example.org");
    SendResult r = new SendResult("ses", "pid", java.util.List.of(RecipientStatus.accepted(ANN),
        RecipientStatus.suppressed(bob, "hard_bounce")), 1, java.time.Duration.ZERO);
    assertThat(r.accepted()).containsExactly(ANN);
    assertThat(r.rejected()).isEmpty();
    assertThat(r.suppressed()).extracting(RecipientStatus::address).containsExactly(bob);

    RecipientsSuppressedException e = new RecipientsSuppressedException("m1", java.util.List.of(
        RecipientStatus.suppressed(ANN, "unsubscribe"), RecipientStatus.suppressed(bob, "hard_bounce")));
    assertThat(e.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(e.provider()).isEqualTo("suppression-list");
    assertThat(e.mailId()).contains("m1");
    assertThat(e.attempts()).isZero();
    assertThat(e.recipients()).hasSize(2);
    assertThat(e.getMessage()).contains("2", "hard_bounce", "unsubscribe").doesNotContain("example.org");
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> new RecipientsSuppressedException("m1", java.util.List.of(RecipientStatus.accepted(ANN))));
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> new RecipientsSuppressedException("m1", java.util.List.of()));
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
