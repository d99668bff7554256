package io.postline.mail.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import io.postline.mail.Address;
import io.postline.mail.feedback.DeliveryEvent.Type;
import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.feedback.internal.Checks;
import io.postline.mail.feedback.internal.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Verifies SendGrid's signed Event Webhook: an ECDSA P-256 / SHA-256 signature (header {@value
 * #SIGNATURE_HEADER}, base64 DER) over the timestamp header {@value #TIMESTAMP_HEADER} followed by
 * the raw body, checked with the verification key from SendGrid's Mail Settings, and a timestamp
 * within the tolerance. Each signed request is accepted once: the digest of its signed timestamp
 * and body is remembered (per instance, or fleet-wide with {@link
 * WebhookVerifierBuilder#replayStore}), so a captured request is refused when replayed. The
 * signature itself is not the id: an ECDSA signature can be rewritten into another valid one.
 *
 * <p>Events: {@code delivered}, {@code deferred}, {@code bounce} (type {@code bounce}: hard;
 * {@code blocked}: soft), {@code dropped} (rejected), {@code spamreport}, {@code unsubscribe} and
 * {@code group_unsubscribe}, {@code open}, {@code click}; others ({@code processed}, {@code
 * group_resubscribe}) are skipped. Postline's mail id and list are read from the custom args.
 */
public final class SendGridWebhook extends ReplayProtectedVerifier {
  /** The header carrying the base64 signature. */
  public static final String SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature";
  /** The header carrying the signed Unix timestamp. */
  public static final String TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp";

  private static final String NAME = "sendgrid";

  private final PublicKey key;

  private SendGridWebhook(Builder b) {
    super(NAME, b);
    this.key = b.key;
  }

  /**
   * A builder for the verification key as SendGrid shows it: base64 of the DER
   * SubjectPublicKeyInfo, with or without PEM framing.
   *
   * @throws IllegalArgumentException if it is not a P-256 public key
   */
  public static Builder builder(String verificationKey) {
    return new Builder(verificationKey);
  }

  @Override
  Authentic authenticate(WebhookRequest request) {
    byte[] body = body(request);
    String signature = request.header(SIGNATURE_HEADER)
        .orElseThrow(() -> refused(Reason.MALFORMED, "no " + SIGNATURE_HEADER + " header"));
    String timestamp = request.header(TIMESTAMP_HEADER)
        .orElseThrow(() -> refused(Reason.MALFORMED, "no " + TIMESTAMP_HEADER + " header"));
    Instant signedAt = Checks.unixSeconds(timestamp)
        .orElseThrow(() -> refused(Reason.MALFORMED, "timestamp is not Unix seconds"));
    checkFresh(signedAt, "timestamp");
    if (!signatureMatches(timestamp, body, signature)) {
      throw refused(Reason.BAD_SIGNATURE, "signature does not match the body and timestamp");
    }
    JsonNode events = Json.parse(body).filter(JsonNode::isArray)
        .orElseThrow(() -> refused(Reason.MALFORMED, "body is not a JSON array of events"));
    return new Authentic(signedDigest(timestamp, body), "signed timestamp and body", () -> {
      List<DeliveryEvent> out = new ArrayList<>();
      for (JsonNode event : events) {
        toEvent(event).ifPresent(out::add);
      }
      return List.copyOf(out);
    });
  }

  /** SHA-256 of exactly what is signed (the timestamp, all digits, then the body), base64url. */
  private static String signedDigest(String timestamp, byte[] body) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(timestamp.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256.digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private boolean signatureMatches(String timestamp, byte[] body, String signature) {
    try {
      byte[] der = Base64.getDecoder().decode(signature.trim());
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(key);
      verifier.update(timestamp.getBytes(StandardCharsets.UTF_8));
      verifier.update(body);
      return verifier.verify(der);
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      // Not base64, or not a DER ECDSA signature: as good as a wrong one.
      return false;
    }
  }

  private Optional<DeliveryEvent> toEvent(JsonNode e) {
    Optional<Type> type = Json.text(e, "event").flatMap(name -> type(name, e));
    Optional<Address> recipient = Json.text(e, "email").flatMap(Json::address);
    if (type.isEmpty() || recipient.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> list = Json.scalar(e, DeliveryEvent.LIST_KEY)
        .or(() -> Json.scalar(e, "asm_group_id").map(id -> "sendgrid-group-" + id));
    Optional<String> diagnostic = Json.text(e, "reason").or(() -> Json.text(e, "response"));
    return Optional.of(new DeliveryEvent(NAME, type.get(), recipient.get(),
        Json.scalar(e, DeliveryEvent.MAIL_ID_KEY), list,
        Json.text(e, "sg_message_id"),
        Json.epochSeconds(e, "timestamp").orElseGet(clock::instant),
        Json.scalar(e, "status"), diagnostic));
  }

  private static Optional<Type> type(String event, JsonNode e) {
    return Optional.ofNullable(switch (event) {
      case "delivered" -> Type.DELIVERED;
      case "deferred" -> Type.DEFERRED;
      case "bounce" -> "blocked".equals(Json.text(e, "type").orElse("bounce")) ? Type.SOFT_BOUNCE : Type.HARD_BOUNCE;
      case "dropped" -> Type.REJECTED;
      case "spamreport" -> Type.COMPLAINED;
      case "unsubscribe", "group_unsubscribe" -> Type.UNSUBSCRIBED;
      case "open" -> Type.OPENED;
      case "click" -> Type.CLICKED;
      default -> null;
    });
  }

  /**
   * Settings for a {@link SendGridWebhook}: tolerance 5 minutes, bodies up to 4 MiB, replay memory
   * in this process unless {@link #replayStore} is set.
   */
  public static final class Builder extends WebhookVerifierBuilder<Builder> {
    private final PublicKey key;

    private Builder(String verificationKey) {
      super(Duration.ofMinutes(5), 4 * 1024 * 1024);
      Objects.requireNonNull(verificationKey, "verificationKey");
      String base64 = verificationKey
          .replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
          .replaceAll("\\s", "");
      try {
        PublicKey k = KeyFactory.getInstance("EC")
            .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        if (!(k instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
          throw new IllegalArgumentException("the SendGrid verification key is not a P-256 key");
        }
        this.key = k;
      } catch (IllegalArgumentException | GeneralSecurityException e) {
        // No cause: the exception text of a key parser could echo key material.
        throw new IllegalArgumentException(
            "the SendGrid verification key is not a base64 P-256 public key (SubjectPublicKeyInfo)");
      }
    }

    /** The verifier. */
    public SendGridWebhook build() {
      return new SendGridWebhook(this);
    }
  }
}
