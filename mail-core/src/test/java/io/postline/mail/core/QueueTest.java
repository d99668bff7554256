package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Priority;
import io.postline.mail.event.MailEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The mailer's queue: ordering, schedules, retries by rescheduling, dead letters, shutdown. */
class QueueTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private final InMemoryProvider primary = new InMemoryProvider("primary");
  private final InMemoryProvider backup = new InMemoryProvider("backup");
  private final RecordingListener listener = new RecordingListener();
  private final List<Mailer> mailers = new ArrayList<>();

  @AfterEach
  void closeMailers() {
    mailers.forEach(Mailer::close);
  }

  private MailerBuilder builder() {
    return Mailer.builder().provider(primary).provider(backup).listener(listener).clock(clock)
        .queue(MailQueue.inMemory(1_000, clock));
  }

  private Mailer build(MailerBuilder builder) {
    Mailer mailer = builder.build();
    mailers.add(mailer);
    return mailer;
  }

  private static Email.Builder email(String subject) {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject(subject).text("Hello");
  }

  @Test
  void anEnqueuedEmailIsSentByAWorkerAndItsStoryIsInTheAuditLog() {
    Mailer mailer = build(builder());
    Receipt receipt = mailer.enqueue(email("queued").caller("shop").build());

    assertThat(receipt.duplicate()).isFalse();
    primary.awaitSent(1, WAIT);
    await().atMost(WAIT).until(() -> mailer.audit().find(receipt.id()).size() == 3);
    assertThat(mailer.audit().find(receipt.id())).extracting(MailEvent::type)
        .containsExactly("queued", "sending", "sent");
    assertThat(mailer.audit().find(receipt.id())).allSatisfy(e -> assertThat(e.caller()).contains("shop"));
  }

  @Test
  void higherPrioritiesOvertakeLowerOnesAndEachPriorityIsFifo() {
    Mailer mailer = build(builder().workers(1));
    Instant due = clock.instant().plusSeconds(60);
    for (int i = 1; i <= 3; i++) {
      mailer.enqueue(email("low-" + i).priority(Priority.LOW).sendAt(due).build());
      mailer.enqueue(email("normal-" + i).sendAt(due).build());
      mailer.enqueue(email("high-" + i).priority(Priority.HIGH).sendAt(due).build());
    }
    assertThat(mailer.queueCounts().scheduled()).isEqualTo(9);

    clock.advance(Duration.ofSeconds(61));

    List<Email> sent = primary.awaitSent(9, WAIT);
    assertThat(sent).extracting(e -> e.subject().orElseThrow()).containsExactly(
        "high-1", "high-2", "high-3", "normal-1", "normal-2", "normal-3", "low-1", "low-2", "low-3");
  }

  @Test
  void aScheduledEmailWaitsForItsTime() {
    Mailer mailer = build(builder());
    mailer.enqueue(email("later").sendAt(clock.instant().plus(Duration.ofHours(1))).build());

    assertThat(mailer.queueCounts().scheduled()).isEqualTo(1);
    assertThat(mailer.queueCounts().readyTotal()).isZero();
    clock.advance(Duration.ofMinutes(59));
    assertThat(mailer.queueCounts().scheduled()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(2));
    primary.awaitSent(1, WAIT);
  }

  @Test
  void transientFailuresAreRetriedByReschedulingNotBySleeping() {
    primary.failNext(2, FailureKind.TRANSIENT);
    Mailer mailer = build(builder().workers(1).queueRetry(RetryPolicy.exponential(5, Duration.ofMinutes(1)).withJitter(0)));
    Receipt receipt = mailer.enqueue(email("retry me").build());

    await().atMost(WAIT).until(() -> listener.ofType(MailEvent.RetryScheduled.class).size() == 1);
    assertThat(mailer.queueCounts().scheduled()).isEqualTo(1);
    primary.reset();
    mailer.enqueue(email("meanwhile").build());
    primary.awaitSent(1, WAIT);
    // Moving the clock past the lease while "meanwhile" is still being acked would redeliver it.
    await().atMost(WAIT).until(() -> mailer.queueCounts().pending() == 1);
    assertThat(primary.sent().get(0).subject()).as("the one worker was not blocked by the retry").contains("meanwhile");

    clock.advance(Duration.ofSeconds(61));
    MailEvent.Sent sent = await().atMost(WAIT).until(() -> listener.ofType(MailEvent.Sent.class).stream()
        .filter(e -> e.mailId().equals(receipt.id())).findFirst(), java.util.Optional::isPresent).orElseThrow();
    assertThat(sent.attempts()).isEqualTo(2);
    assertThat(primary.sent()).hasSize(2);
  }

  @Test
  void aMessageWhoseAttemptsRunOutIsDeadLetteredWithItsReasonAndCanBeRequeued() {
    primary.failNext(100, FailureKind.TRANSIENT);
    Mailer mailer = build(Mailer.builder().provider(primary).listener(listener).clock(clock)
        .queue(MailQueue.inMemory(100, clock))
        .queueRetry(RetryPolicy.exponential(2, Duration.ofMinutes(1)).withJitter(0)));
    Receipt receipt = mailer.enqueue(email("doomed").build());

    await().atMost(WAIT).until(() -> mailer.queueCounts().scheduled() == 1);
    clock.advance(Duration.ofMinutes(2));
    await().atMost(WAIT).until(() -> mailer.queueCounts().deadLettered() == 1);

    DeadLetter dead = mailer.deadLetters().list(10).get(0);
    assertThat(dead.id()).isEqualTo(receipt.id());
    assertThat(dead.attempts()).isEqualTo(2);
    assertThat(dead.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(dead.reason()).contains("gave up after 2 attempts", "injected failure");
    assertThat(listener.ofType(MailEvent.DeadLettered.class)).singleElement()
        .satisfies(e -> assertThat(e.mailId()).isEqualTo(receipt.id()));

    primary.reset();
    assertThat(mailer.deadLetters().requeue(receipt.id())).isTrue();
    primary.awaitSent(1, WAIT);
    assertThat(mailer.queueCounts().deadLettered()).isZero();
    assertThat(mailer.deadLetters().requeue(receipt.id())).isFalse();
  }

  @Test
  void whenItsRetriesAreSpentAQueuedMessageFailsOverToTheNextProvider() {
    primary.failNext(100, FailureKind.TRANSIENT);
    Mailer mailer = build(builder().queueRetry(RetryPolicy.exponential(2, Duration.ofMinutes(1)).withJitter(0)));
    Receipt receipt = mailer.enqueue(email("persistent").build());

    await().atMost(WAIT).until(() -> mailer.queueCounts().scheduled() == 1);
    assertThat(backup.sent()).isEmpty();
    clock.advance(Duration.ofMinutes(2));

    backup.awaitSent(1, WAIT);
    await().atMost(WAIT).until(() -> mailer.audit().find(receipt.id()).stream().anyMatch(e -> e instanceof MailEvent.Sent));
    assertThat(mailer.audit().find(receipt.id())).extracting(MailEvent::type).containsExactly("queued",
        "sending", "attempt_failed", "retry_scheduled", "sending", "attempt_failed", "failed_over", "sending", "sent");
    assertThat(mailer.queueCounts().deadLettered()).isZero();
  }

  @Test
  void aWorkerSurvivesAQueueThatFailsToCompleteAMessage() {
    MailQueue memory = MailQueue.inMemory(100, clock);
    java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger(1);
    MailQueue flaky = new ForwardingMailQueue(memory) {
      @Override
      public boolean ack(Lease lease) {
        if (failures.getAndDecrement() > 0) {
          throw new IllegalStateException("connection lost");
        }
        return super.ack(lease);
      }
    };
    Mailer mailer = build(Mailer.builder().provider(primary).clock(clock).queue(flaky).workers(1)
        .leaseDuration(Duration.ofMillis(100)));
    mailer.enqueue(email("first").build());
    primary.awaitSent(1, WAIT);

    clock.advance(Duration.ofSeconds(1));
    List<Email> sent = primary.awaitSent(2, WAIT);
    assertThat(sent).extracting(e -> e.subject().orElseThrow()).as("at-least-once: sent again after its lease lapsed")
        .containsExactly("first", "first");
    mailer.enqueue(email("second").build());
    assertThat(primary.awaitSent(3, WAIT).get(2).subject()).as("the worker is still alive").contains("second");
  }

  @Test
  void aPermanentFailureGoesToTheDeadLettersAtOnceAndCanBePurged() {
    primary.failNext(1, FailureKind.PERMANENT);
    Mailer mailer = build(builder());
    Receipt receipt = mailer.enqueue(email("bad").build());

    await().atMost(WAIT).until(() -> mailer.queueCounts().deadLettered() == 1);
    assertThat(backup.sent()).isEmpty();
    assertThat(mailer.deadLetters().list(10)).singleElement().satisfies(d -> {
      assertThat(d.kind()).isEqualTo(FailureKind.PERMANENT);
      assertThat(d.attempts()).isEqualTo(1);
    });
    assertThat(mailer.deadLetters().purge(receipt.id())).isTrue();
    assertThat(mailer.deadLetters().list(10)).isEmpty();
  }

  @Test
  void anUnavailableProviderFailsOverWithinTheSamePass() {
    primary.failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
    Mailer mailer = build(builder());
    mailer.enqueue(email("failover").build());

    backup.awaitSent(1, WAIT);
    assertThat(listener.ofType(MailEvent.FailedOver.class)).hasSize(1);
  }

  @Test
  void anEmptyTokenBucketReschedulesToWhenATokenIsDue() {
    Mailer mailer = build(builder().rateLimit("primary", 2, Duration.ofMinutes(1)));
    for (int i = 0; i < 4; i++) {
      mailer.enqueue(email("limited-" + i).build());
    }

    primary.awaitSent(2, WAIT);
    await().atMost(WAIT).until(() -> mailer.queueCounts().scheduled() == 2 && mailer.queueCounts().pending() == 2);
    assertThat(backup.sent()).as("rate limits reschedule, they do not fail over").isEmpty();
    assertThat(listener.ofType(MailEvent.RetryScheduled.class))
        .allSatisfy(r -> assertThat(r.delay()).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(1)));

    clock.advance(Duration.ofMinutes(1));
    await().atMost(WAIT).until(() -> listener.ofType(MailEvent.Sent.class).size() == 4);
    assertThat(listener.ofType(MailEvent.Sent.class)).as("a rate-limit wait is not an attempt")
        .allSatisfy(s -> assertThat(s.attempts()).isEqualTo(1));
  }

  @Test
  void aDuplicateEnqueueReturnsTheFirstReceipt() {
    Mailer mailer = build(builder());
    Email keyed = email("once").idempotencyKey("welcome-42").build();
    Receipt first = mailer.enqueue(keyed);
    Receipt second = mailer.enqueue(keyed);

    assertThat(second).isEqualTo(new Receipt(first.id(), true));
    primary.awaitSent(1, WAIT);
    await().atMost(WAIT).until(() -> listener.ofType(MailEvent.Sent.class).size() == 1);
    assertThat(mailer.enqueue(keyed)).isEqualTo(new Receipt(first.id(), true));
    assertThat(listener.ofType(MailEvent.DuplicateDropped.class)).hasSize(2)
        .allSatisfy(d -> assertThat(d.originalMailId()).isEqualTo(first.id()));
    assertThat(primary.sent()).hasSize(1);
  }

  @Test
  void badEmailsFailAtEnqueueAndNothingIsQueued() {
    Mailer mailer = build(builder());
    assertThatThrownBy(() -> mailer.enqueue(Email.builder().from("a@example.org").to("b@example.org")
        .template("no-such-template", Map.of()).build()))
        .isInstanceOf(TemplateException.class);
    primary.capabilities(io.postline.mail.spi.Capabilities.builder().maxRecipients(1).build());
    backup.capabilities(io.postline.mail.spi.Capabilities.builder().maxRecipients(1).build());
    assertThatThrownBy(() -> mailer.enqueue(email("two").cc("bob@example.org").build()))
        .isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("provider primary: at most 1 recipients")
        .hasMessageContaining("provider backup: at most 1 recipients");
    assertThat(mailer.queueCounts().pending()).isZero();
  }

  @Test
  void aFullQueueRefusesWithAClearException() {
    IdempotencyStore keys = IdempotencyStore.inMemory(Duration.ofHours(1));
    Mailer mailer = build(Mailer.builder().provider(primary).clock(clock).queue(MailQueue.inMemory(2, clock))
        .idempotency(keys).listener(listener));
    Instant later = clock.instant().plus(Duration.ofHours(1));
    mailer.enqueue(email("1").sendAt(later).build());
    mailer.enqueue(email("2").sendAt(later).build());
    assertThatThrownBy(() -> mailer.enqueue(email("3").sendAt(later).idempotencyKey("k3").build()))
        .isInstanceOf(QueueFullException.class).hasMessageContaining("2");
    assertThat(mailer.queueCounts().scheduled()).isEqualTo(2);
    assertThat(keys.find("k3")).as("the key of a refused message is free again").isEmpty();
    assertThat(listener.types()).as("no event claims the refused message was queued and left it there")
        .endsWith("queued", "failed");
  }

  @Test
  void theCorrelationIdTravelsWithTheQueuedMessage() {
    Map<String, String> seenOnWorker = new ConcurrentHashMap<>();
    Mailer mailer = build(builder().listener(e -> {
      if (e instanceof MailEvent.Sending s) {
        String id = MDC.get("correlationId");
        seenOnWorker.put(s.mailId(), id == null ? "<none>" : id);
      }
    }));
    MDC.put("correlationId", "req-7");
    Receipt receipt;
    try {
      receipt = mailer.enqueue(email("traced").build());
    } finally {
      MDC.remove("correlationId");
    }
    await().atMost(WAIT).until(() -> seenOnWorker.containsKey(receipt.id()));
    assertThat(seenOnWorker.get(receipt.id())).isEqualTo("req-7");
  }

  @Test
  void closeLetsInFlightSendsFinishAndShutdownReturnsWhatIsStillQueued() {
    primary.latency(Duration.ofMillis(300));
    Mailer mailer = builder().workers(1).build();
    mailer.enqueue(email("in flight").build());
    await().atMost(WAIT).until(() -> !listener.ofType(MailEvent.Sending.class).isEmpty());
    mailer.enqueue(email("scheduled").sendAt(clock.instant().plus(Duration.ofDays(1))).build());

    List<QueuedMail> left = mailer.shutdown(Duration.ofSeconds(5));

    assertThat(primary.sent()).extracting(e -> e.subject().orElseThrow()).containsExactly("in flight");
    assertThat(left).singleElement().satisfies(m -> assertThat(m.email().subject()).contains("scheduled"));
    assertThat(mailer.shutdown(Duration.ofSeconds(1))).isEmpty();
    assertThatThrownBy(() -> mailer.enqueue(email("late").build())).isInstanceOf(IllegalStateException.class);
  }
}
