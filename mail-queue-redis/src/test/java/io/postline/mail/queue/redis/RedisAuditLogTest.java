package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.event.MailEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RedisAuditLogTest {
  private RedisClient clientA;
  private RedisClient clientB;
  private String prefix;

  @BeforeEach
  void setUp() {
    prefix = RedisTestSupport.uniquePrefix();
    clientA = RedisTestSupport.client();
    clientB = RedisTestSupport.client();
  }

  @AfterEach
  void tearDown() {
    RedisTestSupport.cleanup(clientA, prefix);
    clientA.shutdown();
    clientB.shutdown();
  }

  private static List<MailEvent> story(String id) {
    Instant t = Instant.now();
    Optional<String> caller = Optional.of("billing");
    return List.of(
        new MailEvent.Queued(id, t, caller, Priority.HIGH, Optional.empty()),
        new MailEvent.Sending(id, t.plusMillis(1), caller, "smtp", 1),
        new MailEvent.AttemptFailed(id, t.plusMillis(2), caller, "smtp", 1, FailureKind.TRANSIENT, "421 busy"),
        new MailEvent.Sent(id, t.plusMillis(3), caller, "smtp", "<x@y>", 2, Duration.ofMillis(3)));
  }

  @Test
  void eventsRecordedInOneJvmAreFoundFromAnother() {
    try (RedisAuditLog writer = RedisAuditLog.builder(clientA).keyPrefix(prefix).build();
        RedisAuditLog reader = RedisAuditLog.builder(clientB).keyPrefix(prefix).build()) {
      List<MailEvent> events = story("m-1");
      events.forEach(writer::record);
      writer.record(story("m-2").get(0));

      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reader.find("m-1").size() == 4);
      assertThat(reader.find("m-1")).containsExactlyElementsOf(events);
      assertThat(reader.find("m-2")).hasSize(1);
      assertThat(reader.find("unknown")).isEmpty();
      assertThat(writer.dropped()).isZero();
    }
  }

  @Test
  void eventsExpireAfterTheRetentionAndAreCappedPerMessage() {
    try (RedisAuditLog log = RedisAuditLog.builder(clientA).keyPrefix(prefix).retention(Duration.ofMillis(500))
        .maxEventsPerMessage(3).build()) {
      story("m-1").forEach(log::record);

      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> log.find("m-1").size() == 3);
      assertThat(log.find("m-1").get(0)).isInstanceOf(MailEvent.Sending.class);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> log.find("m-1").isEmpty());
    }
  }

  @Test
  void encryptedEventsAreReadableWithTheKeyOnly() {
    EncryptionKeys keys = EncryptionKeys.current("a", new byte[32]);
    try (RedisAuditLog writer = RedisAuditLog.builder(clientA).keyPrefix(prefix).encryption(keys).build();
        RedisAuditLog reader = RedisAuditLog.builder(clientB).keyPrefix(prefix).encryption(keys).build();
        RedisAuditLog keyless = RedisAuditLog.builder(clientB).keyPrefix(prefix).build()) {
      story("m-1").forEach(writer::record);

      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reader.find("m-1").size() == 4);
      assertThat(keyless.find("m-1")).isEmpty();
      try (var c = clientA.connect()) {
        assertThat(c.sync().lrange(prefix + ":audit:m-1", 0, -1)).hasSize(4).noneMatch(s -> s.contains("421 busy"));
      }
    }
  }
}
