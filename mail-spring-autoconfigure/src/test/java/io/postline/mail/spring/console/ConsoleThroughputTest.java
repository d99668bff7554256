package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.event.MailEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConsoleThroughputTest {
  private final MovableClock clock = new MovableClock(Instant.parse("2026-12-02T10:00:30Z"));

  @Test
  void countsSentMessagesAndFailedAttemptsPerProviderAndMinute() {
    ConsoleThroughput t = new ConsoleThroughput(3, clock);
    t.onEvent(sent("primary"));
    t.onEvent(failed("primary"));
    t.onEvent(failed("backup"));
    clock.advance(Duration.ofMinutes(1));
    t.onEvent(sent("primary"));
    t.onEvent(sent("primary"));
    // Events that carry no provider outcome are not counted.
    t.onEvent(new MailEvent.Queued("m", clock.instant(), Optional.empty(), Priority.NORMAL, Optional.empty()));

    ConsoleThroughput.Snapshot s = t.snapshot();
    assertThat(s.minutes()).containsExactly(Instant.parse("2026-12-02T09:59:00Z"),
        Instant.parse("2026-12-02T10:00:00Z"), Instant.parse("2026-12-02T10:01:00Z"));
    assertThat(s.providers().get("primary").sent()).containsExactly(0L, 1L, 2L);
    assertThat(s.providers().get("primary").failed()).containsExactly(0L, 1L, 0L);
    assertThat(s.providers().get("backup").sent()).containsExactly(0L, 0L, 0L);
    assertThat(s.providers().get("backup").failed()).containsExactly(0L, 1L, 0L);
  }

  @Test
  void aMinuteThatLeftTheWindowIsNeitherShownNorAddedToWhenItsSlotComesRound() {
    ConsoleThroughput t = new ConsoleThroughput(2, clock);
    t.onEvent(sent("p"));
    t.onEvent(sent("p"));
    clock.advance(Duration.ofMinutes(2)); // same slot of the ring, two minutes later
    assertThat(t.snapshot().providers().get("p").sent()).containsExactly(0L, 0L);
    t.onEvent(sent("p"));
    assertThat(t.snapshot().providers().get("p").sent()).containsExactly(0L, 1L);
    clock.advance(Duration.ofHours(5));
    assertThat(t.snapshot().providers().get("p").sent()).containsExactly(0L, 0L);
  }

  @Test
  void rejectsAWindowOutOfRange() {
    assertThatThrownBy(() -> new ConsoleThroughput(0, clock)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minutes must be from 1 to 1440, was 0");
    assertThatThrownBy(() -> new ConsoleThroughput(1441, clock)).hasMessageContaining("was 1441");
  }

  private MailEvent sent(String provider) {
    return new MailEvent.Sent("m", clock.instant(), Optional.empty(), provider, "x", 1, Duration.ofMillis(3));
  }

  private MailEvent failed(String provider) {
    return new MailEvent.AttemptFailed("m", clock.instant(), Optional.empty(), provider, 1, FailureKind.TRANSIENT,
        "try later");
  }

  private static final class MovableClock extends Clock {
    private Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
