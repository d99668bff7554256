package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.postline.mail.Address;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.core.internal.InMemoryIdempotencyStore;
import io.postline.mail.event.MailEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AuditAndIdempotencyTest {
  private final MutableClock clock = MutableClock.at(Instant.parse("2026-11-22T10:00:00Z"));

  private MailEvent sent(String id) {
    return new MailEvent.Sent(id, clock.instant(), Optional.of("svc"), "primary", "<m@x>", 1, Duration.ofMillis(5));
  }

  private MailEvent sending(String id) {
    return new MailEvent.Sending(id, clock.instant(), Optional.empty(), "primary", 1);
  }

  @Test
  void theAuditLogKeepsEachMessagesEventsInOrderForItsRetention() {
    AuditLog log = AuditLog.inMemory(Duration.ofDays(1), 100, clock);
    log.record(sending("a"));
    log.record(sending("b"));
    log.record(sent("a"));

    assertThat(log.find("a")).extracting(MailEvent::type).containsExactly("sending", "sent");
    assertThat(log.find("b")).hasSize(1);
    assertThat(log.find("unknown")).isEmpty();

    clock.advance(Duration.ofHours(25));
    assertThat(log.find("a")).as("past retention").isEmpty();
  }

  @Test
  void theAuditLogIsBoundedInMessages() {
    AuditLog log = AuditLog.inMemory(Duration.ofDays(1), 10, clock);
    for (int i = 0; i < 1_000; i++) {
      log.record(sending("m" + i));
    }
    long kept = 0;
    for (int i = 0; i < 1_000; i++) {
      kept += log.find("m" + i).isEmpty() ? 0 : 1;
    }
    assertThat(kept).isLessThanOrEqualTo(20);
  }

  @Test
  void theSlf4jAuditLogWritesOneStructuredLinePerEvent() {
    Logger logger = (Logger) LoggerFactory.getLogger("io.postline.mail.audit");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      AuditLog both = AuditLog.inMemory(Duration.ofDays(1), 10, clock).andThen(AuditLog.slf4j());
      both.record(new MailEvent.AttemptFailed("id-1", clock.instant(), Optional.of("billing"), "smtp", 2,
          FailureKind.TRANSIENT, "451 try later"));

      assertThat(both.find("id-1")).hasSize(1);
      ILoggingEvent line = appender.list.get(0);
      assertThat(line.getFormattedMessage()).isEqualTo("mail attempt_failed id-1");
      assertThat(line.getKeyValuePairs()).extracting(kv -> kv.key + "=" + kv.value).contains(
          "type=attempt_failed", "mailId=id-1", "caller=billing", "provider=smtp", "attempt=2", "kind=TRANSIENT",
          "reason=451 try later");
    } finally {
      logger.detachAppender(appender);
    }
  }

  @Test
  void anIdempotencyKeyIsClaimedOnceAndKeepsTheResult() {
    IdempotencyStore store = new InMemoryIdempotencyStore(Duration.ofHours(1), 100, clock);
    assertThat(store.claim("k", "m1")).isEmpty();
    assertThat(store.claim("k", "m2")).contains(new IdempotencyStore.Claim("m1", Optional.empty()));

    SendResult result = SendResult.accepted("smtp", "<id@x>", List.of(Address.of("a@example.org")), Duration.ZERO);
    store.succeeded("k", "m2", result);
    assertThat(store.find("k")).as("only the holder records its result").contains(new IdempotencyStore.Claim("m1", Optional.empty()));
    store.succeeded("k", "m1", result);
    assertThat(store.claim("k", "m3")).contains(new IdempotencyStore.Claim("m1", Optional.of(result)));

    store.release("k", "m3");
    assertThat(store.find("k")).as("only the holder releases").isPresent();
    clock.advance(Duration.ofMinutes(61));
    assertThat(store.claim("k", "m4")).as("after the window").isEmpty();
  }

  @Test
  void aReleasedKeyCanBeClaimedAgain() {
    IdempotencyStore store = new InMemoryIdempotencyStore(Duration.ofHours(1), 100, clock);
    store.claim("k", "m1");
    store.release("k", "m1");
    assertThat(store.claim("k", "m2")).isEmpty();
  }
}
