package io.postline.mail.queue.codec.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.Priority;
import io.postline.mail.core.QueuedMail;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming codec against the previous release's tree-model codec (a frozen copy,
 * {@link PreviousQueuedMailJson}): it writes the same bytes, so a JVM still on the previous
 * release reads its payloads during a rolling upgrade, and it reads what the previous release
 * wrote.
 */
class QueuedMailJsonCompatibilityTest {
  static final Instant NOW = Instant.parse("2026-12-02T05:00:00.123456Z");

  static List<Email> emails() {
    Email full = Email.builder()
        .from(Address.of("shop@example.org", "Shop \"Ünïcode\" \\ </script>"))
        .to("Ann <ann@example.org>", "bob@bücher.example")
        .cc("carol@example.org").bcc("dave@example.org").replyTo("help@example.org")
        .subject("Hi ✓ 😀").text("plain\r\nline two\t\u0000?").html("<p>html \u2028 &amp; \"quotes\"</p>")
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
    Map<String, Object> model = Map.of("name", "Ann", "count", 3, "big", 12345678901L, "ratio", 0.5,
        "vip", true, "items", List.of("a", "b"), "nested", Map.of("x", "y", "deep", List.of(1, 2.25)));
    Email template = Email.builder().from("shop@example.org").to("ann@example.org")
        .template("billing/invoice", model).locale(Locale.forLanguageTag("pt-BR")).build();
    Email minimal = Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build();
    return List.of(full, template, minimal);
  }

  static List<QueuedMail> mails() {
    List<Instant> instants = List.of(NOW, Instant.parse("2026-01-01T00:00:00Z"),
        Instant.parse("2030-06-30T23:59:59.5Z"), Instant.parse("2026-11-30T10:15:30.000000001Z"));
    List<Email> emails = emails();
    return List.of(
        new QueuedMail("m-1", emails.get(0), 2, instants.get(0), instants.get(1), Optional.of("corr")),
        new QueuedMail("m-2", emails.get(1), 0, instants.get(2), instants.get(3), Optional.empty()),
        new QueuedMail("m-3", emails.get(2), 7, instants.get(3), instants.get(0), Optional.of("c/ü")));
  }

  @Test
  void theStreamingWriterWritesTheBytesThePreviousWriterWrote() {
    for (QueuedMail mail : mails()) {
      assertThat(new String(QueuedMailJson.encode(mail), StandardCharsets.UTF_8)).as(mail.id())
          .isEqualTo(new String(PreviousQueuedMailJson.encode(mail), StandardCharsets.UTF_8));
    }
  }

  @Test
  void longBodiesWithEscapesAreWrittenAsThePreviousWriterWroteThemAndReadBack() {
    String line = "Item 1: \"notebook\", dotted \\ 120 pages\t... 12.90 EUR <a href=\"/x?a=1&b=2\">x</a>\r\n";
    List<String> bodies = List.of(
        line.repeat(60),                                  // printable ASCII, CR LF, tab, quotes, backslash
        line.repeat(30) + "Grüße, ✓ 😀\r\n" + line,       // non-ASCII after a long ASCII run
        line.repeat(30) + "bell \u0007 and \u2028" + line, // other control and separator characters
        "x".repeat(255), "y".repeat(256), "\"".repeat(300), "\r\n".repeat(200));
    Instant now = Instant.parse("2026-12-02T10:00:00Z");
    int i = 0;
    for (String text : bodies) {
      for (String html : bodies) {
        Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text(text)
            .html(html).build();
        QueuedMail mail = new QueuedMail("long-" + i++, email, 0, now, now, Optional.empty());
        byte[] written = QueuedMailJson.encode(mail);
        assertThat(new String(written, StandardCharsets.UTF_8)).as(mail.id())
            .isEqualTo(new String(PreviousQueuedMailJson.encode(mail), StandardCharsets.UTF_8));
        assertThat(QueuedMailJson.decode(written, now).email()).isEqualTo(email);
      }
    }
  }

  @Test
  void aBatchIsEncodedAsEachMessageAloneWithTheSharedBodyEncodedOnce() {
    Email group = Email.builder().from("shop@example.org").subject("Sale ✓").text("x".repeat(5000))
        .html("<p>\"hi\"</p>").attach(Attachment.of("a.txt", new byte[] {1, 2, 3}, "text/plain"))
        .header("X-Campaign", "sale").tag("sale").metadata("wave", "1").idempotencyKey("sale-1").build();
    Email templated = Email.builder().from("shop@example.org").template("sale/notice", Map.of("k", "v"))
        .idempotencyKey("sale-2").build();
    List<QueuedMail> batch = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Address to = Address.of("r" + i + "@example.org");
      Email copy = i < 5 ? group.forRecipient(io.postline.mail.Recipient.of(to, Map.of()))
          : templated.forRecipient(io.postline.mail.Recipient.of(to, i == 6 ? Map.of("k", "own") : Map.of()));
      batch.add(new QueuedMail("g-" + i, copy, 0, NOW, NOW, Optional.empty()));
    }
    // Different bodies between and after the copies.
    batch.add(2, mails().get(0));
    batch.addAll(mails());

    List<byte[]> encoded = QueuedMailJson.encodeAll(batch);

    assertThat(encoded).hasSize(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      assertThat(new String(encoded.get(i), StandardCharsets.UTF_8)).as(batch.get(i).id())
          .isEqualTo(new String(PreviousQueuedMailJson.encode(batch.get(i)), StandardCharsets.UTF_8));
    }
  }

  @Test
  void thePreviousReaderReadsWhatTheNewWriterWrites() {
    for (QueuedMail mail : mails()) {
      QueuedMail back = PreviousQueuedMailJson.decode(QueuedMailJson.encode(mail), NOW);
      assertThat(back).as(mail.id()).usingRecursiveComparison().isEqualTo(mail);
    }
  }

  @Test
  void theNewReaderReadsWhatThePreviousWriterWrote() {
    for (QueuedMail mail : mails()) {
      QueuedMail back = QueuedMailJson.decode(PreviousQueuedMailJson.encode(mail), NOW);
      assertThat(back).as(mail.id()).usingRecursiveComparison().isEqualTo(mail);
    }
  }

  @Test
  void theNewReaderReadsOlderShapesFieldsInAnyOrderAndSkipsUnknownFields() {
    // Empty lists and nulls as an earlier writer left them, the email before the id, a field it
    // does not know.
    String json = "{\"email\":{\"priority\":\"LOW\",\"to\":[{\"email\":\"ann@example.org\"}],\"cc\":[],"
        + "\"bcc\":[],\"replyTo\":[],\"subject\":\"Old\",\"text\":\"line one\\r\\nline two\","
        + "\"attachments\":[],\"html\":null,\"future\":{\"a\":[1,{\"b\":null}]},"
        + "\"from\":{\"name\":\"Shop\",\"email\":\"shop@example.org\"}},\"v\":1,\"id\":\"old\","
        + "\"attempts\":1,\"enqueuedAt\":\"2026-11-30T10:15:30.123Z\",\"dueAt\":\"2026-11-30T10:15:30+00:00\","
        + "\"correlationId\":null}";

    QueuedMail back = QueuedMailJson.decode(json.getBytes(StandardCharsets.UTF_8), NOW);

    assertThat(back.id()).isEqualTo("old");
    assertThat(back.correlationId()).isEmpty();
    assertThat(back.dueAt()).isEqualTo(Instant.parse("2026-11-30T10:15:30Z"));
    assertThat(back.email().priority()).isEqualTo(Priority.LOW);
    assertThat(back.email().from().name()).contains("Shop");
    assertThat(back.email().text()).contains("line one\r\nline two");
    assertThat(back.email().html()).isEmpty();
  }

  @Test
  void brokenPayloadsAreRefusedWithoutEchoingTheirContent() {
    for (String json : List.of("{\"v\":1,\"id\":\"secret\",\"attempts\":0,\"enqueuedAt\":\"x\",\"dueAt\":\"x\"}",
        "{\"v\":1,\"id\":\"m\",\"attempts\":\"one\",\"email\":{}}", "[\"secret\"]", "{\"v\":\"1\"}",
        "{\"v\":1,\"id\":\"m\",\"attempts\":0,\"enqueuedAt\":\"2026-11-30T10:15:30Z\",\"dueAt\":"
            + "\"2026-11-30T10:15:30Z\",\"email\":{\"from\":{\"email\":\"secret@example.org\"},\"priority\":\"LOW\","
            + "\"attachments\":[{\"fileName\":\"a\",\"contentType\":\"text/plain\",\"data\":\"*secret*\"}]}}",
        "{\"v\":1,\"email\":{\"from\":{\"email\":\"not an address secret\"},\"priority\":\"LOW\"}}",
        "{\"v\":1,\"id\":\"m\",\"attempts\":0,\"enqueuedAt\":\"2026-11-30T10:15:30Z\",\"dueAt\":"
            + "\"2026-11-30T10:15:30Z\",\"email\":{\"from\":{\"email\":\"a@example.org\"},\"priority\":\"LOW\","
            + "\"to\":[{\"email\":\"b@example.org\"}],\"subject\":\"secret\",\"text\":\"t\","
            + "\"template\":{\"name\":\"t\",\"model\":{\"k\":null}}}}", "{\"v\":1,\"id\":\"secret\"")) {
      assertThatThrownBy(() -> QueuedMailJson.decode(json.getBytes(StandardCharsets.UTF_8), NOW)).as(json)
          .isInstanceOf(CorruptPayloadException.class).hasMessageNotContaining("secret");
    }
  }

  @Test
  void instantsAreWrittenAsInstantToStringWritesThem() {
    Random random = new Random(16);
    for (int i = 0; i < 20_000; i++) {
      long seconds = random.nextLong(253_402_300_800L);
      int nanos = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1000) * 1_000_000;
        case 2 -> random.nextInt(1_000_000) * 1_000;
        default -> random.nextInt(1_000_000_000);
      };
      Instant t = Instant.ofEpochSecond(seconds, nanos);
      assertThat(Json.formatUtc(t)).isEqualTo(t.toString());
    }
    for (Instant t : List.of(Instant.EPOCH, Instant.parse("9999-12-31T23:59:59.999999999Z"),
        Instant.parse("+10000-01-01T00:00:00Z"), Instant.parse("1969-12-31T23:59:59.5Z"), Instant.MIN, Instant.MAX)) {
      assertThat(Json.formatUtc(t)).isEqualTo(t.toString());
    }
  }

  @Test
  void anAuthenticatedPayloadIsNotCheckedAgainAndAPlaintextOneIs() {
    AesGcmCipher cipher = new AesGcmCipher("k1", Map.of("k1", "0123456789abcdef".getBytes(StandardCharsets.US_ASCII)));
    // Postline's own builder refuses this metadata key; a payload carrying it can only have been
    // written by hand (or by a later release that allows it).
    String json = new String(QueuedMailJson.encode(mails().get(2)), StandardCharsets.UTF_8)
        .replace("\"priority\"", "\"metadata\":{\"not a key\":\"v\"},\"priority\"");
    byte[] plain = json.getBytes(StandardCharsets.UTF_8);

    QueuedMail sealed = QueuedMailJson.open(cipher.seal(plain, "m-3"), cipher, "m-3", NOW);

    assertThat(sealed.email().metadata()).containsEntry("not a key", "v");
    assertThatThrownBy(() -> QueuedMailJson.open(plain, cipher, "m-3", NOW)).as("plaintext: not authenticated")
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("metadata key");
    assertThatThrownBy(() -> QueuedMailJson.open(plain, PayloadCipher.NONE, "m-3", NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("metadata key");
    assertThatThrownBy(() -> QueuedMailJson.decode(plain, NOW)).isInstanceOf(CorruptPayloadException.class);
  }
}
