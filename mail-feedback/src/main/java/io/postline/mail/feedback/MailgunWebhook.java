package io.postline.mail.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import io.postline.mail.Address;
import io.postline.mail.feedback.DeliveryEvent.Type;
import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.feedback.internal.Checks;
import io.postline.mail.feedback.internal.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies Mailgun's JSON webhooks: the body's {@code signature} object carries {@code timestamp},
 * {@code token} and {@code signature}, the hex HMAC-SHA256 of timestamp followed by token under the
 * webhook signing key. The timestamp must be within the tolerance, and a token is accepted once:
 * tokens are remembered for the tolerance window, so a captured request is refused when replayed.
 * The memory is per verifier instance (bounded) unless {@link WebhookVerifierBuilder#replayStore}
 * shares it across a fleet.
 *
 * <p>Events: {@code delivered}; {@code failed} with severity {@code temporary} (deferred) or
 * {@code permanent} (hard bounce; soft bounce for reason {@code old}, Mailgun gave up retrying;
 * rejected for {@code suppress-*}, Mailgun's own suppression); {@code rejected}; {@code complained};
 * {@code unsubscribed}; {@code opened}; {@code clicked}. Postline's mail id and list come from the
 * user variables.
 */
public final class MailgunWebhook extends ReplayProtectedVerifier {
  private static final String NAME = "mailgun";

  private final byte[] signingKey;

  private MailgunWebhook(Builder b) {
    super(NAME, b);
    this.signingKey = b.signingKey;
  }

  /** A builder for the HTTP webhook signing key from Mailgun's dashboard. */
  public static Builder builder(String signingKey) {
    return new Builder(signingKey);
  }

  @Override
  Authentic authenticate(WebhookRequest request) {
    byte[] body = body(request);
    JsonNode root = Json.parse(body).filter(JsonNode::isObject)
        .orElseThrow(() -> refused(Reason.MALFORMED, "body is not a JSON object"));
    JsonNode sig = Json.child(root, "signature")
        .orElseThrow(() -> refused(Reason.MALFORMED, "no signature object"));
    String timestamp = Json.scalar(sig, "timestamp")
        .orElseThrow(() -> refused(Reason.MALFORMED, "no signature timestamp"));
    String token = Json.text(sig, "token")
        .orElseThrow(() -> refused(Reason.MALFORMED, "no signature token"));
    String signature = Json.text(sig, "signature")
        .orElseThrow(() -> refused(Reason.MALFORMED, "no signature value"));
    Instant signedAt = Checks.unixSeconds(timestamp)
        .orElseThrow(() -> refused(Reason.MALFORMED, "timestamp is not Unix seconds"));
    checkFresh(signedAt, "timestamp");
    if (!signatureMatches(timestamp, token, signature)) {
      throw refused(Reason.BAD_SIGNATURE, "signature does not match timestamp and token");
    }
    return new Authentic(token, "token",
        () -> Json.child(root, "event-data").flatMap(this::toEvent).map(List::of).orElse(List.of()));
  }

  private boolean signatureMatches(String timestamp, String token, String signature) {
    byte[] expected;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(signingKey, "HmacSHA256"));
      expected = mac.doFinal((timestamp + token).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
    byte[] given;
    try {
      given = HexFormat.of().parseHex(signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(expected, given);
  }

  private Optional<DeliveryEvent> toEvent(JsonNode e) {
    Optional<Type> type = Json.text(e, "event").flatMap(name -> type(name, e));
    Optional<Address> recipient = Json.text(e, "recipient").flatMap(Json::address);
    if (type.isEmpty() || recipient.isEmpty()) {
      return Optional.empty();
    }
    Optional<JsonNode> vars = Json.child(e, "user-variables");
    Optional<JsonNode> status = Json.child(e, "delivery-status");
    Optional<String> smtp = status.flatMap(s -> Json.scalar(s, "enhanced-code")
        .filter(c -> !c.isEmpty()).or(() -> Json.scalar(s, "code")));
    Optional<String> diagnostic = status.flatMap(s -> Json.text(s, "message")
        .filter(m -> !m.isEmpty()).or(() -> Json.text(s, "description")))
        .or(() -> Json.text(e, "reason"));
    Optional<String> messageId = Json.child(e, "message").flatMap(m -> Json.child(m, "headers"))
        .flatMap(h -> Json.text(h, "message-id")).map(Json::unbracket);
    return Optional.of(new DeliveryEvent(NAME, type.get(), recipient.get(),
        vars.flatMap(v -> Json.scalar(v, DeliveryEvent.MAIL_ID_KEY)),
        vars.flatMap(v -> Json.scalar(v, DeliveryEvent.LIST_KEY)),
        messageId, Json.epochSeconds(e, "timestamp").orElseGet(clock::instant), smtp, diagnostic));
  }

  private static Optional<Type> type(String event, JsonNode e) {
    String severity = Json.text(e, "severity").orElse("permanent");
    String reason = Json.text(e, "reason").orElse("");
    return Optional.ofNullable(switch (event) {
      case "delivered" -> Type.DELIVERED;
      case "failed" -> {
        if ("temporary".equals(severity)) {
          yield Type.DEFERRED;
        } else if (reason.startsWith("suppress-")) {
          yield Type.REJECTED;
        } else {
          yield "old".equals(reason) ? Type.SOFT_BOUNCE : Type.HARD_BOUNCE;
        }
      }
      case "rejected" -> Type.REJECTED;
      case "complained" -> Type.COMPLAINED;
      case "unsubscribed" -> Type.UNSUBSCRIBED;
      case "opened" -> Type.OPENED;
      case "clicked" -> Type.CLICKED;
      default -> null;
    });
  }

  /**
   * Settings for a {@link MailgunWebhook}: tolerance 5 minutes, bodies up to 1 MiB, replay memory
   * in this process unless {@link #replayStore} is set.
   */
  public static final class Builder extends WebhookVerifierBuilder<Builder> {
    private final byte[] signingKey;

    private Builder(String signingKey) {
      super(Duration.ofMinutes(5), 1024 * 1024);
      Objects.requireNonNull(signingKey, "signingKey");
      if (signingKey.isBlank()) {
        throw new IllegalArgumentException("the Mailgun signing key is empty");
      }
      this.signingKey = signingKey.getBytes(StandardCharsets.UTF_8);
    }

    /** The verifier. */
    public MailgunWebhook build() {
      return new MailgunWebhook(this);
    }
  }
}
