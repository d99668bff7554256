package io.postline.mail.queue.codec.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.core.QueuedMail;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The queued message's JSON on its own: every part round-trips, and what it refuses. */
class QueuedMailJsonTest {
  private static final Instant NOW = QueuedMailJsonCompatibilityTest.NOW;

  static Email fullEmail() {
    return QueuedMailJsonCompatibilityTest.emails().get(0);
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
    assertThat(back.from().name()).contains("Shop \"Ünïcode\" \\ </script>");
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
    byte[] v3 = "{\"v\":3,\"id\":\"secret-content\"}".getBytes(StandardCharsets.UTF_8);
    byte[] noVersion = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    byte[] garbage = "not json secret-content".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> QueuedMailJson.decode(v3, NOW)).isInstanceOf(CorruptPayloadException.class)
        .hasMessageContaining("format version 3").hasMessageNotContaining("secret-content");
    assertThatThrownBy(() -> QueuedMailJson.decode(noVersion, NOW)).hasMessageContaining("no format version");
    assertThatThrownBy(() -> QueuedMailJson.decode(garbage, NOW)).isInstanceOf(CorruptPayloadException.class)
        .hasMessageNotContaining("secret-content");
  }

}
