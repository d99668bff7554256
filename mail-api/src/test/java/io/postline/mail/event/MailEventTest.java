package io.postline.mail.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MailEventTest {
  private static final Instant NOW = Instant.parse("2025-01-01T10:00:00Z");
  private static final Optional<String> CALLER = Optional.of("billing-service");

  static Stream<Arguments> everyEvent() {
    return Stream.of(
        Arguments.of(new MailEvent.Queued("m1", NOW, CALLER, Priority.HIGH, Optional.empty()), "queued"),
        Arguments.of(new MailEvent.Sending("m1", NOW, CALLER, "smtp", 1), "sending"),
        Arguments.of(new MailEvent.AttemptFailed("m1", NOW, CALLER, "smtp", 1, FailureKind.TRANSIENT, "421"),
            "attempt_failed"),
        Arguments.of(new MailEvent.RetryScheduled("m1", NOW, CALLER, "smtp", 2, Duration.ofSeconds(1)),
            "retry_scheduled"),
        Arguments.of(new MailEvent.FailedOver("m1", NOW, CALLER, "smtp", "ses", "circuit open"), "failed_over"),
        Arguments.of(new MailEvent.Sent("m1", NOW, CALLER, "ses", "pid", 3, Duration.ofMillis(80)), "sent"),
        Arguments.of(new MailEvent.Failed("m1", NOW, CALLER, "ses", FailureKind.PERMANENT, 3, "554"), "failed"),
        Arguments.of(new MailEvent.DeadLettered("m1", NOW, CALLER, FailureKind.PERMANENT, 3, "554"), "dead_lettered"),
        Arguments.of(new MailEvent.DuplicateDropped("m2", NOW, Optional.empty(), "m1"), "duplicate_dropped"),
        Arguments.of(new MailEvent.Suppressed("m1", NOW, CALLER, "hard_bounce", Optional.of("news")), "suppressed"),
        Arguments.of(new MailEvent.Delivery("m1", NOW, Optional.empty(), "ses", MailEvent.Delivery.Status.BOUNCED,
            Optional.of("5.1.1")), "delivery"));
  }

  @ParameterizedTest
  @MethodSource("everyEvent")
  void typeIsTheSnakeCaseName(MailEvent event, String type) {
    assertThat(event.type()).isEqualTo(type);
  }

  @ParameterizedTest
  @MethodSource("everyEvent")
  void everyEventCarriesIdTimeAndCaller(MailEvent event, String type) {
    assertThat(event.mailId()).isNotBlank();
    assertThat(event.timestamp()).isEqualTo(NOW);
    assertThat(event.caller()).isNotNull();
  }

  @Test
  void everyPermittedSubclassIsCovered() {
    List<String> covered = everyEvent().map(a -> a.get()[0].getClass().getSimpleName()).toList();
    List<String> permitted = new ArrayList<>();
    for (Class<?> c : MailEvent.class.getPermittedSubclasses()) {
      permitted.add(c.getSimpleName());
    }

    assertThat(covered).containsExactlyInAnyOrderElementsOf(permitted);
  }

  @Test
  void eventsAreValues() {
    assertThat(new MailEvent.Sending("m1", NOW, CALLER, "smtp", 1))
        .isEqualTo(new MailEvent.Sending("m1", NOW, CALLER, "smtp", 1))
        .isNotEqualTo(new MailEvent.Sending("m1", NOW, CALLER, "smtp", 2));
  }

  static Stream<Arguments> nullComponents() {
    Optional<String> c = CALLER;
    return Stream.of(
        nulls("Queued.mailId", () -> new MailEvent.Queued(null, NOW, c, Priority.LOW, Optional.empty())),
        nulls("Queued.timestamp", () -> new MailEvent.Queued("m", null, c, Priority.LOW, Optional.empty())),
        nulls("Queued.caller", () -> new MailEvent.Queued("m", NOW, null, Priority.LOW, Optional.empty())),
        nulls("Queued.priority", () -> new MailEvent.Queued("m", NOW, c, null, Optional.empty())),
        nulls("Queued.sendAt", () -> new MailEvent.Queued("m", NOW, c, Priority.LOW, null)),
        nulls("Sending.provider", () -> new MailEvent.Sending("m", NOW, c, null, 1)),
        nulls("Sending.mailId", () -> new MailEvent.Sending(null, NOW, c, "p", 1)),
        nulls("AttemptFailed.provider", () -> new MailEvent.AttemptFailed("m", NOW, c, null, 1, FailureKind.TRANSIENT, "r")),
        nulls("AttemptFailed.kind", () -> new MailEvent.AttemptFailed("m", NOW, c, "p", 1, null, "r")),
        nulls("AttemptFailed.reason", () -> new MailEvent.AttemptFailed("m", NOW, c, "p", 1, FailureKind.TRANSIENT, null)),
        nulls("RetryScheduled.provider", () -> new MailEvent.RetryScheduled("m", NOW, c, null, 2, Duration.ZERO)),
        nulls("RetryScheduled.delay", () -> new MailEvent.RetryScheduled("m", NOW, c, "p", 2, null)),
        nulls("FailedOver.fromProvider", () -> new MailEvent.FailedOver("m", NOW, c, null, "b", "r")),
        nulls("FailedOver.toProvider", () -> new MailEvent.FailedOver("m", NOW, c, "a", null, "r")),
        nulls("FailedOver.reason", () -> new MailEvent.FailedOver("m", NOW, c, "a", "b", null)),
        nulls("Sent.provider", () -> new MailEvent.Sent("m", NOW, c, null, "id", 1, Duration.ZERO)),
        nulls("Sent.providerMessageId", () -> new MailEvent.Sent("m", NOW, c, "p", null, 1, Duration.ZERO)),
        nulls("Sent.duration", () -> new MailEvent.Sent("m", NOW, c, "p", "id", 1, null)),
        nulls("Failed.provider", () -> new MailEvent.Failed("m", NOW, c, null, FailureKind.PERMANENT, 1, "r")),
        nulls("Failed.kind", () -> new MailEvent.Failed("m", NOW, c, "p", null, 1, "r")),
        nulls("Failed.reason", () -> new MailEvent.Failed("m", NOW, c, "p", FailureKind.PERMANENT, 1, null)),
        nulls("DeadLettered.kind", () -> new MailEvent.DeadLettered("m", NOW, c, null, 1, "r")),
        nulls("DeadLettered.reason", () -> new MailEvent.DeadLettered("m", NOW, c, FailureKind.PERMANENT, 1, null)),
        nulls("DeadLettered.timestamp", () -> new MailEvent.DeadLettered("m", null, c, FailureKind.PERMANENT, 1, "r")),
        nulls("DuplicateDropped.originalMailId", () -> new MailEvent.DuplicateDropped("m", NOW, c, null)),
        nulls("DuplicateDropped.caller", () -> new MailEvent.DuplicateDropped("m", NOW, null, "o")),
        nulls("Suppressed.reason", () -> new MailEvent.Suppressed("m", NOW, c, null, Optional.empty())),
        nulls("Suppressed.list", () -> new MailEvent.Suppressed("m", NOW, c, "complaint", null)),
        nulls("Delivery.provider", () -> new MailEvent.Delivery("m", NOW, c, null, MailEvent.Delivery.Status.DELIVERED,
            Optional.empty())),
        nulls("Delivery.status", () -> new MailEvent.Delivery("m", NOW, c, "ses", null, Optional.empty())),
        nulls("Delivery.smtpStatus", () -> new MailEvent.Delivery("m", NOW, c, "ses",
            MailEvent.Delivery.Status.DELIVERED, null)));
  }

  private static Arguments nulls(String component, ThrowingCallable create) {
    return Arguments.of(component, create);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nullComponents")
  void nullComponentsAreRefusedByName(String component, ThrowingCallable create) {
    assertThatNullPointerException().isThrownBy(create).withMessage(component.substring(component.indexOf('.') + 1));
  }

  @Test
  void aListenerIsAFunctionalInterface() {
    List<String> seen = new ArrayList<>();
    MailListener listener = e -> seen.add(e.type() + ":" + e.mailId());

    listener.onEvent(new MailEvent.Queued("m1", NOW, Optional.empty(), Priority.NORMAL, Optional.of(NOW)));
    listener.onEvent(new MailEvent.Sent("m1", NOW, Optional.empty(), "smtp", "id", 1, Duration.ZERO));

    assertThat(seen).containsExactly("queued:m1", "sent:m1");
  }
}
