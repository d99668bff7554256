package io.postline.mail.queue.redis.internal;

import io.postline.mail.queue.codec.internal.CorruptPayloadException;
import io.postline.mail.queue.codec.internal.Json;
import io.postline.mail.queue.codec.internal.QueuedMailJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Priority;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.event.MailEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

  static Email fullEmail() {
    return Email.builder()
        .from(Address.of("shop@example.org", "Shop \"Ünïcode\""))
        .to("Ann <ann@example.org>", "bob@bücher.example")
        .cc("carol@example.org").bcc("dave@example.org").replyTo("help@example.org")
        .subject("Hi ✓").text("plain").html("<p>html</p>")
        .attach(Attachment.of("report.pdf", new byte[] {0, 1, 2, (byte) 255, 42}, "application/pdf"))
        .attach(Attachment.inline("logo", "logo.png", new byte[] {9, 8, 7}, "image/png"))
        .header("X-Campaign", "spring").header("X-Other", "two")
        .tag("welcome").tag("b2b")
        .metadata("userId", "42").metadata("plan", "gold")
        .priority(Priority.HIGH)
        .sendAt(NOW.plus(2, ChronoUnit.HOURS))
        .idempotencyKey("welcome-42")
        .locale(Locale.GERMANY)
        .caller("billing-service")
        .build();
  }

  private static QueuedMail queued(Email email) {
    return new QueuedMail("m-1", email, 0, NOW, NOW, Optional.empty());
  }

  private static Email roundTrip(Email email, Instant now) {
    return QueuedMailJson.decode(QueuedMailJson.encode(queued(email)), now).email();
  }

  @Test
  void emailRoundTripsEveryPart() {
    Email email = fullEmail();

    Email back = roundTrip(email, NOW);

    assertThat(back).isEqualTo(email);
    assertThat(back.attachments().get(1).contentId()).contains("logo");
    assertThat(back.from().name()).contains("Shop \"Ünïcode\"");
    assertThat(back.sendAt()).isEqualTo(email.sendAt());
    assertThat(back.locale()).contains(Locale.GERMANY);
  }

  @Test
  void attachmentsAreBase64InTheJson() {
    String json = new String(QueuedMailJson.encode(queued(fullEmail())), StandardCharsets.UTF_8);

    assertThat(json).contains("\"data\":\"AAEC/yo=\"").contains("\"priority\":\"HIGH\"")
        .contains("\"idempotencyKey\":\"welcome-42\"").contains("\"locale\":\"de-DE\"");
  }

  @Test
  void templateEmailRoundTripsItsJsonModel() {
    Map<String, Object> model = Map.of("name", "Ann", "count", 3, "big", 12345678901L, "ratio", 0.5,
        "vip", true, "items", List.of("a", "b"), "nested", Map.of("x", "y"));
    Email email = Email.builder().from("shop@example.org").to("ann@example.org")
        .template("billing/invoice", model).build();
    Email back = roundTrip(email, NOW);

    assertThat(back.template()).isPresent();
    assertThat(back.template().get().name()).isEqualTo("billing/invoice");
    assertThat(back.template().get().model()).isEqualTo(model);
  }

  @Test
  void aTemplateModelValueThatIsNotJsonIsRefusedAtEncoding() {
    Email email = Email.builder().from("shop@example.org").to("ann@example.org")
        .template("welcome", Map.of("when", Instant.EPOCH)).build();

    assertThatThrownBy(() -> QueuedMailJson.encode(queued(email))).isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("template model.when is a java.time.Instant");
  }

  @Test
  void aSendAtLongPastIsDroppedSoThatTheEmailStillBuilds() {
    Email email = fullEmail();
    Instant muchLater = email.sendAt().orElseThrow().plus(Email.MAX_SCHEDULE_BEHIND);

    Email back = roundTrip(email, muchLater);

    assertThat(back.sendAt()).isEmpty();
    assertThat(back.toBuilder().sendAt(email.sendAt().get()).build()).isEqualTo(email);
  }

  @Test
  void queuedMailRoundTripsAndCarriesItsVersion() {
    QueuedMail mail = new QueuedMail("m-1", fullEmail(), 2, NOW, NOW.plusSeconds(5), Optional.of("corr"));

    byte[] json = QueuedMailJson.encode(mail);

    assertThat(new String(json, StandardCharsets.UTF_8)).startsWith("{\"v\":1,");
    QueuedMail back = QueuedMailJson.decode(json, NOW);
    assertThat(back).usingRecursiveComparison().isEqualTo(mail);
  }

  @Test
  void unknownVersionsAndGarbageAreRefusedWithoutEchoingTheContent() {
    byte[] v2 = "{\"v\":2,\"id\":\"secret-content\"}".getBytes(StandardCharsets.UTF_8);
    byte[] noVersion = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    byte[] garbage = "not json secret-content".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> QueuedMailJson.decode(v2, NOW)).isInstanceOf(CorruptPayloadException.class)
        .hasMessageContaining("format version 2").hasMessageNotContaining("secret-content");
    assertThatThrownBy(() -> QueuedMailJson.decode(noVersion, NOW)).hasMessageContaining("no format version");
    assertThatThrownBy(() -> QueuedMailJson.decode(garbage, NOW)).isInstanceOf(CorruptPayloadException.class)
        .hasMessageNotContaining("secret-content");
  }

  @Test
  void sendResultRoundTrips() {
    SendResult result = new SendResult("smtp", "<1@x>", List.of(
        RecipientStatus.accepted(Address.of("ann@example.org", "Ann")),
        RecipientStatus.rejected(Address.of("bob@example.org"), "550 5.1.1 unknown")), 2, Duration.ofMillis(250));

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
        new MailEvent.DuplicateDropped("m2", NOW, caller, "m"));

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
