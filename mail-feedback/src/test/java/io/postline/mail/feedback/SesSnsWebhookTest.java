package io.postline.mail.feedback;

import static io.postline.mail.feedback.SnsFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postline.mail.MailException;
import io.postline.mail.feedback.DeliveryEvent.Type;
import io.postline.mail.feedback.WebhookRejectedException.Reason;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SesSnsWebhookTest {
  static final Instant NOW = Instant.now();
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static SnsFixture sns;

  static final String BOUNCE = """
      {"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
        "bouncedRecipients":[{"emailAddress":"ann@example.org","action":"failed","status":"5.1.1",
          "diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2026-03-01T12:00:01.000Z"},
       "mail":{"timestamp":"2026-03-01T11:59:59.000Z","messageId":"0102-ses-id","destination":["ann@example.org"],
        "tags":{"postline_mail_id":["01HZMAILID0000000000000003"],"postline_list":["news"]}}}
      """;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    sns = new SnsFixture(dir);
  }

  @AfterAll
  static void stop() {
    sns.close();
  }

  SesSnsWebhook webhook() throws Exception {
    return sns.webhook().clock(CLOCK).build();
  }

  SesSnsWebhook confirmingWebhook() throws Exception {
    return sns.webhook().clock(CLOCK).confirmSubscriptions(true).build();
  }

  @Test
  void signatureVersionsOneAndTwoAreVerifiedAndTheCertificateIsCached() throws Exception {
    SesSnsWebhook webhook = webhook();
    int fetchesBefore = sns.certificateFetches.get();
    for (String version : List.of("1", "2")) {
      List<DeliveryEvent> events = webhook.verify(request(sns.notification(BOUNCE, NOW, version)));
      assertThat(events).hasSize(1);
      DeliveryEvent e = events.get(0);
      assertThat(e.type()).isEqualTo(Type.HARD_BOUNCE);
      assertThat(e.provider()).isEqualTo("ses");
      assertThat(e.recipient().email()).isEqualTo("ann@example.org");
      assertThat(e.mailId()).contains("01HZMAILID0000000000000003");
      assertThat(e.list()).contains("news");
      assertThat(e.smtpStatus()).contains("5.1.1");
      assertThat(e.diagnostic()).contains("smtp; 550 5.1.1 user unknown");
      assertThat(e.providerMessageId()).contains("0102-ses-id");
      assertThat(e.occurredAt()).isEqualTo(Instant.parse("2026-03-01T12:00:01Z"));
    }
    assertThat(sns.certificateFetches.get() - fetchesBefore).isEqualTo(1);
  }

  @Test
  void everySesNotificationKindIsNormalized() throws Exception {
    SesSnsWebhook webhook = webhook();
    String mail = "\"mail\":{\"messageId\":\"m\",\"destination\":[\"ann@example.org\",\"bob@example.org\"]}";
    assertThat(types(webhook, "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Transient\","
        + "\"bouncedRecipients\":[{\"emailAddress\":\"ann@example.org\"}]}," + mail + "}")).containsExactly(Type.SOFT_BOUNCE);
    assertThat(types(webhook, "{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":"
        + "[{\"emailAddress\":\"ann@example.org\"}],\"complaintFeedbackType\":\"abuse\"}," + mail + "}")).containsExactly(Type.COMPLAINED);
    assertThat(types(webhook, "{\"notificationType\":\"Delivery\",\"delivery\":{\"recipients\":"
        + "[\"ann@example.org\",\"bob@example.org\"],\"smtpResponse\":\"250 ok\"}," + mail + "}"))
        .containsExactly(Type.DELIVERED, Type.DELIVERED);
    assertThat(types(webhook, "{\"eventType\":\"DeliveryDelay\",\"deliveryDelay\":{\"delayType\":\"MailboxFull\","
        + "\"delayedRecipients\":[{\"emailAddress\":\"bob@example.org\",\"status\":\"4.2.2\"}]}," + mail + "}"))
        .containsExactly(Type.DEFERRED);
    assertThat(types(webhook, "{\"eventType\":\"Reject\",\"reject\":{\"reason\":\"Bad content\"}," + mail + "}"))
        .containsExactly(Type.REJECTED, Type.REJECTED);
    assertThat(types(webhook, "{\"eventType\":\"Open\",\"open\":{}," + mail + "}")).containsExactly(Type.OPENED, Type.OPENED);
    assertThat(types(webhook, "{\"eventType\":\"Click\",\"click\":{}," + mail + "}")).containsExactly(Type.CLICKED, Type.CLICKED);
    assertThat(types(webhook, "{\"eventType\":\"Send\"," + mail + "}")).isEmpty();
    assertThat(types(webhook, "plain text from another publisher")).isEmpty();
  }

  private static List<Type> types(SesSnsWebhook webhook, String message) {
    return webhook.verify(request(sns.notification(message, NOW, "2"))).stream().map(DeliveryEvent::type).toList();
  }

  @Test
  void tamperedMessagesAndOtherKeysAreRefused() throws Exception {
    SesSnsWebhook webhook = webhook();
    ObjectNode tampered = sns.notification(BOUNCE, NOW, "2");
    tampered.put("Message", BOUNCE.replace("Permanent", "Transient"));
    assertRefused(webhook, tampered, Reason.BAD_SIGNATURE);

    ObjectNode subject = sns.notification(BOUNCE, NOW, "1");
    subject.remove("Subject"); // Subject is signed when present
    assertRefused(webhook, subject, Reason.BAD_SIGNATURE);

    ObjectNode otherKey = SnsFixture.sign(sns.notification(BOUNCE, NOW, "2"), sns.otherSigning.privateKey);
    assertRefused(webhook, otherKey, Reason.BAD_SIGNATURE);

    ObjectNode downgraded = sns.notification(BOUNCE, NOW, "2");
    downgraded.put("SignatureVersion", "1"); // a v2 signature checked as v1 fails
    assertRefused(webhook, downgraded, Reason.BAD_SIGNATURE);

    ObjectNode unknownVersion = sns.notification(BOUNCE, NOW, "2");
    unknownVersion.put("SignatureVersion", "3");
    assertRefused(webhook, unknownVersion, Reason.MALFORMED);
  }

  @Test
  void unknownTopicsAndStaleMessagesAreRefusedBeforeAnyFetch() throws Exception {
    SesSnsWebhook webhook = webhook();
    int fetches = sns.certificateFetches.get();
    ObjectNode otherTopic = sns.notification(BOUNCE, NOW, "2");
    otherTopic.put("TopicArn", "arn:aws:sns:eu-west-1:999999999999:someone-else");
    assertRefused(webhook, SnsFixture.sign(otherTopic, sns.signing.privateKey), Reason.UNKNOWN_TOPIC);
    assertRefused(webhook, sns.notification(BOUNCE, NOW.minus(Duration.ofMinutes(61)), "2"), Reason.STALE);
    assertRefused(webhook, sns.notification(BOUNCE, NOW.plus(Duration.ofMinutes(61)), "2"), Reason.STALE);
    assertThat(sns.certificateFetches.get()).isEqualTo(fetches);
  }

  @Test
  void certificatesFromAnywhereButTheSnsHostAreRefused() throws Exception {
    SesSnsWebhook webhook = webhook();
    int p = sns.port();
    for (String url : List.of(
        "http://localhost:" + p + "/SimpleNotificationService-test.pem",
        "https://localhost:" + (p == 65535 ? p - 1 : p + 1) + "/SimpleNotificationService-test.pem",
        "https://127.0.0.1:" + p + "/SimpleNotificationService-test.pem",
        "https://localhost:" + p + "/SimpleNotificationService-test.txt",
        "https://localhost:" + p + "/SimpleNotificationService-test.pem?x=1",
        "https://user@localhost:" + p + "/SimpleNotificationService-test.pem",
        "https://evil.example/SimpleNotificationService-test.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/x.pem",
        "https://sns.eu-west-1.amazonaws.com@evil.example/x.pem",
        "file:///etc/passwd.pem",
        "not a url")) {
      ObjectNode n = sns.notification(BOUNCE, NOW, "2");
      n.put("SigningCertURL", url);
      assertRefused(webhook, SnsFixture.sign(n, sns.signing.privateKey), Reason.UNTRUSTED_CERTIFICATE_URL);
    }
    // The production settings do not accept the local stand-in at all.
    SesSnsWebhook production = SesSnsWebhook.builder(Set.of(SnsFixture.TOPIC)).clock(CLOCK).build();
    assertRefused(production, sns.notification(BOUNCE, NOW, "2"), Reason.UNTRUSTED_CERTIFICATE_URL);
  }

  @Test
  void redirectsAreNotFollowed() throws Exception {
    ObjectNode n = sns.notification(BOUNCE, NOW, "2");
    n.put("SigningCertURL", "https://localhost:" + sns.port() + "/moved.pem");
    assertRefused(webhook(), SnsFixture.sign(n, sns.signing.privateKey), Reason.CERTIFICATE_UNAVAILABLE);
  }

  @Test
  void aReplayedMessageIsRefused() throws Exception {
    SesSnsWebhook webhook = webhook();
    ObjectNode n = sns.notification(BOUNCE, NOW, "2");
    assertThat(webhook.verify(request(n))).hasSize(1);
    assertRefused(webhook, n, Reason.REPLAYED);
  }

  @Test
  void subscriptionsAreConfirmedOnlyWhenEnabled() throws Exception {
    int before = sns.confirmations.get();
    assertRefused(webhook(), sns.subscriptionConfirmation(NOW), Reason.SUBSCRIPTION_NOT_CONFIRMED);
    assertThat(sns.confirmations.get()).isEqualTo(before);

    SesSnsWebhook confirming = confirmingWebhook();
    assertThat(confirming.verify(request(sns.subscriptionConfirmation(NOW)))).isEmpty();
    assertThat(sns.confirmations.get()).isEqualTo(before + 1);

    ObjectNode forged = sns.subscriptionConfirmation(NOW);
    forged.put("SubscribeURL", "https://evil.example/?Action=ConfirmSubscription");
    assertRefused(confirming, forged, Reason.BAD_SIGNATURE);
    // Signed, yet its SubscribeURL is not on an SNS host: refused, and a refusal changes nothing.
    SnsFixture.sign(forged, sns.signing.privateKey);
    assertRefused(confirming, forged, Reason.SUBSCRIPTION_NOT_CONFIRMED);
    assertRefused(confirming, forged, Reason.SUBSCRIPTION_NOT_CONFIRMED);
    assertThat(sns.confirmations.get()).isEqualTo(before + 1);
  }

  @Test
  void aConfirmationWhoseGetFailedIsForgottenSoSnssRetryConfirms() throws Exception {
    SesSnsWebhook confirming = confirmingWebhook();
    ObjectNode confirmation = sns.subscriptionConfirmation(NOW);
    int before = sns.confirmations.get();
    sns.failingConfirmations.set(1);

    // Not a refusal (the request is authentic): the endpoint answers 5xx and SNS sends it again.
    MailException failed = catchThrowableOfType(MailException.class, () -> confirming.verify(request(confirmation)));
    assertThat(failed).isNotNull().isNotInstanceOf(WebhookRejectedException.class);
    assertThat(failed.getMessage()).contains("5xx").doesNotContain("Token=");
    assertThat(sns.confirmations.get()).isEqualTo(before);

    assertThat(confirming.verify(request(confirmation))).isEmpty();
    assertThat(sns.confirmations.get()).isEqualTo(before + 1);
    assertRefused(confirming, confirmation, Reason.REPLAYED);
    assertThat(sns.confirmations.get()).isEqualTo(before + 1);
  }

  @Test
  void anEmptyAllowlistIsAConfigurationError() {
    assertThatIllegalArgumentException().isThrownBy(() -> SesSnsWebhook.builder(Set.of()));
  }

  private static void assertRefused(SesSnsWebhook webhook, ObjectNode n, Reason reason) {
    WebhookRejectedException e = catchThrowableOfType(WebhookRejectedException.class, () -> webhook.verify(request(n)));
    assertThat(e).as("refused for " + reason).isNotNull();
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.getMessage()).doesNotContain("ann@example.org").doesNotContain(n.path("Signature").asText("x"));
  }
}
