package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.SendResult;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.feedback.internal.ReplayGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A provider's retry that arrives while the first delivery's handler is still running (a slow
 * answer) is neither applied nor acknowledged: it is {@code IN_PROGRESS}, so the provider sends it
 * again. Had it been acknowledged as a replay and the first handler then failed, its events would
 * be lost. Real threads: the first handler blocks on a latch while the retry is verified.
 */
class RetryWhileInFlightTest {
  private final ExecutorService firstDelivery = Executors.newSingleThreadExecutor();
  private final List<DeliveryEvent> applied = new CopyOnWriteArrayList<>();
  // Set afresh for each first delivery.
  private CountDownLatch handling = new CountDownLatch(1);
  private CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stopThreads() {
    release.countDown();
    firstDelivery.shutdownNow();
  }

  /** One verifier the first delivery reaches, one its retry reaches (the same, or another instance of a fleet). */
  record Fleet(WebhookVerifier first, WebhookVerifier retry, WebhookRequest request) {}

  static Stream<Arguments> fleets() {
    IdempotencyStore shared = IdempotencyStore.inMemory(Duration.ofMinutes(10));
    String mailgunKey = "key-" + UUID.randomUUID();
    MailgunWebhook mailgun = MailgunWebhook.builder(mailgunKey).build();
    KeyPair keys = SendGridWebhookTest.ecKeys();
    String sendgridKey = SendGridWebhookTest.publicKey(keys);
    SendGridWebhook sendgrid = SendGridWebhook.builder(sendgridKey).build();
    return Stream.of(
        Arguments.of(Named.of("mailgun, in process", new Fleet(mailgun, mailgun, mailgun(mailgunKey)))),
        Arguments.of(Named.of("sendgrid, in process", new Fleet(sendgrid, sendgrid, sendgrid(keys)))),
        Arguments.of(Named.of("mailgun, two instances sharing a store", new Fleet(
            MailgunWebhook.builder(mailgunKey).replayStore(shared).build(),
            MailgunWebhook.builder(mailgunKey).replayStore(shared).build(), mailgun(mailgunKey)))),
        Arguments.of(Named.of("sendgrid, two instances sharing a store", new Fleet(
            SendGridWebhook.builder(sendgridKey).replayStore(shared).build(),
            SendGridWebhook.builder(sendgridKey).replayStore(shared).build(), sendgrid(keys)))));
  }

  private static WebhookRequest mailgun(String key) {
    String body = MailgunWebhookTest.body(key, Instant.now().getEpochSecond(), MailgunWebhookTest.token(),
        MailgunWebhookTest.event("failed", ",\"severity\":\"permanent\",\"reason\":\"bounce\""));
    return WebhookRequest.of(body.getBytes(StandardCharsets.UTF_8));
  }

  private static WebhookRequest sendgrid(KeyPair keys) {
    String ts = Long.toString(Instant.now().getEpochSecond());
    byte[] body = "[{\"email\":\"ann@example.org\",\"event\":\"bounce\",\"type\":\"bounce\"}]"
        .getBytes(StandardCharsets.UTF_8);
    return SendGridWebhookTest.request(SendGridWebhookTest.sign(keys, ts, body), ts, body);
  }

  /** Starts the first delivery, whose handler waits for {@link #release} and then fails or applies. */
  private Future<?> firstDelivery(WebhookVerifier verifier, WebhookRequest request, boolean fails) {
    applied.clear();
    handling = new CountDownLatch(1);
    release = new CountDownLatch(1);
    Future<?> first = firstDelivery.submit(() -> verifier.verify(request, events -> {
      handling.countDown();
      await(release);
      if (fails) {
        throw new IllegalStateException("the suppression list is unreachable");
      }
      applied.addAll(events);
    }));
    await(handling);
    return first;
  }

  private Reason refusal(WebhookVerifier verifier, WebhookRequest request) {
    WebhookRejectedException e = catchThrowableOfType(WebhookRejectedException.class,
        () -> verifier.verify(request, (Consumer<List<DeliveryEvent>>) applied::addAll));
    assertThat(e).as("refused").isNotNull();
    assertThat(e.getMessage()).doesNotContain("ann@example.org");
    return e.reason();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void aRetryWhileTheFirstHandlerRunsIsInProgressAndAcceptedAfterThatHandlerFailed(Fleet fleet) throws Exception {
    assertInProgressThenAcceptedAfterTheFirstFailed(fleet);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void aRetryWhileTheFirstHandlerRunsIsInProgressAndAReplayOnceThatHandlerApplied(Fleet fleet) throws Exception {
    assertInProgressThenReplayedAfterTheFirstApplied(fleet);
  }

  /** SNS retries with the same MessageId, so its retries meet the first delivery most often. */
  @Test
  void sesThroughSns(@TempDir Path dir) throws Exception {
    try (SnsFixture sns = new SnsFixture(dir)) {
      SesSnsWebhook ses = sns.webhook().build();
      assertInProgressThenAcceptedAfterTheFirstFailed(new Fleet(ses, ses,
          SnsFixture.request(sns.notification(SesSnsWebhookTest.BOUNCE, Instant.now(), "2"))));
      assertInProgressThenReplayedAfterTheFirstApplied(new Fleet(ses, ses,
          SnsFixture.request(sns.notification(SesSnsWebhookTest.BOUNCE, Instant.now(), "2"))));
    }
  }

  private void assertInProgressThenAcceptedAfterTheFirstFailed(Fleet fleet) throws Exception {
    WebhookVerifier retry = fleet.retry();
    Future<?> first = firstDelivery(fleet.first(), fleet.request(), true);

    assertThat(refusal(retry, fleet.request())).as("not acknowledged while the first may yet fail")
        .isEqualTo(Reason.IN_PROGRESS);
    assertThat(applied).isEmpty();

    release.countDown();
    ExecutionException failed = catchThrowableOfType(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
    assertThat(failed.getCause()).isInstanceOf(IllegalStateException.class);

    // The provider's next retry: the first delivery was forgotten, so this one is applied.
    retry.verify(fleet.request(), applied::addAll);
    assertThat(applied).hasSize(1);
    assertThat(refusal(retry, fleet.request())).isEqualTo(Reason.REPLAYED);
    assertThat(refusal(fleet.first(), fleet.request())).isEqualTo(Reason.REPLAYED);
    assertThat(applied).hasSize(1);
  }

  private void assertInProgressThenReplayedAfterTheFirstApplied(Fleet fleet) throws Exception {
    WebhookVerifier retry = fleet.retry();
    Future<?> first = firstDelivery(fleet.first(), fleet.request(), false);

    assertThat(refusal(retry, fleet.request())).isEqualTo(Reason.IN_PROGRESS);
    release.countDown();
    first.get(10, TimeUnit.SECONDS);

    assertThat(applied).hasSize(1);
    assertThat(refusal(retry, fleet.request())).isEqualTo(Reason.REPLAYED);
    assertThat(applied).hasSize(1);
  }

  @Test
  void aRequestAppliedWhileTheStoreCouldNotMarkItDoneIsAcknowledgedAndNeverAppliedAgain() {
    IdempotencyStore store = IdempotencyStore.inMemory(Duration.ofMinutes(10));
    IdempotencyStore cannotRecord = new IdempotencyStore() {
      @Override
      public Optional<Claim> claim(String key, String mailId) {
        return store.claim(key, mailId);
      }

      @Override
      public Optional<Claim> find(String key) {
        return store.find(key);
      }

      @Override
      public void succeeded(String key, String mailId, SendResult result) {
        throw new IllegalStateException("the store's reply was lost");
      }

      @Override
      public void release(String key, String mailId) {
        store.release(key, mailId);
      }
    };
    String key = "key-" + UUID.randomUUID();
    MailgunWebhook webhook = MailgunWebhook.builder(key).replayStore(cannotRecord).build();
    WebhookRequest request = mailgun(key);

    webhook.verify(request, applied::addAll); // applied: answered 2xx although the store failed after it
    assertThat(applied).hasSize(1);
    // The claim stays in flight: within its lease a retry is asked to come back, not applied twice.
    assertThat(refusal(webhook, request)).isEqualTo(Reason.IN_PROGRESS);
    assertThat(applied).hasSize(1);
  }

  @Test
  void aRequestLeftInFlightByAnInstanceThatDiedIsTakenOverOnceItsLeaseIsOver() throws Exception {
    IdempotencyStore shared = IdempotencyStore.inMemory(Duration.ofMinutes(10));
    String key = "key-" + UUID.randomUUID();
    WebhookRequest request = mailgun(key);
    // The first instance's handler never finishes while the others look: it died mid-work, as far as they can tell.
    Future<?> first = firstDelivery(MailgunWebhook.builder(key).replayStore(shared).build(), request, true);
    MailgunWebhook soon = MailgunWebhook.builder(key).replayStore(shared)
        .clock(Clock.offset(Clock.systemUTC(), ReplayGuard.IN_FLIGHT_LEASE.minusSeconds(10))).build();
    MailgunWebhook later = MailgunWebhook.builder(key).replayStore(shared)
        .clock(Clock.offset(Clock.systemUTC(), ReplayGuard.IN_FLIGHT_LEASE.plusSeconds(10))).build();

    assertThat(refusal(soon, request)).as("within the lease: maybe still at work").isEqualTo(Reason.IN_PROGRESS);
    later.verify(request, applied::addAll);
    assertThat(applied).as("past the lease: taken over and applied").hasSize(1);
    assertThat(refusal(soon, request)).as("and now done for every instance").isEqualTo(Reason.REPLAYED);

    release.countDown(); // the first handler fails at last: it no longer holds the claim, so nothing is forgotten
    assertThat(catchThrowableOfType(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS)).getCause())
        .isInstanceOf(IllegalStateException.class);
    assertThat(refusal(later, request)).isEqualTo(Reason.REPLAYED);
    assertThat(applied).hasSize(1);
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("timed out waiting for the other delivery");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
