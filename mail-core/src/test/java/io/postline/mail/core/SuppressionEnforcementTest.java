package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.Recipient;
import io.postline.mail.RecipientStatus;
import io.postline.mail.RecipientsSuppressedException;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.Capabilities;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine enforces the suppression list: at send, sendAsync, sendBatch, enqueue, enqueueBatch and
 * again when a worker takes a queued message; list-scoped entries, expiry, and a list that fails.
 */
class SuppressionEnforcementTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final byte[] KEY = "enforcement-test-key-of-32-bytes-at-least".getBytes(StandardCharsets.UTF_8);

  private final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private final InMemoryProvider memory = new InMemoryProvider("memory");
  private final SuppressionList list = SuppressionList.inMemory(AddressHasher.hmacSha256(KEY), clock);
  private final RecordingListener listener = new RecordingListener();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<Mailer> mailers = new ArrayList<>();

  @AfterEach
  void closeMailers() {
    mailers.forEach(Mailer::close);
  }

  private Mailer mailer(SuppressionList suppressions) {
    return build(Mailer.builder().provider(memory).suppressionList(suppressions));
  }

  private Mailer build(MailerBuilder builder) {
    Mailer mailer = builder.listener(listener).meterRegistry(meters).clock(clock).build();
    mailers.add(mailer);
    return mailer;
  }

  private void suppress(String address, Reason reason) {
    list.add(SuppressionEntry.of(list.hash(Address.of(address)), reason, "test", clock.instant()));
  }

  private static Email.Builder email() {
    return Email.builder().from("shop@example.org").subject("Hi").text("Hello");
  }

  private double suppressedCount(String reason) {
    var counter = meters.find("postline.mail.suppressed").tag("reason", reason).counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void aSuppressedRecipientIsDroppedWithWhyAndTheOthersGetTheMessage() {
    suppress("bob@example.org", Reason.HARD_BOUNCE);
    Mailer mailer = mailer(list);

    SendResult result = mailer.send(email().to("ann@example.org").cc("bob@example.org").build());

    assertThat(result.accepted()).extracting(Address::email).containsExactly("ann@example.org");
    assertThat(result.suppressed()).singleElement().satisfies(s -> {
      assertThat(s.address().email()).isEqualTo("bob@example.org");
      assertThat(s.status()).isEqualTo(RecipientStatus.Status.SUPPRESSED);
      assertThat(s.reason()).contains("hard_bounce");
    });
    assertThat(memory.sent()).singleElement()
        .satisfies(e -> assertThat(e.recipients()).extracting(Address::email).containsExactly("ann@example.org"));
    List<MailEvent> trail = mailer.audit().find(result.mailId().orElseThrow());
    assertThat(trail).extracting(MailEvent::type).containsExactly("suppressed", "sending", "sent");
    assertThat(trail.get(0)).isInstanceOfSatisfying(MailEvent.Suppressed.class, e -> {
      assertThat(e.reason()).isEqualTo("hard_bounce");
      assertThat(e.list()).isEmpty();
    });
    assertThat(trail.get(0).toString()).doesNotContain("bob");
    assertThat(suppressedCount("hard_bounce")).isEqualTo(1.0);
  }

  @Test
  void whenEveryRecipientIsSuppressedNoProviderIsCalledAndTheCallSaysSo() {
    suppress("bob@example.org", Reason.COMPLAINT);
    suppress("cy@example.org", Reason.HARD_BOUNCE);
    Mailer mailer = mailer(list);
    Email email = email().to("bob@example.org").bcc("cy@example.org").idempotencyKey("k-1").build();

    RecipientsSuppressedException sync = catchThrowableOfType(RecipientsSuppressedException.class,
        () -> mailer.send(email));
    assertThat(sync.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(sync.recipients()).extracting(r -> r.reason().orElseThrow()).containsExactly("complaint", "hard_bounce");
    assertThat(sync.getMessage()).doesNotContain("bob").doesNotContain("cy@");
    assertThat(mailer.audit().find(sync.mailId().orElseThrow())).extracting(MailEvent::type)
        .containsExactly("suppressed", "suppressed", "failed");
    assertThat(listener.ofType(MailEvent.Failed.class)).singleElement()
        .satisfies(f -> assertThat(f.provider()).isEqualTo(RecipientsSuppressedException.PROVIDER));

    assertThatThrownBy(() -> mailer.sendAsync(email).join()).isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(RecipientsSuppressedException.class);
    assertThatThrownBy(() -> mailer.enqueue(email)).isInstanceOf(RecipientsSuppressedException.class);

    assertThat(memory.sent()).isEmpty();
    assertThat(listener.ofType(MailEvent.Sending.class)).as("no provider call was even started").isEmpty();
    assertThat(listener.ofType(MailEvent.Queued.class)).isEmpty();
    assertThat(mailer.queueCounts().pending()).isZero();
    assertThat(listener.ofType(MailEvent.DuplicateDropped.class))
        .as("a suppressed message frees its idempotency key: removing the entry lets it go later").isEmpty();
    assertThat(suppressedCount("complaint")).isEqualTo(3.0);
  }

  @Test
  void aBounceOnOneRecipientOfAGroupSendDropsOnlyThatRecipientNextTime() {
    Mailer mailer = mailer(list);
    Email group = email().build();
    List<Recipient> recipients = List.of(Recipient.of("ann@example.org"), Recipient.of("bob@example.org"),
        Recipient.of("cy@example.org"));
    assertThat(mailer.sendBatch(group, recipients).allSent()).isTrue();
    suppress("bob@example.org", Reason.HARD_BOUNCE); // what DeliveryFeedback does on the bounce webhook
    memory.clear();

    BatchResult again = mailer.sendBatch(group, recipients);

    assertThat(again.sent()).extracting(i -> i.recipient().email()).containsExactly("ann@example.org", "cy@example.org");
    assertThat(again.failed()).singleElement().satisfies(item -> {
      assertThat(item.recipient().email()).isEqualTo("bob@example.org");
      assertThat(item.failure()).get().isInstanceOfSatisfying(RecipientsSuppressedException.class,
          e -> assertThat(e.recipients()).extracting(r -> r.reason().orElseThrow()).containsExactly("hard_bounce"));
    });
    assertThat(memory.sent()).extracting(e -> e.to().get(0).email())
        .containsExactlyInAnyOrder("ann@example.org", "cy@example.org");

    memory.clear();
    List<Receipt> receipts = mailer.enqueueBatch(group, recipients);

    assertThat(receipts.get(0).suppressed()).isEmpty();
    assertThat(receipts.get(1).suppressed()).singleElement()
        .satisfies(s -> assertThat(s.reason()).contains("hard_bounce"));
    assertThat(receipts.get(2).suppressed()).isEmpty();
    memory.awaitSent(2, WAIT);
    assertThat(mailer.audit().find(receipts.get(1).id())).extracting(MailEvent::type)
        .containsExactly("suppressed", "failed");
    await().atMost(WAIT).until(() -> mailer.queueCounts().pending() == 0);
    assertThat(memory.sentTo("bob@example.org")).isEmpty();
    assertThat(mailer.queueCounts().deadLettered()).isZero();
  }

  @Test
  void anEntryAddedWhileAMessageWaitsInTheQueueDropsItWhenAWorkerTakesIt() {
    MailQueue queue = MailQueue.inMemory(100, clock);
    Mailer producer = build(Mailer.builder().provider(memory).queue(queue).workers(0).suppressionList(list));
    Receipt whole = producer.enqueue(email().to("bob@example.org").build());
    Receipt partial = producer.enqueue(email().to("ann@example.org", "bob@example.org").build());
    assertThat(whole.suppressed()).isEmpty();

    suppress("bob@example.org", Reason.UNSUBSCRIBE);
    Mailer worker = build(Mailer.builder().provider(memory).queue(queue).workers(1).suppressionList(list));

    memory.awaitSent(1, WAIT);
    await().atMost(WAIT).until(() -> worker.queueCounts().pending() == 0
        && worker.audit().find(whole.id()).stream().anyMatch(e -> e instanceof MailEvent.Failed));
    assertThat(memory.sent()).singleElement()
        .satisfies(e -> assertThat(e.recipients()).extracting(Address::email).containsExactly("ann@example.org"));
    assertThat(worker.audit().find(whole.id())).extracting(MailEvent::type)
        .as("dropped, not dead-lettered: requeueing it would only be suppressed again")
        .containsExactly("suppressed", "failed");
    assertThat(worker.audit().find(partial.id())).extracting(MailEvent::type)
        .containsExactly("suppressed", "sending", "sent");
    assertThat(worker.deadLetters().list(10)).isEmpty();
  }

  @Test
  void aListUnsubscribeStopsOnlyMailOfThatListAndTransactionalMailStillGoes() {
    list.add(SuppressionEntry.of(list.hash(Address.of("ann@example.org")), Reason.UNSUBSCRIBE, "one-click",
        clock.instant()).forList("news"));
    Mailer mailer = mailer(list);

    RecipientsSuppressedException news = catchThrowableOfType(RecipientsSuppressedException.class,
        () -> mailer.send(email().to("ann@example.org").metadata(SuppressionList.LIST_METADATA_KEY, "news").build()));
    SendResult offers = mailer.send(email().to("ann@example.org").metadata(SuppressionList.LIST_METADATA_KEY, "offers")
        .build());
    SendResult receipt = mailer.send(email().to("ann@example.org").subject("Your receipt").build());

    assertThat(news.recipients()).extracting(r -> r.reason().orElseThrow()).containsExactly("unsubscribe");
    assertThat(listener.ofType(MailEvent.Suppressed.class)).singleElement()
        .satisfies(e -> assertThat(e.list()).contains("news"));
    assertThat(offers.accepted()).hasSize(1);
    assertThat(receipt.accepted()).hasSize(1);
    assertThat(memory.sent()).hasSize(2);
  }

  @Test
  void anExpiredEntryNoLongerSuppresses() {
    list.add(SuppressionEntry.of(list.hash(Address.of("ann@example.org")), Reason.SOFT_BOUNCES, "mailgun",
        clock.instant()).until(clock.instant().plus(Duration.ofHours(1))));
    Mailer mailer = mailer(list);

    assertThatThrownBy(() -> mailer.send(email().to("ann@example.org").build()))
        .isInstanceOf(RecipientsSuppressedException.class).hasMessageContaining("soft_bounces");
    clock.advance(Duration.ofHours(1));

    assertThat(mailer.send(email().to("ann@example.org").build()).accepted()).hasSize(1);
  }

  @Test
  void aSuppressionListThatThrowsFailsClosedForASend() {
    for (Throwable failure : List.<Throwable>of(new IllegalStateException("redis down, key " + TestSecrets.IN_EXCEPTION),
        new NoClassDefFoundError("io/lettuce/" + TestSecrets.IN_EXCEPTION))) {
      Mailer mailer = mailer(new FailingList(() -> failure));

      SendFailedException e = catchThrowableOfType(SendFailedException.class,
          () -> mailer.send(email().to("ann@example.org").build()));

      assertThat(e).isNotInstanceOf(RecipientsSuppressedException.class);
      assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
      assertThat(e.provider()).isEqualTo("suppression-list");
      assertThat(e.getMessage()).contains(failure.getClass().getName()).doesNotContain(TestSecrets.IN_EXCEPTION);
      assertThat(e.getCause()).isSameAs(failure);
      assertThat(mailer.audit().find(e.mailId().orElseThrow())).extracting(MailEvent::type).containsExactly("failed");
      assertThat(mailer.sendBatch(email().build(), List.of(Recipient.of("bob@example.org"))).items().get(0).failure())
          .get().isInstanceOf(SendFailedException.class).extracting(Throwable::getMessage).asString()
          .contains("could not be checked");
    }
    assertThat(memory.sent()).as("nothing goes out unchecked").isEmpty();
  }

  @Test
  void aQueuedMessageWaitsWhileTheListFailsAndIsSentOnceItAnswersAgain() {
    FailingList flaky = new FailingList(() -> new OutOfMemoryError("Java heap space"));
    Mailer mailer = mailer(flaky);

    Receipt receipt = mailer.enqueue(email().to("ann@example.org").build());

    assertThat(receipt.suppressed()).as("the enqueue went through: the worker checks before sending").isEmpty();
    await().atMost(WAIT).until(() -> !listener.ofType(MailEvent.RetryScheduled.class).isEmpty());
    assertThat(listener.ofType(MailEvent.AttemptFailed.class)).singleElement().satisfies(f -> {
      assertThat(f.provider()).isEqualTo("suppression-list");
      assertThat(f.kind()).isEqualTo(FailureKind.TRANSIENT);
    });
    assertThat(memory.sent()).isEmpty();

    flaky.failure = null;
    clock.advance(Duration.ofMinutes(1));
    memory.awaitSent(1, WAIT);
    await().atMost(WAIT).until(() -> mailer.audit().find(receipt.id()).stream().anyMatch(e -> e instanceof MailEvent.Sent));
    assertThat(mailer.audit().find(receipt.id())).extracting(MailEvent::type)
        .containsExactly("queued", "attempt_failed", "retry_scheduled", "sending", "sent");
  }

  @Test
  void aQueuedMessageWhoseListKeepsFailingIsDeadLetteredWhenItsAttemptsAreSpent() {
    Mailer mailer = build(Mailer.builder().provider(memory).queueRetry(RetryPolicy.exponential(1, Duration.ofSeconds(1)))
        .suppressionList(new FailingList(() -> new IllegalStateException("connection refused"))));

    Receipt receipt = mailer.enqueue(email().to("ann@example.org").build());

    await().atMost(WAIT).until(() -> mailer.queueCounts().deadLettered() == 1);
    assertThat(listener.ofType(MailEvent.DeadLettered.class)).singleElement().satisfies(d -> {
      assertThat(d.mailId()).isEqualTo(receipt.id());
      assertThat(d.kind()).isEqualTo(FailureKind.TRANSIENT);
      assertThat(d.reason()).contains("suppression list could not be checked");
    });
    assertThat(memory.sent()).isEmpty();
  }

  @Test
  void theMailIdGoesToProvidersThatCarryMetadataOnly() {
    Mailer mailer = mailer(list);
    SendResult result = mailer.send(email().to("ann@example.org").metadata("postline_mail_id", "forged").build());
    assertThat(memory.lastSent().orElseThrow().metadata())
        .containsEntry(Mailer.MAIL_ID_METADATA_KEY, result.mailId().orElseThrow());

    InMemoryProvider plain = new InMemoryProvider("plain")
        .capabilities(Capabilities.builder().metadata(false).build());
    Mailer noMetadata = build(Mailer.builder().provider(plain));
    noMetadata.send(email().to("ann@example.org").build());
    assertThat(plain.lastSent().orElseThrow().metadata()).isEmpty();
  }

  @Test
  void aDeliveryReportEndsTheMessagesStory() {
    Mailer mailer = mailer(list);
    String id = mailer.send(email().to("ann@example.org").build()).mailId().orElseThrow();

    mailer.recordDelivery(new MailEvent.Delivery(id, clock.instant(), Optional.empty(), "ses",
        MailEvent.Delivery.Status.DELIVERED, Optional.of("2.0.0")));

    assertThat(mailer.audit().find(id)).extracting(MailEvent::type).containsExactly("sending", "sent", "delivery");
    assertThat(listener.ofType(MailEvent.Delivery.class)).singleElement()
        .satisfies(d -> assertThat(d.status()).isEqualTo(MailEvent.Delivery.Status.DELIVERED));
    assertThat(meters.get("postline.mail.deliveries").tag("provider", "ses").tag("status", "delivered").counter()
        .count()).isEqualTo(1.0);
  }

  @Test
  void withoutASuppressionListNothingIsLookedUp() {
    Mailer mailer = build(Mailer.builder().provider(memory));
    assertThat(mailer.send(email().to("bob@example.org").build()).recipients())
        .extracting(RecipientStatus::status).containsExactly(RecipientStatus.Status.ACCEPTED);
  }

  /** A suppression list whose look-ups throw what {@link #failure} gives, or answer "not suppressed" when it is null. */
  private final class FailingList implements SuppressionList {
    volatile @Nullable Supplier<Throwable> failure;

    FailingList(Supplier<Throwable> failure) {
      this.failure = failure;
    }

    @Override
    public AddressHash hash(Address address) {
      return list.hash(address);
    }

    @Override
    public void add(SuppressionEntry entry) {
      list.add(entry);
    }

    @Override
    public Optional<SuppressionEntry> find(AddressHash address, @Nullable String listId) {
      Supplier<Throwable> f = failure;
      if (f != null) {
        Throwable t = f.get();
        if (t instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) t;
      }
      return list.find(address, listId);
    }

    @Override
    public int remove(AddressHash address) {
      return list.remove(address);
    }

    @Override
    public int recordSoftBounce(AddressHash address, Duration window) {
      return list.recordSoftBounce(address, window);
    }

    @Override
    public List<SuppressionEntry> list() {
      return list.list();
    }

    @Override
    public long count() {
      return list.count();
    }
  }
}
