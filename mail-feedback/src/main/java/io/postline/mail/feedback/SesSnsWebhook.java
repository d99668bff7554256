package io.postline.mail.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import io.postline.mail.Address;
import io.postline.mail.MailException;
import io.postline.mail.feedback.DeliveryEvent.Type;
import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.feedback.internal.Json;
import io.postline.mail.feedback.internal.SnsHttp;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Verifies Amazon SES notifications delivered by Amazon SNS to an HTTPS endpoint.
 *
 * <p>Checks, in order: the topic is in the allowlist; the message timestamp is within the
 * tolerance; {@code SigningCertURL} is HTTPS on an {@code sns.<region>.amazonaws.com} host with a
 * {@code .pem} path; the certificate (fetched over HTTPS, cached) verifies {@code Signature} over
 * the canonical string, with SHA1withRSA for {@code SignatureVersion} 1 and SHA256withRSA for 2;
 * the message id was not accepted before. A {@code SubscriptionConfirmation} is confirmed (a GET
 * of its {@code SubscribeURL}, held to the same host rule) only when {@link
 * Builder#confirmSubscriptions(boolean)} is on; when that GET fails, {@code verify} throws a
 * {@code MailException} and the message id is forgotten, so SNS's retry of it is accepted.
 *
 * <p>SES content, from event publishing ({@code eventType}) or identity notifications ({@code
 * notificationType}): {@code Bounce} (Permanent: hard; Transient or Undetermined: soft), {@code
 * Complaint}, {@code Delivery}, {@code DeliveryDelay} (deferred), {@code Reject}, {@code Open},
 * {@code Click}. Postline's mail id and list come from the message tags.
 */
public final class SesSnsWebhook extends ReplayProtectedVerifier {
  private static final String NAME = "ses";
  private static final List<String> NOTIFICATION_FIELDS =
      List.of("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type");
  private static final List<String> SUBSCRIPTION_FIELDS =
      List.of("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type");

  private final Set<String> topics;
  private final boolean confirmSubscriptions;
  private final SnsHttp http;

  private SesSnsWebhook(Builder b) {
    super(NAME, b);
    this.topics = Set.copyOf(b.topics);
    this.confirmSubscriptions = b.confirmSubscriptions;
    this.http = b.testHost == null
        ? SnsHttp.production(clock)
        : SnsHttp.forTesting(b.testHost, b.testPort, Objects.requireNonNull(b.testTrust), clock);
  }

  /**
   * A builder accepting messages from these topic ARNs only (at least one).
   *
   * @throws IllegalArgumentException if {@code topicArns} is empty
   */
  public static Builder builder(Set<String> topicArns) {
    return new Builder(topicArns);
  }

  @Override
  Authentic authenticate(WebhookRequest request) {
    byte[] body = body(request);
    JsonNode m = Json.parse(body).filter(JsonNode::isObject)
        .orElseThrow(() -> refused(Reason.MALFORMED, "body is not a JSON object"));
    String type = Json.text(m, "Type").orElse("");
    List<String> fields = switch (type) {
      case "Notification" -> NOTIFICATION_FIELDS;
      case "SubscriptionConfirmation", "UnsubscribeConfirmation" -> SUBSCRIPTION_FIELDS;
      default -> throw refused(Reason.MALFORMED, "Type is not an SNS message type");
    };
    String topic = Json.text(m, "TopicArn").orElseThrow(() -> refused(Reason.MALFORMED, "no TopicArn"));
    if (!topics.contains(topic)) {
      throw refused(Reason.UNKNOWN_TOPIC, "TopicArn is not in the allowlist");
    }
    Instant sentAt = Json.isoInstant(m, "Timestamp")
        .orElseThrow(() -> refused(Reason.MALFORMED, "Timestamp is not an ISO-8601 instant"));
    checkFresh(sentAt, "Timestamp");
    String algorithm = switch (Json.text(m, "SignatureVersion").orElse("")) {
      case "1" -> "SHA1withRSA";
      case "2" -> "SHA256withRSA";
      default -> throw refused(Reason.MALFORMED, "SignatureVersion is neither 1 nor 2");
    };
    URI certUrl = Json.text(m, "SigningCertURL").flatMap(http::trusted).filter(SnsHttp::pemPath)
        .orElseThrow(() -> refused(Reason.UNTRUSTED_CERTIFICATE_URL,
            "SigningCertURL is not an HTTPS .pem URL on an sns.<region>.amazonaws.com host"));
    String canonical = canonical(m, fields);
    X509Certificate certificate = http.certificate(certUrl)
        .orElseThrow(() -> refused(Reason.CERTIFICATE_UNAVAILABLE,
            "the signing certificate could not be fetched, read or is not valid now"));
    if (!signatureMatches(algorithm, certificate, canonical, Json.text(m, "Signature").orElse(""))) {
      throw refused(Reason.BAD_SIGNATURE, "signature does not match the message");
    }
    if (type.equals("SubscriptionConfirmation") && !confirmSubscriptions) {
      throw refused(Reason.SUBSCRIPTION_NOT_CONFIRMED, "confirming subscriptions is not enabled");
    }
    Optional<URI> subscribe = type.equals("SubscriptionConfirmation") ? Optional.of(subscribeUrl(m)) : Optional.empty();
    // Confirming is the work a confirmation stands for: its MessageId is done only once SNS said 200.
    return new Authentic(Json.text(m, "MessageId").orElse(""), "MessageId", () -> switch (type) {
      case "Notification" -> Json.text(m, "Message").flatMap(Json::parse).map(this::sesEvents).orElse(List.of());
      case "SubscriptionConfirmation" -> confirm(subscribe.orElseThrow());
      default -> List.of(); // UnsubscribeConfirmation: authentic, nothing to do
    });
  }

  /** The string SNS signs: each present field as "name\nvalue\n", in the documented order. */
  private String canonical(JsonNode m, List<String> fields) {
    StringBuilder out = new StringBuilder();
    for (String field : fields) {
      Optional<String> value = Json.text(m, field);
      if (value.isEmpty() && !field.equals("Subject")) {
        throw refused(Reason.MALFORMED, "no " + field);
      }
      value.ifPresent(v -> out.append(field).append('\n').append(v).append('\n'));
    }
    return out.toString();
  }

  private static boolean signatureMatches(String algorithm, X509Certificate cert, String canonical, String signature) {
    try {
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(canonical.getBytes(StandardCharsets.UTF_8));
      return verifier.verify(Base64.getDecoder().decode(signature));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      // Not base64, or a certificate whose key does not fit the algorithm: not authentic.
      return false;
    }
  }

  private URI subscribeUrl(JsonNode m) {
    return Json.text(m, "SubscribeURL").flatMap(http::trusted)
        .orElseThrow(() -> refused(Reason.SUBSCRIPTION_NOT_CONFIRMED,
            "SubscribeURL is not HTTPS on an sns.<region>.amazonaws.com host"));
  }

  /**
   * GETs the SubscribeURL. A failure is not a refusal of the request (which was authentic) but work
   * left undone: the MessageId is forgotten and the caller answers 5xx, so SNS sends it again.
   */
  private List<DeliveryEvent> confirm(URI subscribe) {
    if (!http.confirm(subscribe)) {
      throw new MailException(NAME + " webhook: confirming the SNS subscription failed (the SubscribeURL did not"
          + " answer 200 in time); answer 5xx so that SNS sends the confirmation again");
    }
    return List.of();
  }

  private List<DeliveryEvent> sesEvents(JsonNode ses) {
    String kind = Json.text(ses, "eventType").or(() -> Json.text(ses, "notificationType")).orElse("");
    JsonNode mail = Json.child(ses, "mail").orElse(null);
    Optional<String> mailId = tag(mail, DeliveryEvent.MAIL_ID_KEY);
    Optional<String> list = tag(mail, DeliveryEvent.LIST_KEY);
    Optional<String> messageId = Json.text(mail, "messageId");
    Instant mailTime = Json.isoInstant(mail, "timestamp").orElseGet(clock::instant);
    List<DeliveryEvent> out = new ArrayList<>();
    Sink sink = (type, address, at, status, diagnostic) -> Json.address(address).ifPresent(a -> out.add(
        new DeliveryEvent(NAME, type, a, mailId, list, messageId, at, status, diagnostic)));
    switch (kind) {
      case "Bounce" -> Json.child(ses, "bounce").ifPresent(b -> {
        Type type = "Permanent".equals(Json.text(b, "bounceType").orElse("")) ? Type.HARD_BOUNCE : Type.SOFT_BOUNCE;
        Instant at = Json.isoInstant(b, "timestamp").orElse(mailTime);
        for (JsonNode r : Json.child(b, "bouncedRecipients").orElse(ses.path("none"))) {
          sink.add(type, Json.text(r, "emailAddress").orElse(null), at,
              Json.text(r, "status"), Json.text(r, "diagnosticCode"));
        }
      });
      case "Complaint" -> Json.child(ses, "complaint").ifPresent(c -> {
        Instant at = Json.isoInstant(c, "timestamp").orElse(mailTime);
        for (JsonNode r : Json.child(c, "complainedRecipients").orElse(ses.path("none"))) {
          sink.add(Type.COMPLAINED, Json.text(r, "emailAddress").orElse(null), at,
              Optional.empty(), Json.text(c, "complaintFeedbackType"));
        }
      });
      case "Delivery" -> Json.child(ses, "delivery").ifPresent(d -> {
        Instant at = Json.isoInstant(d, "timestamp").orElse(mailTime);
        for (JsonNode r : Json.child(d, "recipients").orElse(ses.path("none"))) {
          sink.add(Type.DELIVERED, r.isTextual() ? r.asText() : null, at,
              Optional.empty(), Json.text(d, "smtpResponse"));
        }
      });
      case "DeliveryDelay" -> Json.child(ses, "deliveryDelay").ifPresent(d -> {
        Instant at = Json.isoInstant(d, "timestamp").orElse(mailTime);
        for (JsonNode r : Json.child(d, "delayedRecipients").orElse(ses.path("none"))) {
          sink.add(Type.DEFERRED, Json.text(r, "emailAddress").orElse(null), at,
              Json.text(r, "status"), Json.text(r, "diagnosticCode").or(() -> Json.text(d, "delayType")));
        }
      });
      case "Reject", "Open", "Click" -> {
        Type type = kind.equals("Reject") ? Type.REJECTED : kind.equals("Open") ? Type.OPENED : Type.CLICKED;
        JsonNode detail = Json.child(ses, kind.toLowerCase(java.util.Locale.ROOT)).orElse(null);
        Instant at = Json.isoInstant(detail, "timestamp").orElse(mailTime);
        // SES names no single recipient for these: they apply to the message's destinations.
        for (JsonNode r : Json.child(mail, "destination").orElse(ses.path("none"))) {
          sink.add(type, r.isTextual() ? r.asText() : null, at, Optional.empty(), Json.text(detail, "reason"));
        }
      }
      default -> { } // Send, RenderingFailure, Subscription, ...: not delivery outcomes
    }
    return List.copyOf(out);
  }

  /** The first value of message tag {@code name} ({@code mail.tags} maps names to arrays). */
  private static Optional<String> tag(@Nullable JsonNode mail, String name) {
    return Json.child(mail, "tags").flatMap(t -> Json.child(t, name))
        .filter(JsonNode::isArray).filter(a -> a.size() > 0 && a.get(0).isTextual())
        .map(a -> a.get(0).asText());
  }

  @FunctionalInterface
  private interface Sink {
    void add(Type type, @Nullable String address, Instant at, Optional<String> status, Optional<String> diagnostic);
  }

  /**
   * Settings for a {@link SesSnsWebhook}: tolerance 1 hour (SNS keeps a message's timestamp across
   * its delivery retries), bodies up to 256 KiB (SNS messages are at most 256 KB), replay memory in
   * this process unless {@link #replayStore} is set. The clock also decides whether a certificate
   * is valid now.
   */
  public static final class Builder extends WebhookVerifierBuilder<Builder> {
    private final Set<String> topics;
    private boolean confirmSubscriptions;
    private @Nullable String testHost;
    private int testPort;
    private @Nullable SSLContext testTrust;

    private Builder(Set<String> topicArns) {
      super(Duration.ofHours(1), 256 * 1024);
      if (topicArns.isEmpty()) {
        throw new IllegalArgumentException("at least one TopicArn must be allowed");
      }
      this.topics = Set.copyOf(topicArns);
    }

    /** Whether a verified {@code SubscriptionConfirmation} is confirmed; default off (refused). */
    public Builder confirmSubscriptions(boolean confirm) {
      this.confirmSubscriptions = confirm;
      return this;
    }

    /**
     * <b>Tests only.</b> Also accepts certificate and subscribe URLs on {@code https://host:port},
     * trusted through {@code trust} (a local HTTPS server standing in for SNS). Never set this in
     * production: there, only {@code sns.<region>.amazonaws.com} is accepted.
     */
    public Builder certificateHostForTesting(String host, int port, SSLContext trust) {
      this.testHost = Objects.requireNonNull(host, "host");
      this.testPort = port;
      this.testTrust = Objects.requireNonNull(trust, "trust");
      return this;
    }

    /** The verifier. */
    public SesSnsWebhook build() {
      return new SesSnsWebhook(this);
    }
  }
}
