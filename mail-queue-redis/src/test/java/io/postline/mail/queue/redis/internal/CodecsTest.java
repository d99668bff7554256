package io.postline.mail.queue.redis.internal;

import io.postline.mail.queue.codec.internal.Json;
import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Address;
import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.event.MailEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CodecsTest {
  @Test
  void theFastInstantParserReadsWhatInstantToStringWritesAndLeavesTheRestToInstantParse() {
    for (String t : List.of("2026-11-30T10:15:30Z", "2026-11-30T10:15:30.123Z", "1970-01-01T00:00:00.000000001Z",
        "2024-02-29T23:59:59.999999999Z", "9999-12-31T23:59:59.5Z")) {
      assertThat(Json.parseUtc(t)).as(t).isEqualTo(Instant.parse(t));
    }
    Instant now = Instant.now();
    assertThat(Json.parseUtc(now.toString())).isEqualTo(now);
    for (String t : List.of("2026-02-30T10:15:30Z", "2026-11-30T24:00:00Z", "2026-11-30T10:15:30.Z",
        "1969-12-31T23:59:59Z", "+12026-11-30T10:15:30Z", "2026-11-30T10:15:30+01:00", "2026-11-30T1-:15:30Z")) {
      assertThat(Json.parseUtc(t)).as(t).isNull();
    }
  }

  private static final Instant NOW = Instant.now();

  @Test
  void sendResultRoundTrips() {
    SendResult result = new SendResult("smtp", "<1@x>", List.of(
        RecipientStatus.accepted(Address.of("ann@example.org", "Ann")),
        RecipientStatus.rejected(Address.of("bob@example.org"), "550 5.1.1 unknown"),
        RecipientStatus.suppressed(Address.of("cy@example.org"), "complaint")), 2, Duration.ofMillis(250));

    assertThat(SendResultJson.read(SendResultJson.write(result))).isEqualTo(result);
  }

  @Test
  void everyMailEventRoundTrips() {
    Optional<String> caller = Optional.of("billing");
    List<MailEvent> events = List.of(
        new MailEvent.Queued("m", NOW, caller, Priority.LOW, Optional.of(NOW.plusSeconds(60))),
        new MailEvent.Queued("m", NOW, Optional.empty(), Priority.HIGH, Optional.empty()),
        new MailEvent.Sending("m", NOW, caller, "smtp", 1),
        new MailEvent.AttemptFailed("m", NOW, caller, "smtp", 1, FailureKind.TRANSIENT, "421 try later"),
        new MailEvent.RetryScheduled("m", NOW, caller, "smtp", 2, Duration.ofMillis(400)),
        new MailEvent.FailedOver("m", NOW, caller, "smtp", "ses", "circuit open"),
        new MailEvent.Sent("m", NOW, caller, "ses", "0100-abc", 3, Duration.ofSeconds(2)),
        new MailEvent.Failed("m", NOW, caller, "ses", FailureKind.PERMANENT, 3, "554 rejected"),
        new MailEvent.DeadLettered("m", NOW, caller, FailureKind.RATE_LIMITED, 8, "attempts spent"),
        new MailEvent.DuplicateDropped("m2", NOW, caller, "m"),
        new MailEvent.Suppressed("m", NOW, caller, "unsubscribe", Optional.of("news")),
        new MailEvent.Suppressed("m", NOW, Optional.empty(), "hard_bounce", Optional.empty()),
        new MailEvent.Delivery("m", NOW, Optional.empty(), "ses", MailEvent.Delivery.Status.BOUNCED, Optional.of("5.1.1")));

    for (MailEvent e : events) {
      MailEvent back = MailEventJson.read(MailEventJson.write(e));
      assertThat(back).isEqualTo(e);
      assertThat(back.type()).isEqualTo(e.type());
    }
    Set<Class<?>> covered = events.stream().map(Object::getClass).collect(Collectors.toSet());
    assertThat(covered).as("a test event for every permitted record")
        .containsExactlyInAnyOrderElementsOf(Arrays.asList(MailEvent.class.getPermittedSubclasses()));
    assertThat(MailEventJson.types()).contains("attempt_failed", "duplicate_dropped");
  }

  @Test
  void anEventJsonNamesItsTypeAndLeavesOutEmptyOptionals() {
    String json = new String(MailEventJson.write(
        new MailEvent.Sending("m", Instant.parse("2030-01-01T00:00:00Z"), Optional.empty(), "smtp", 1)),
        StandardCharsets.UTF_8);

    assertThat(json).isEqualTo("{\"v\":1,\"type\":\"sending\",\"mailId\":\"m\",\"timestamp\":"
        + "\"2030-01-01T00:00:00Z\",\"provider\":\"smtp\",\"attempt\":1}");
  }
}
