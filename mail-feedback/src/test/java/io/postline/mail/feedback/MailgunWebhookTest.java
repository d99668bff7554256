package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.feedback.DeliveryEvent.Type;
import io.postline.mail.feedback.WebhookRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class MailgunWebhookTest {
  static final String KEY = "key-" + UUID.randomUUID();
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  final AtomicReference<Instant> now = new AtomicReference<>(NOW);
  final Clock clock = new Clock() {
    @Override public ZoneId getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(ZoneId zone) { return this; }
    @Override public Instant instant() { return now.get(); }
  };
  final MailgunWebhook webhook = MailgunWebhook.builder(KEY).clock(clock).build();

  static String hmac(String key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String body(String key, long timestamp, String token, String eventData) {
    return "{\"signature\":{\"timestamp\":\"" + timestamp + "\",\"token\":\"" + token + "\",\"signature\":\""
        + hmac(key, timestamp + token) + "\"},\"event-data\":" + eventData + "}";
  }

  static String event(String event, String extra) {
    return "{\"event\":\"" + event + "\",\"timestamp\":1772366400.123,\"recipient\":\"ann@example.org\","
        + "\"user-variables\":{\"postline_mail_id\":\"01HZMAILID0000000000000002\",\"postline_list\":\"news\"},"
        + "\"message\":{\"headers\":{\"message-id\":\"<20260301.abc@mg.example.org>\"}}" + extra + "}";
  }

  List<DeliveryEvent> verify(String body) {
    return webhook.verify(WebhookRequest.of(body.getBytes(StandardCharsets.UTF_8)));
  }

  static String token() {
    return UUID.randomUUID().toString().replace("-", "") + "abcdefghijklmnopqr";
  }

  @Test
  void signedEventsBecomeNormalizedEvents() {
    long ts = NOW.getEpochSecond();
    DeliveryEvent hard = verify(body(KEY, ts, token(), event("failed",
        ",\"severity\":\"permanent\",\"reason\":\"bounce\",\"delivery-status\":{\"code\":550,"
            + "\"enhanced-code\":\"5.1.1\",\"message\":\"mailbox does not exist\"}"))).get(0);
    assertThat(hard.type()).isEqualTo(Type.HARD_BOUNCE);
    assertThat(hard.smtpStatus()).contains("5.1.1");
    assertThat(hard.diagnostic()).contains("mailbox does not exist");
    assertThat(hard.mailId()).contains("01HZMAILID0000000000000002");
    assertThat(hard.list()).contains("news");
    assertThat(hard.providerMessageId()).contains("20260301.abc@mg.example.org");
    assertThat(hard.occurredAt()).isEqualTo(Instant.ofEpochSecond(1772366400, 123_000_000));

    assertThat(verify(body(KEY, ts, token(), event("failed", ",\"severity\":\"temporary\""))).get(0).type())
        .isEqualTo(Type.DEFERRED);
    assertThat(verify(body(KEY, ts, token(), event("failed", ",\"severity\":\"permanent\",\"reason\":\"old\""))).get(0).type())
        .isEqualTo(Type.SOFT_BOUNCE);
    assertThat(verify(body(KEY, ts, token(), event("failed", ",\"severity\":\"permanent\",\"reason\":\"suppress-bounce\""))).get(0).type())
        .isEqualTo(Type.REJECTED);
    assertThat(verify(body(KEY, ts, token(), event("complained", ""))).get(0).type()).isEqualTo(Type.COMPLAINED);
    assertThat(verify(body(KEY, ts, token(), event("unsubscribed", ""))).get(0).type()).isEqualTo(Type.UNSUBSCRIBED);
    assertThat(verify(body(KEY, ts, token(), event("delivered", ""))).get(0).type()).isEqualTo(Type.DELIVERED);
    assertThat(verify(body(KEY, ts, token(), event("opened", ""))).get(0).type()).isEqualTo(Type.OPENED);
    assertThat(verify(body(KEY, ts, token(), event("clicked", ""))).get(0).type()).isEqualTo(Type.CLICKED);
    assertThat(verify(body(KEY, ts, token(), event("accepted", "")))).isEmpty();
  }

  @Test
  void aReplayedTokenIsRefusedAndForgeriesDoNotPoisonTheMemory() {
    long ts = NOW.getEpochSecond();
    String token = token();
    String delivered = body(KEY, ts, token, event("delivered", ""));

    // A forgery carrying the token first: refused, and the genuine request still goes through.
    assertRefused(body("wrong-key", ts, token, event("delivered", "")), Reason.BAD_SIGNATURE);
    assertThat(verify(delivered)).hasSize(1);
    WebhookRejectedException e = assertRefused(delivered, Reason.REPLAYED);
    assertThat(e.getMessage()).doesNotContain(token);
  }

  @Test
  void tamperingWrongKeysAndStaleTimestampsAreRefused() {
    long ts = NOW.getEpochSecond();
    String token = token();
    String good = body(KEY, ts, token, event("delivered", ""));
    assertRefused(good.replace(token, token.substring(1) + "x"), Reason.BAD_SIGNATURE);
    assertRefused(good.replace("\"" + ts + "\"", "\"" + (ts - 1) + "\""), Reason.BAD_SIGNATURE);
    WebhookRejectedException wrongKey = assertRefused(body("key-other", ts, token(), event("delivered", "")), Reason.BAD_SIGNATURE);
    assertThat(wrongKey.getMessage()).doesNotContain(KEY);
    assertRefused(body(KEY, ts - 301, token(), event("delivered", "")), Reason.STALE);
    assertRefused(body(KEY, ts + 301, token(), event("delivered", "")), Reason.STALE);
    assertRefused("{\"event-data\":{}}", Reason.MALFORMED);
    assertRefused("not json", Reason.MALFORMED);
    assertRefused("{\"signature\":{\"timestamp\":\"1\",\"token\":\"t\",\"signature\":\"zz\"}}", Reason.STALE);
  }

  @Test
  void tokensAreForgottenOnlyOnceTheyWouldBeStale() {
    long ts = NOW.getEpochSecond();
    String token = token();
    assertThat(verify(body(KEY, ts, token, event("delivered", "")))).hasSize(1);
    now.set(NOW.plusSeconds(299));
    assertRefused(body(KEY, ts, token, event("delivered", "")), Reason.REPLAYED);
    now.set(NOW.plusSeconds(301));
    assertRefused(body(KEY, ts, token, event("delivered", "")), Reason.STALE);
  }

  @Test
  void theReplayMemoryIsBounded() {
    MailgunWebhook tiny = MailgunWebhook.builder(KEY).clock(clock).replayCapacity(2).build();
    long ts = NOW.getEpochSecond();
    String first = token();
    for (String t : List.of(first, token(), token())) {
      assertThat(tiny.verify(WebhookRequest.of(body(KEY, ts, t, event("delivered", "")).getBytes(StandardCharsets.UTF_8)))).hasSize(1);
    }
    // The oldest token was forgotten to make room: the documented cost of a bound.
    assertThat(tiny.verify(WebhookRequest.of(body(KEY, ts, first, event("delivered", "")).getBytes(StandardCharsets.UTF_8)))).hasSize(1);
  }

  private WebhookRejectedException assertRefused(String body, Reason reason) {
    WebhookRejectedException e = catchThrowableOfType(WebhookRejectedException.class, () -> verify(body));
    assertThat(e).as("refused").isNotNull();
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.getMessage()).doesNotContain("ann@example.org");
    return e;
  }
}
