package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.core.IdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WebhookVerifier#verify(WebhookRequest, Consumer)}: a request whose events could not be
 * applied (the handler threw) is not remembered, so the provider's retry of it is accepted once;
 * a request that was applied is a replay afterwards.
 */
class ReplayAfterFailureTest {
  private final List<DeliveryEvent> applied = new ArrayList<>();
  private boolean failing = true;

  private void handler(List<DeliveryEvent> events) {
    if (failing) {
      throw new IllegalStateException("the suppression list is unreachable");
    }
    applied.addAll(events);
  }

  private void assertRetriedOnceThenReplay(WebhookVerifier verifier, WebhookRequest request) {
    assertThatThrownBy(() -> verifier.verify(request, this::handler)).isInstanceOf(IllegalStateException.class);
    assertThat(applied).isEmpty();
    failing = false;
    verifier.verify(request, this::handler);
    assertThat(applied).hasSize(1);
    WebhookRejectedException replay = catchThrowableOfType(WebhookRejectedException.class,
        () -> verifier.verify(request, this::handler));
    assertThat(replay.reason()).isEqualTo(Reason.REPLAYED);
    assertThat(applied).hasSize(1);
  }

  @Test
  void mailgunForgetsATokenWhoseEventsWereNotApplied() {
    String key = "key-" + UUID.randomUUID();
    MailgunWebhook webhook = MailgunWebhook.builder(key).build();
    long now = Instant.now().getEpochSecond();
    String body = MailgunWebhookTest.body(key, now, MailgunWebhookTest.token(),
        MailgunWebhookTest.event("failed", ",\"severity\":\"permanent\",\"reason\":\"bounce\""));
    assertRetriedOnceThenReplay(webhook, WebhookRequest.of(body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void sesForgetsAMessageIdWhoseEventsWereNotApplied(@TempDir Path dir) throws Exception {
    try (SnsFixture sns = new SnsFixture(dir)) {
      Instant now = Instant.now();
      String bounce = SesSnsWebhookTest.BOUNCE;
      assertRetriedOnceThenReplay(sns.webhook().build(), SnsFixture.request(sns.notification(bounce, now, "2")));
    }
  }

  @Test
  void sendgridForgetsARequestWhoseEventsWereNotApplied() {
    KeyPair keys = SendGridWebhookTest.ecKeys();
    SendGridWebhook webhook = SendGridWebhook.builder(SendGridWebhookTest.publicKey(keys)).build();
    String ts = Long.toString(Instant.now().getEpochSecond());
    byte[] body = "[{\"email\":\"ann@example.org\",\"event\":\"bounce\",\"type\":\"bounce\"}]"
        .getBytes(StandardCharsets.UTF_8);
    assertRetriedOnceThenReplay(webhook,
        SendGridWebhookTest.request(SendGridWebhookTest.sign(keys, ts, body), ts, body));
  }

  @Test
  void aSharedStoreForgetsARequestWhoseEventsWereNotApplied() {
    String key = "key-" + UUID.randomUUID();
    IdempotencyStore shared = IdempotencyStore.inMemory(Duration.ofMinutes(10));
    MailgunWebhook one = MailgunWebhook.builder(key).replayStore(shared).build();
    MailgunWebhook two = MailgunWebhook.builder(key).replayStore(shared).build();
    String body = MailgunWebhookTest.body(key, Instant.now().getEpochSecond(), MailgunWebhookTest.token(),
        MailgunWebhookTest.event("failed", ",\"severity\":\"permanent\",\"reason\":\"bounce\""));
    WebhookRequest request = WebhookRequest.of(body.getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> one.verify(request, this::handler)).isInstanceOf(IllegalStateException.class);
    failing = false;
    // The provider's retry reaches the other instance, which accepts it; a replay to either is refused.
    two.verify(request, this::handler);
    assertThat(applied).hasSize(1);
    for (MailgunWebhook instance : List.of(one, two)) {
      assertThat(catchThrowableOfType(WebhookRejectedException.class, () -> instance.verify(request, this::handler))
          .reason()).isEqualTo(Reason.REPLAYED);
    }
    assertThat(applied).hasSize(1);
  }

  @Test
  void aRefusedRequestNeverReachesTheHandler() {
    MailgunWebhook webhook = MailgunWebhook.builder("key-" + UUID.randomUUID()).build();
    String forged = MailgunWebhookTest.body("other-key", Instant.now().getEpochSecond(), MailgunWebhookTest.token(),
        MailgunWebhookTest.event("failed", ",\"severity\":\"permanent\""));
    failing = false;
    assertThat(catchThrowableOfType(WebhookRejectedException.class, () -> webhook.verify(
        WebhookRequest.of(forged.getBytes(StandardCharsets.UTF_8)), this::handler)).reason())
        .isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(applied).isEmpty();
  }
}
