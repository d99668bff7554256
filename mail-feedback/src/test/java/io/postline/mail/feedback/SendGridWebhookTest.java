package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.feedback.DeliveryEvent.Type;
import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.core.IdempotencyStore;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SendGridWebhookTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  static final String BODY = """
      [{"email":"ann@example.org","timestamp":1772366390,"event":"bounce","type":"bounce",
        "status":"5.1.1","reason":"550 5.1.1 user unknown","sg_message_id":"sg-1.filter",
        "postline_mail_id":"01HZMAILID0000000000000001"},
       {"email":"bob@example.org","timestamp":1772366391,"event":"bounce","type":"blocked","status":"4.7.1"},
       {"email":"cy@example.org","timestamp":1772366392,"event":"delivered","response":"250 OK"},
       {"email":"dee@example.org","timestamp":1772366393,"event":"spamreport"},
       {"email":"eve@example.org","timestamp":1772366394,"event":"group_unsubscribe","asm_group_id":42},
       {"email":"fay@example.org","timestamp":1772366395,"event":"unsubscribe","postline_list":"news"},
       {"email":"gus@example.org","timestamp":1772366396,"event":"dropped","reason":"Bounced Address"},
       {"email":"hal@example.org","timestamp":1772366397,"event":"deferred","response":"421 try later"},
       {"email":"ida@example.org","timestamp":1772366398,"event":"open"},
       {"email":"jo@example.org","timestamp":1772366399,"event":"click","url":"https://example.org"},
       {"email":"kim@example.org","timestamp":1772366399,"event":"processed"},
       {"email":"not an address","timestamp":1772366399,"event":"delivered"}]
      """;

  final KeyPair keys = ecKeys();
  final SendGridWebhook webhook = SendGridWebhook.builder(publicKey(keys)).clock(CLOCK).build();

  static KeyPair ecKeys() {
    return SendGridSigner.keys();
  }

  static String publicKey(KeyPair keys) {
    return SendGridSigner.verificationKey(keys);
  }

  static String sign(KeyPair keys, String timestamp, byte[] body) {
    return SendGridSigner.sign(keys, timestamp, body);
  }

  static WebhookRequest request(String signature, String timestamp, byte[] body) {
    return WebhookRequest.of(Map.of(
        "x-twilio-email-event-webhook-signature", List.of(signature),
        "X-Twilio-Email-Event-Webhook-Timestamp", List.of(timestamp)), body);
  }

  WebhookRequest signed(String timestamp, byte[] body) {
    return request(sign(keys, timestamp, body), timestamp, body);
  }

  @Test
  void aSignedBatchBecomesNormalizedEvents() {
    String ts = Long.toString(NOW.getEpochSecond());
    List<DeliveryEvent> events = webhook.verify(signed(ts, BODY.getBytes(StandardCharsets.UTF_8)));

    assertThat(events).extracting(DeliveryEvent::type).containsExactly(
        Type.HARD_BOUNCE, Type.SOFT_BOUNCE, Type.DELIVERED, Type.COMPLAINED, Type.UNSUBSCRIBED,
        Type.UNSUBSCRIBED, Type.REJECTED, Type.DEFERRED, Type.OPENED, Type.CLICKED);
    DeliveryEvent bounce = events.get(0);
    assertThat(bounce.recipient().email()).isEqualTo("ann@example.org");
    assertThat(bounce.mailId()).contains("01HZMAILID0000000000000001");
    assertThat(bounce.smtpStatus()).contains("5.1.1");
    assertThat(bounce.diagnostic()).contains("550 5.1.1 user unknown");
    assertThat(bounce.providerMessageId()).contains("sg-1.filter");
    assertThat(bounce.occurredAt()).isEqualTo(Instant.ofEpochSecond(1772366390));
    assertThat(bounce.toString()).doesNotContain("ann@example.org").doesNotContain("user unknown");
    assertThat(events.get(4).list()).contains("sendgrid-group-42");
    assertThat(events.get(5).list()).contains("news");
  }

  @Test
  void aTamperedBodyIsRefused() {
    String ts = Long.toString(NOW.getEpochSecond());
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    String signature = sign(keys, ts, body);
    byte[] tampered = BODY.replace("\"bounce\",\"type\":\"bounce\"", "\"delivered\",\"type\":\"bounce\"")
        .getBytes(StandardCharsets.UTF_8);

    assertRefused(request(signature, ts, tampered), Reason.BAD_SIGNATURE);
    // The timestamp is signed too.
    assertRefused(request(signature, Long.toString(NOW.getEpochSecond() - 1), body), Reason.BAD_SIGNATURE);
  }

  @Test
  void aSignatureByAnotherKeyIsRefused() {
    String ts = Long.toString(NOW.getEpochSecond());
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    assertRefused(request(sign(ecKeys(), ts, body), ts, body), Reason.BAD_SIGNATURE);
    assertRefused(request("bm90IGEgc2lnbmF0dXJl", ts, body), Reason.BAD_SIGNATURE);
    assertRefused(request("%%% not base64", ts, body), Reason.BAD_SIGNATURE);
  }

  @Test
  void staleOrFutureTimestampsAreRefusedEvenWhenSigned() {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    assertRefused(signed(Long.toString(NOW.minus(Duration.ofMinutes(6)).getEpochSecond()), body), Reason.STALE);
    assertRefused(signed(Long.toString(NOW.plus(Duration.ofMinutes(6)).getEpochSecond()), body), Reason.STALE);
    assertThat(webhook.verify(signed(Long.toString(NOW.minus(Duration.ofMinutes(4)).getEpochSecond()), body))).hasSize(10);
    assertRefused(signed("12e5", body), Reason.MALFORMED);
  }

  @Test
  void missingHeadersAndOversizedBodiesAreRefused() {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    assertRefused(WebhookRequest.of(body), Reason.MALFORMED);
    SendGridWebhook small = SendGridWebhook.builder(publicKey(keys)).clock(CLOCK).maxBodyBytes(100).build();
    WebhookRejectedException e = catchThrowableOfType(WebhookRejectedException.class,
        () -> small.verify(signed(Long.toString(NOW.getEpochSecond()), body)));
    assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
  }

  @Test
  void aSignedBodyThatIsNotAnArrayIsMalformed() {
    assertRefused(signed(Long.toString(NOW.getEpochSecond()), "{\"event\":\"delivered\"}".getBytes(StandardCharsets.UTF_8)),
        Reason.MALFORMED);
  }

  @Test
  void onlyP256KeysAreAccepted() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    String p384 = Base64.getEncoder().encodeToString(g.generateKeyPair().getPublic().getEncoded());
    assertThatIllegalArgumentException().isThrownBy(() -> SendGridWebhook.builder(p384))
        .withMessageContaining("P-256").withMessageNotContaining(p384.substring(20, 40));
    assertThatIllegalArgumentException().isThrownBy(() -> SendGridWebhook.builder("not-a-key"));
    String pem = "-----BEGIN PUBLIC KEY-----\n" + publicKey(keys) + "\n-----END PUBLIC KEY-----\n";
    assertThat(SendGridWebhook.builder(pem).clock(CLOCK).build()
        .verify(signed(Long.toString(NOW.getEpochSecond()), BODY.getBytes(StandardCharsets.UTF_8)))).hasSize(10);
  }

  @Test
  void aReplayedRequestIsRefusedEvenWithTheSignatureRewritten() {
    String ts = Long.toString(NOW.getEpochSecond());
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    String signature = sign(keys, ts, body);
    assertThat(webhook.verify(request(signature, ts, body))).hasSize(10);

    assertRefused(request(signature, ts, body), Reason.REPLAYED);
    // (r, n - s) is a second valid signature of the same bytes: the replay memory keys on what was signed.
    String rewritten = negateS(signature);
    assertThat(SendGridWebhook.builder(publicKey(keys)).clock(CLOCK).build()
        .verify(request(rewritten, ts, body))).as("the rewritten signature is valid").hasSize(10);
    assertRefused(request(rewritten, ts, body), Reason.REPLAYED);
    // The same body signed at another second is another request.
    assertThat(webhook.verify(signed(Long.toString(NOW.getEpochSecond() - 1), body))).hasSize(10);
  }

  @Test
  void instancesSharingAReplayStoreRefuseAReplayAcceptedByAnother() {
    IdempotencyStore shared = IdempotencyStore.inMemory(Duration.ofMinutes(10));
    SendGridWebhook one = SendGridWebhook.builder(publicKey(keys)).clock(CLOCK).replayStore(shared).build();
    SendGridWebhook two = SendGridWebhook.builder(publicKey(keys)).clock(CLOCK).replayStore(shared).build();
    WebhookRequest request = signed(Long.toString(NOW.getEpochSecond()), BODY.getBytes(StandardCharsets.UTF_8));

    assertThat(one.verify(request)).hasSize(10);
    assertThat(catchThrowableOfType(WebhookRejectedException.class, () -> two.verify(request)).reason())
        .isEqualTo(Reason.REPLAYED);
  }

  /** The other valid ECDSA signature of the same bytes: s replaced by n - s. */
  static String negateS(String signature) {
    BigInteger n = new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    ByteBuffer der = ByteBuffer.wrap(Base64.getDecoder().decode(signature));
    der.get(); // SEQUENCE
    der.get(); // length (< 128 for P-256)
    BigInteger r = derInteger(der);
    BigInteger s = derInteger(der);
    byte[] rb = r.toByteArray();
    byte[] sb = n.subtract(s).toByteArray();
    ByteBuffer out = ByteBuffer.allocate(6 + rb.length + sb.length);
    out.put((byte) 0x30).put((byte) (4 + rb.length + sb.length));
    out.put((byte) 0x02).put((byte) rb.length).put(rb).put((byte) 0x02).put((byte) sb.length).put(sb);
    return Base64.getEncoder().encodeToString(out.array());
  }

  private static BigInteger derInteger(ByteBuffer der) {
    der.get(); // INTEGER
    byte[] value = new byte[der.get()];
    der.get(value);
    return new BigInteger(value);
  }

  private void assertRefused(WebhookRequest request, Reason reason) {
    WebhookRejectedException e = catchThrowableOfType(WebhookRejectedException.class, () -> webhook.verify(request));
    assertThat(e).as("refused").isNotNull();
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.provider()).isEqualTo("sendgrid");
    assertThat(e.getMessage()).doesNotContain("@example.org");
  }
}
