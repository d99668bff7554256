package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SendResultTest {
  private static final Address ANN = Address.of("ann@example.org");
  private static final Address BOB = Address.of("bob@example.org");

  @Test
  void acceptedMarksEveryRecipientAcceptedInOneAttempt() {
    SendResult r = SendResult.accepted("smtp", "<id@example.org>", List.of(ANN, BOB), Duration.ofMillis(12));

    assertThat(r.provider()).isEqualTo("smtp");
    assertThat(r.messageId()).isEqualTo("<id@example.org>");
    assertThat(r.attempts()).isEqualTo(1);
    assertThat(r.duration()).isEqualTo(Duration.ofMillis(12));
    assertThat(r.recipients()).containsExactly(RecipientStatus.accepted(ANN), RecipientStatus.accepted(BOB));
    assertThat(r.accepted()).containsExactly(ANN, BOB);
    assertThat(r.rejected()).isEmpty();
  }

  @Test
  void splitsAcceptedAndRejectedRecipientsInOrder() {
    Address carol = Address.of("carol@example.org");
    SendResult r = new SendResult("smtp", "id", List.of(
        RecipientStatus.rejected(ANN, "550 5.1.1 unknown user"),
        RecipientStatus.accepted(BOB),
        RecipientStatus.rejected(carol, "552 mailbox full")), 1, Duration.ZERO);

    assertThat(r.accepted()).containsExactly(BOB);
    assertThat(r.rejected()).extracting(RecipientStatus::address).containsExactly(ANN, carol);
    assertThat(r.rejected()).extracting(s -> s.reason().orElseThrow())
        .containsExactly("550 5.1.1 unknown user", "552 mailbox full");
  }

  @Test
  void withAttemptsKeepsEverythingElse() {
    SendResult first = SendResult.accepted("ses", "m-1", List.of(ANN), Duration.ofMillis(5));

    SendResult total = first.withAttempts(3, Duration.ofSeconds(2));

    assertThat(total.attempts()).isEqualTo(3);
    assertThat(total.duration()).isEqualTo(Duration.ofSeconds(2));
    assertThat(total.provider()).isEqualTo("ses");
    assertThat(total.messageId()).isEqualTo("m-1");
    assertThat(total.recipients()).isEqualTo(first.recipients());
    assertThat(first.attempts()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void attemptsMustBeAtLeastOne(int attempts) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new SendResult("smtp", "id", List.of(), attempts, Duration.ZERO))
        .withMessage("attempts must be at least 1, was " + attempts);
  }

  @Test
  void copiesTheRecipientList() {
    List<RecipientStatus> list = new ArrayList<>(List.of(RecipientStatus.accepted(ANN)));
    SendResult r = new SendResult("smtp", "id", list, 1, Duration.ZERO);

    list.add(RecipientStatus.accepted(BOB));

    assertThat(r.recipients()).hasSize(1);
    assertThatThrownBy(() -> r.recipients().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void rejectsNulls() {
    assertThatNullPointerException().isThrownBy(() -> new SendResult(null, "id", List.of(), 1, Duration.ZERO));
    assertThatNullPointerException().isThrownBy(() -> new SendResult("p", null, List.of(), 1, Duration.ZERO));
    assertThatNullPointerException().isThrownBy(() -> new SendResult("p", "id", null, 1, Duration.ZERO));
    assertThatNullPointerException().isThrownBy(() -> new SendResult("p", "id", List.of(), 1, null));
  }

  @Test
  void toStringMasksRecipients() {
    SendResult r = SendResult.accepted("smtp", "id-1", List.of(ANN), Duration.ZERO);

    assertThat(r.toString()).contains("smtp", "id-1", "a***@example.org").doesNotContain("ann@");
  }

  @Test
  void equality() {
    assertThat(SendResult.accepted("p", "id", List.of(ANN), Duration.ZERO))
        .isEqualTo(SendResult.accepted("p", "id", List.of(ANN), Duration.ZERO))
        .isNotEqualTo(SendResult.accepted("p", "id2", List.of(ANN), Duration.ZERO));
  }
}
