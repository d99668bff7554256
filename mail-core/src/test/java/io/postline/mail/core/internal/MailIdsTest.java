package io.postline.mail.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.core.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MailIdsTest {
  private final MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
  private final MailIds ids = new MailIds(clock);

  @Test
  void idsAre26CrockfordCharactersUniqueAndMonotonicWithinOneMillisecond() {
    List<String> made = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      made.add(ids.next());
    }
    assertThat(made).allSatisfy(id -> assertThat(id).hasSize(26).matches("[0-9A-HJKMNP-TV-Z]{26}"));
    assertThat(new HashSet<>(made)).hasSize(100_000);
    assertThat(made).as("one millisecond on a clock that stands still: still strictly increasing").isSorted();
    Set<String> stamps = new HashSet<>();
    made.forEach(id -> stamps.add(id.substring(0, 10)));
    assertThat(stamps).hasSize(1);
  }

  @Test
  void idsCarryTheMailersClockAndSortByIt() {
    String first = ids.next();
    clock.advance(Duration.ofMillis(1));
    String second = ids.next();
    assertThat(first.substring(0, 10)).isLessThan(second.substring(0, 10));
    assertThat(first).isLessThan(second);
    assertThat(decodeMillis(second)).isEqualTo(clock.millis());
  }

  @Test
  void aClockThatStepsBackDoesNotBreakTheOrder() {
    clock.advance(Duration.ofSeconds(5));
    String before = ids.next();
    clock.advance(Duration.ofSeconds(-3));
    assertThat(ids.next()).isGreaterThan(before);
  }

  private static long decodeMillis(String id) {
    String alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    long v = 0;
    for (int i = 0; i < 10; i++) {
      v = v * 32 + alphabet.indexOf(id.charAt(i));
    }
    return v;
  }
}
