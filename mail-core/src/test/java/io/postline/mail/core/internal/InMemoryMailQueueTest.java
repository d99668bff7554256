package io.postline.mail.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.MailException;
import io.postline.mail.Priority;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.MutableClock;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

class InMemoryMailQueueTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Map<Priority, Email> EMAILS = new EnumMap<>(Priority.class);

  static {
    for (Priority p : Priority.values()) {
      EMAILS.put(p, Email.builder().from("shop@example.org").to("ann@example.org")
          .subject("Hi").text("secret body text").priority(p).build());
    }
  }

  private final MutableClock clock = MutableClock.at(T0);
  private final List<Thread> threads = new ArrayList<>();
  private Logger queueLogger;
  private ListAppender<ILoggingEvent> logs;

  @AfterEach
  void stopThreadsAndLogs() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt();
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
    if (logs != null) {
      queueLogger.detachAppender(logs);
    }
  }

  // ---- ordering -------------------------------------------------------------------------------

  @Test
  void takesHighThenNormalThenLowAndFifoWithinOnePriority() throws Exception {
    MailQueue queue = queue(100);
    List<String> expected = List.of("H1", "H2", "H3", "N1", "N2", "N3", "L1", "L2", "L3");
    for (String id : List.of("L1", "N1", "H1", "N2", "L2", "H2", "H3", "L3", "N3")) {
      queue.enqueue(mail(id, priorityOf(id)));
    }

    List<String> taken = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      taken.add(takeNow(queue).orElseThrow().id());
    }

    assertThat(taken).containsExactlyElementsOf(expected);
    assertThat(takeNow(queue)).isEmpty();
  }

  @Test
  void enqueueOrderDecidesTiesNotTimestamps() throws Exception {
    MailQueue queue = queue(100);
    // Same priority, same instant, and an enqueuedAt that runs backwards: enqueue order wins.
    queue.enqueue(new QueuedMail("first", EMAILS.get(Priority.NORMAL), 0, T0.plusSeconds(5), T0, Optional.empty()));
    queue.enqueue(new QueuedMail("second", EMAILS.get(Priority.NORMAL), 0, T0, T0, Optional.empty()));

    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("first");
    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("second");
  }

  @Test
  void doesNotTakeAScheduledMessageBeforeItIsDue() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("later", Priority.HIGH, T0.plus(Duration.ofMinutes(10))));
    queue.enqueue(mail("sooner", Priority.LOW, T0.plus(Duration.ofMinutes(5))));

    assertThat(takeNow(queue)).isEmpty();
    assertThat(queue.counts().scheduled()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(5).minusMillis(1));
    assertThat(takeNow(queue)).isEmpty();

    clock.advance(Duration.ofMillis(1));
    Lease sooner = takeNow(queue).orElseThrow();
    assertThat(sooner.id()).isEqualTo("sooner");
    assertThat(takeNow(queue)).isEmpty();

    clock.advance(Duration.ofMinutes(5));
    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("later");
  }

  @Test
  void aDueScheduledMessageStillYieldsToHigherPriority() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("scheduled-low", Priority.LOW, T0.plusSeconds(60)));
    queue.enqueue(mail("now-normal", Priority.NORMAL));
    clock.advance(Duration.ofSeconds(60));

    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("now-normal");
    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("scheduled-low");
  }

  // ---- waiting --------------------------------------------------------------------------------

  @Test
  @Timeout(30)
  void aWaitingTakeWakesUpWhenAnotherThreadEnqueues() throws Exception {
    MailQueue queue = queue(100);
    FutureTask<Optional<Lease>> taker = new FutureTask<>(() -> queue.take(Duration.ofSeconds(60), LEASE));
    Thread thread = start(taker);
    await().atMost(Duration.ofSeconds(10)).until(() -> thread.getState() == Thread.State.TIMED_WAITING);

    long start = System.nanoTime();
    queue.enqueue(mail("m1", Priority.NORMAL));
    Optional<Lease> lease = taker.get(20, TimeUnit.SECONDS);

    assertThat(lease).map(Lease::id).contains("m1");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  @Timeout(30)
  void takeReturnsEmptyAfterItsWaitWhenNothingIsDueEvenIfTheClockStandsStill() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("in-an-hour", Priority.HIGH, T0.plus(Duration.ofHours(1))));

    long start = System.nanoTime();
    Optional<Lease> lease = queue.take(Duration.ofMillis(200), LEASE);
    Duration waited = Duration.ofNanos(System.nanoTime() - start);

    assertThat(lease).isEmpty();
    assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(200)).isLessThan(Duration.ofSeconds(20));
    assertThat(queue.counts().scheduled()).isEqualTo(1);
  }

  @Test
  void takeWithZeroWaitReturnsAtOnce() throws Exception {
    MailQueue queue = queue(100);
    long start = System.nanoTime();

    assertThat(queue.take(Duration.ZERO, LEASE)).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  @Timeout(30)
  void aWaitingTakeWakesUpWhenTheEarliestScheduledMessageIsDueOnTheSystemClock() throws Exception {
    MailQueue queue = new InMemoryMailQueue(100, Clock.systemUTC());
    Instant due = Instant.now().plusMillis(300);
    queue.enqueue(mail("soon", Priority.NORMAL, due));

    Optional<Lease> lease = queue.take(Duration.ofSeconds(20), LEASE);

    assertThat(lease).map(Lease::id).contains("soon");
    assertThat(Instant.now()).isAfterOrEqualTo(due);
  }

  @Test
  @Timeout(30)
  void drainWakesAWaitingTake() throws Exception {
    MailQueue queue = queue(100);
    FutureTask<Optional<Lease>> taker = new FutureTask<>(() -> queue.take(Duration.ofSeconds(60), LEASE));
    Thread thread = start(taker);
    await().atMost(Duration.ofSeconds(10)).until(() -> thread.getState() == Thread.State.TIMED_WAITING);

    queue.drain();

    assertThat(taker.get(20, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  @Timeout(30)
  void anInterruptedTakeThrows() throws Exception {
    MailQueue queue = queue(100);
    FutureTask<Optional<Lease>> taker = new FutureTask<>(() -> queue.take(Duration.ofSeconds(60), LEASE));
    Thread thread = start(taker);
    await().atMost(Duration.ofSeconds(10)).until(() -> thread.getState() == Thread.State.TIMED_WAITING);

    thread.interrupt();

    assertThatThrownBy(() -> taker.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(InterruptedException.class);
  }

  @Test
  @Timeout(30)
  void everyWaitingTakeGetsAMessageWhenSeveralArriveTogether() throws Exception {
    MailQueue queue = queue(100);
    List<FutureTask<Optional<Lease>>> takers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      FutureTask<Optional<Lease>> taker = new FutureTask<>(() -> queue.take(Duration.ofSeconds(60), LEASE));
      takers.add(taker);
      Thread thread = start(taker);
      await().atMost(Duration.ofSeconds(10)).until(() -> thread.getState() == Thread.State.TIMED_WAITING);
    }

    for (int i = 0; i < 4; i++) {
      queue.enqueue(mail("m" + i, Priority.NORMAL));
    }

    List<String> ids = new ArrayList<>();
    for (FutureTask<Optional<Lease>> taker : takers) {
      ids.add(taker.get(20, TimeUnit.SECONDS).orElseThrow().id());
    }
    assertThat(ids).containsExactlyInAnyOrder("m0", "m1", "m2", "m3");
  }

  @Test
  @Timeout(30)
  void aWaitingTakeWakesUpWhenALeaseLapsesOnTheSystemClock() throws Exception {
    MailQueue queue = new InMemoryMailQueue(100, Clock.systemUTC());
    queue.enqueue(new QueuedMail("m1", EMAILS.get(Priority.NORMAL), 0, Instant.now(), Instant.now(), Optional.empty()));
    Lease first = queue.take(Duration.ZERO, Duration.ofMillis(300)).orElseThrow();

    Optional<Lease> second = queue.take(Duration.ofSeconds(20), LEASE);

    assertThat(second).map(Lease::id).contains("m1");
    assertThat(Instant.now()).isAfterOrEqualTo(first.expiresAt());
    assertThat(queue.ack(first)).isFalse();
    assertThat(queue.ack(second.orElseThrow())).isTrue();
  }

  // ---- leases ---------------------------------------------------------------------------------

  @Test
  void leasesGetGrowingTokensAndExpireAfterLeaseFor() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("a", Priority.NORMAL));
    queue.enqueue(mail("b", Priority.NORMAL));

    Lease a = queue.take(Duration.ZERO, Duration.ofSeconds(30)).orElseThrow();
    Lease b = queue.take(Duration.ZERO, Duration.ofSeconds(45)).orElseThrow();

    assertThat(b.token()).isGreaterThan(a.token());
    assertThat(a.expiresAt()).isEqualTo(T0.plusSeconds(30));
    assertThat(b.expiresAt()).isEqualTo(T0.plusSeconds(45));
  }

  @Test
  void aLapsedLeaseReturnsTheMessageAndItsOldTokenIsRefused() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(new QueuedMail("m1", EMAILS.get(Priority.NORMAL), 2, T0, T0, Optional.of("corr-1")));
    Lease old = takeNow(queue).orElseThrow();

    clock.advance(LEASE);

    QueueCounts counts = queue.counts();
    assertThat(counts.leased()).isZero();
    assertThat(counts.ready()).containsEntry(Priority.NORMAL, 1L);
    assertThat(queue.ack(old)).isFalse();
    assertThat(queue.reschedule(old, T0.plusSeconds(3600), 5)).isFalse();
    assertThat(queue.deadLetter(old, 5, FailureKind.PERMANENT, "gone")).isFalse();
    assertThat(queue.renew(old, LEASE)).isEmpty();
    assertThat(queue.counts()).isEqualTo(counts);
    assertThat(queue.deadLetters(10)).isEmpty();

    Lease again = takeNow(queue).orElseThrow();
    assertThat(again.id()).isEqualTo("m1");
    assertThat(again.token()).isGreaterThan(old.token());
    assertThat(again.mail().attempts()).isEqualTo(2);
    assertThat(again.mail().correlationId()).contains("corr-1");
    assertThat(queue.ack(old)).isFalse();
    assertThat(queue.counts().leased()).isEqualTo(1);
    assertThat(queue.ack(again)).isTrue();
    assertThat(queue.counts().pending()).isZero();
  }

  @Test
  void aLapsedLeaseIsRefusedEvenBeforeAnotherTakeOrCount() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("m1", Priority.NORMAL));
    Lease lease = takeNow(queue).orElseThrow();

    clock.advance(LEASE.plusMillis(1));

    assertThat(queue.ack(lease)).isFalse();
    assertThat(takeNow(queue)).map(Lease::id).contains("m1");
  }

  @Test
  void aLapsedMessageKeepsItsPlaceInTheOrder() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("first", Priority.NORMAL));
    takeNow(queue).orElseThrow();
    queue.enqueue(mail("second", Priority.NORMAL));

    clock.advance(LEASE);

    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("first");
    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("second");
  }

  @Test
  void renewExtendsTheLeaseAndKeepsTheToken() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("m1", Priority.NORMAL));
    Lease lease = takeNow(queue).orElseThrow();

    clock.advance(Duration.ofSeconds(20));
    Lease renewed = queue.renew(lease, LEASE).orElseThrow();
    assertThat(renewed.token()).isEqualTo(lease.token());
    assertThat(renewed.expiresAt()).isEqualTo(T0.plusSeconds(50));

    clock.advance(Duration.ofSeconds(20)); // 40 s after the take: the first lease would have lapsed
    assertThat(queue.counts().leased()).isEqualTo(1);
    assertThat(takeNow(queue)).isEmpty();

    assertThat(queue.ack(renewed)).isTrue();
    assertThat(queue.counts().pending()).isZero();
  }

  @Test
  void aRenewedLeaseStillLapsesAtItsNewExpiry() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("m1", Priority.NORMAL));
    Lease lease = takeNow(queue).orElseThrow();
    Lease renewed = queue.renew(lease, Duration.ofSeconds(60)).orElseThrow();

    clock.advance(Duration.ofSeconds(60));

    assertThat(queue.renew(renewed, LEASE)).isEmpty();
    assertThat(queue.counts().ready()).containsEntry(Priority.NORMAL, 1L);
  }

  @Test
  void ackRemovesTheMessageOnce() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("m1", Priority.NORMAL));
    Lease lease = takeNow(queue).orElseThrow();

    assertThat(queue.ack(lease)).isTrue();
    assertThat(queue.ack(lease)).isFalse();
    assertThat(queue.counts().pending()).isZero();
    assertThat(takeNow(queue)).isEmpty();
  }

  @Test
  void rescheduleSetsTheAttemptsAndTheDueTime() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("m1", Priority.HIGH));
    Lease lease = takeNow(queue).orElseThrow();
    Instant retryAt = T0.plus(Duration.ofMinutes(5));

    assertThat(queue.reschedule(lease, retryAt, 3)).isTrue();

    assertThat(queue.counts().scheduled()).isEqualTo(1);
    assertThat(queue.counts().leased()).isZero();
    assertThat(takeNow(queue)).isEmpty();
    assertThat(queue.ack(lease)).isFalse();

    clock.advance(Duration.ofMinutes(5));
    Lease retry = takeNow(queue).orElseThrow();
    assertThat(retry.id()).isEqualTo("m1");
    assertThat(retry.mail().attempts()).isEqualTo(3);
    assertThat(retry.mail().dueAt()).isEqualTo(retryAt);
    assertThat(retry.mail().enqueuedAt()).isEqualTo(T0);
  }

  @Test
  void rescheduleToNowMakesTheMessageReadyAtOnce() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("m1", Priority.LOW));
    Lease lease = takeNow(queue).orElseThrow();

    assertThat(queue.reschedule(lease, T0, 0)).isTrue();

    assertThat(queue.counts().ready()).containsEntry(Priority.LOW, 1L);
    assertThat(takeNow(queue)).map(Lease::id).contains("m1");
  }

  // ---- dead letters ---------------------------------------------------------------------------

  @Test
  void deadLettersAreListedNewestFirstWithTheirReasonAndAttempts() throws Exception {
    MailQueue queue = queue(100);
    deadLetter(queue, "d1", 3, FailureKind.TRANSIENT, "451 try later");
    clock.advance(Duration.ofSeconds(1));
    deadLetter(queue, "d2", 1, FailureKind.PERMANENT, "550 no such user");
    clock.advance(Duration.ofSeconds(1));
    deadLetter(queue, "d3", 5, FailureKind.RATE_LIMITED, "429");

    List<DeadLetter> all = queue.deadLetters(10);
    assertThat(all).extracting(DeadLetter::id).containsExactly("d3", "d2", "d1");
    assertThat(all.get(1).kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(all.get(1).reason()).isEqualTo("550 no such user");
    assertThat(all.get(1).attempts()).isEqualTo(1);
    assertThat(all.get(1).deadLetteredAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(queue.deadLetters(2)).extracting(DeadLetter::id).containsExactly("d3", "d2");
    assertThat(queue.deadLetters(0)).isEmpty();
    assertThat(queue.counts().deadLettered()).isEqualTo(3);
    assertThat(queue.counts().pending()).isZero();
  }

  @Test
  void aRequeuedDeadLetterIsReadyAgainWithItsAttemptsReset() throws Exception {
    MailQueue queue = queue(100);
    deadLetter(queue, "d1", 4, FailureKind.TRANSIENT, "timeout");
    clock.advance(Duration.ofMinutes(1));

    assertThat(queue.requeueDeadLetter("d1")).isTrue();
    assertThat(queue.requeueDeadLetter("d1")).isFalse();
    assertThat(queue.requeueDeadLetter("unknown")).isFalse();

    assertThat(queue.deadLetters(10)).isEmpty();
    assertThat(queue.counts().ready()).containsEntry(Priority.NORMAL, 1L);
    Lease lease = takeNow(queue).orElseThrow();
    assertThat(lease.id()).isEqualTo("d1");
    assertThat(lease.mail().attempts()).isZero();
    assertThat(lease.mail().dueAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
  }

  @Test
  void aRequeuedDeadLetterJoinsTheEndOfItsPriority() throws Exception {
    MailQueue queue = queue(100);
    deadLetter(queue, "dead", 1, FailureKind.TRANSIENT, "timeout");
    queue.enqueue(mail("waiting", Priority.NORMAL));

    queue.requeueDeadLetter("dead");

    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("waiting");
    assertThat(takeNow(queue).orElseThrow().id()).isEqualTo("dead");
  }

  @Test
  void requeueingIntoAFullQueueThrowsAndKeepsTheDeadLetter() throws Exception {
    MailQueue queue = queue(1);
    deadLetter(queue, "dead", 1, FailureKind.TRANSIENT, "timeout");
    queue.enqueue(mail("m1", Priority.NORMAL));

    assertThatThrownBy(() -> queue.requeueDeadLetter("dead")).isInstanceOf(QueueFullException.class);

    assertThat(queue.deadLetters(10)).extracting(DeadLetter::id).containsExactly("dead");
    assertThat(queue.counts().pending()).isEqualTo(1);
  }

  @Test
  void purgesOneOrEveryDeadLetter() throws Exception {
    MailQueue queue = queue(100);
    deadLetter(queue, "d1", 1, FailureKind.PERMANENT, "550");
    deadLetter(queue, "d2", 1, FailureKind.PERMANENT, "550");
    deadLetter(queue, "d3", 1, FailureKind.PERMANENT, "550");

    assertThat(queue.purgeDeadLetter("d2")).isTrue();
    assertThat(queue.purgeDeadLetter("d2")).isFalse();
    assertThat(queue.deadLetters(10)).extracting(DeadLetter::id).containsExactly("d3", "d1");
    assertThat(queue.requeueDeadLetter("d2")).isFalse();

    assertThat(queue.purgeDeadLetters()).isEqualTo(2);
    assertThat(queue.deadLetters(10)).isEmpty();
    assertThat(queue.counts().deadLettered()).isZero();
    assertThat(queue.purgeDeadLetters()).isZero();
  }

  @Test
  void theDeadLettersAreBoundedAndDroppingTheOldestIsLogged() throws Exception {
    captureLogs();
    InMemoryMailQueue queue = queue(2);
    deadLetter(queue, "d1", 1, FailureKind.PERMANENT, "550");
    deadLetter(queue, "d2", 1, FailureKind.PERMANENT, "550");
    assertThat(warnings()).isEmpty();

    deadLetter(queue, "d3", 1, FailureKind.PERMANENT, "550");

    assertThat(queue.deadLetters(10)).extracting(DeadLetter::id).containsExactly("d3", "d2");
    assertThat(queue.counts().deadLettered()).isEqualTo(2);
    assertThat(queue.droppedDeadLetters()).isEqualTo(1);
    assertThat(queue.requeueDeadLetter("d1")).isFalse();
    assertThat(warnings()).singleElement().asString()
        .contains("bound of 2", "d1", "1 dropped so far")
        .doesNotContain("secret body text", "ann@example.org");

    deadLetter(queue, "d4", 1, FailureKind.PERMANENT, "550");
    assertThat(warnings()).hasSize(2).last().asString().contains("d2", "2 dropped so far");
  }

  // ---- capacity and input ---------------------------------------------------------------------

  @Test
  void aFullQueueRefusesAnEnqueueAndStoresNothing() throws Exception {
    MailQueue queue = queue(3);
    queue.enqueue(mail("ready", Priority.NORMAL));
    queue.enqueue(mail("scheduled", Priority.NORMAL, T0.plusSeconds(60)));
    queue.enqueue(mail("leased", Priority.HIGH));
    Lease leased = takeNow(queue).orElseThrow();
    QueueCounts before = queue.counts();

    assertThatThrownBy(() -> queue.enqueue(mail("one-too-many", Priority.HIGH)))
        .isInstanceOf(QueueFullException.class)
        .hasMessageContaining("capacity 3")
        .hasMessageContaining("holds 3 messages")
        .hasMessageContaining("one-too-many");

    assertThat(queue.counts()).isEqualTo(before);
    assertThat(queue.drain()).extracting(QueuedMail::id).doesNotContain("one-too-many");
    assertThat(queue.ack(leased)).isTrue();
  }

  @Test
  void deadLettersDoNotTakeRoomAndFinishedMessagesFreeIt() throws Exception {
    MailQueue queue = queue(1);
    deadLetter(queue, "dead", 1, FailureKind.PERMANENT, "550");
    queue.enqueue(mail("m1", Priority.NORMAL));
    assertThatThrownBy(() -> queue.enqueue(mail("m2", Priority.NORMAL))).isInstanceOf(QueueFullException.class);

    assertThat(queue.ack(takeNow(queue).orElseThrow())).isTrue();
    queue.enqueue(mail("m2", Priority.NORMAL));

    assertThat(queue.counts().pending()).isEqualTo(1);
  }

  @Test
  void storingAnIdAgainChangesNothingWhileTheQueueRemembersIt() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("m1", Priority.NORMAL));
    queue.enqueue(mail("m1", Priority.HIGH));
    assertThat(queue.counts().pending()).as("a retried enqueue stores nothing new").isEqualTo(1);
    Lease lease = takeNow(queue).orElseThrow();

    queue.enqueue(mail("m1", Priority.HIGH));
    assertThat(queue.counts().pending()).as("leased").isEqualTo(1);

    queue.ack(lease);
    queue.enqueue(mail("m1", Priority.HIGH));
    assertThat(queue.counts().pending()).as("sent: a late retry of its enqueue must not send it again").isZero();

    queue.enqueueBatch(List.of(mail("m2", Priority.LOW), mail("m1", Priority.LOW), mail("m2", Priority.LOW)));
    assertThat(queue.counts().pending()).as("a batch skips held and repeated ids").isEqualTo(1);
  }

  @Test
  void badArgumentsAreRefused() throws Exception {
    MailQueue queue = queue(100);
    assertThatThrownBy(() -> new InMemoryMailQueue(0, clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 0");
    assertThatThrownBy(() -> queue.take(Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseFor");
    assertThatThrownBy(() -> queue.take(Duration.ofSeconds(-1), LEASE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wait");
    assertThatThrownBy(() -> queue.deadLetters(-1)).isInstanceOf(IllegalArgumentException.class);

    queue.enqueue(mail("m1", Priority.NORMAL));
    Lease lease = takeNow(queue).orElseThrow();
    assertThatThrownBy(() -> queue.reschedule(lease, T0, -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> queue.deadLetter(lease, -1, FailureKind.PERMANENT, "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(queue.counts().leased()).isEqualTo(1);
    assertThat(queue.ack(lease)).isTrue();
  }

  // ---- counts, drain, close -------------------------------------------------------------------

  @Test
  void countsEveryState() throws Exception {
    MailQueue queue = queue(100);
    assertThat(queue.counts()).isEqualTo(new QueueCounts(Map.of(), 0, 0, 0));

    queue.enqueue(mail("h1", Priority.HIGH));
    queue.enqueue(mail("h2", Priority.HIGH));
    queue.enqueue(mail("n1", Priority.NORMAL));
    queue.enqueue(mail("l1", Priority.LOW));
    queue.enqueue(mail("l2", Priority.LOW));
    queue.enqueue(mail("l3", Priority.LOW));
    queue.enqueue(mail("s1", Priority.HIGH, T0.plusSeconds(10)));
    queue.enqueue(mail("s2", Priority.LOW, T0.plusSeconds(20)));
    Lease leased = takeNow(queue).orElseThrow(); // h1
    Lease dead = takeNow(queue).orElseThrow(); // h2
    queue.deadLetter(dead, 1, FailureKind.PERMANENT, "550");

    QueueCounts counts = queue.counts();
    assertThat(counts.ready()).containsExactlyInAnyOrderEntriesOf(
        Map.of(Priority.HIGH, 0L, Priority.NORMAL, 1L, Priority.LOW, 3L));
    assertThat(counts.scheduled()).isEqualTo(2);
    assertThat(counts.leased()).isEqualTo(1);
    assertThat(counts.deadLettered()).isEqualTo(1);
    assertThat(counts.pending()).isEqualTo(7);

    clock.advance(Duration.ofSeconds(10)); // s1 is due
    counts = queue.counts();
    assertThat(counts.ready()).containsEntry(Priority.HIGH, 1L);
    assertThat(counts.scheduled()).isEqualTo(1);

    clock.advance(LEASE); // s2 due, h1's lease lapsed
    counts = queue.counts();
    assertThat(counts.ready()).containsExactlyInAnyOrderEntriesOf(
        Map.of(Priority.HIGH, 2L, Priority.NORMAL, 1L, Priority.LOW, 4L));
    assertThat(counts.scheduled()).isZero();
    assertThat(counts.leased()).isZero();
    assertThat(queue.ack(leased)).isFalse();
  }

  @Test
  void drainReturnsEveryUnfinishedMessageAndStopsTake() throws Exception {
    MailQueue queue = queue(100);
    deadLetter(queue, "dead", 1, FailureKind.PERMANENT, "550");
    queue.enqueue(mail("leased", Priority.HIGH));
    Lease lease = takeNow(queue).orElseThrow();
    queue.enqueue(mail("ready", Priority.LOW));
    queue.enqueue(mail("scheduled", Priority.NORMAL, T0.plus(Duration.ofHours(1))));

    List<QueuedMail> unfinished = queue.drain();

    assertThat(unfinished).extracting(QueuedMail::id).containsExactlyInAnyOrder("ready", "scheduled", "leased");
    long start = System.nanoTime();
    assertThat(queue.take(Duration.ofSeconds(30), LEASE)).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(queue.ack(lease)).isTrue();
    clock.advance(Duration.ofHours(2));
    assertThat(queue.take(Duration.ZERO, LEASE)).isEmpty();
    assertThatThrownBy(() -> queue.enqueue(mail("late", Priority.HIGH)))
        .isInstanceOf(MailException.class).hasMessageContaining("late");
    assertThat(queue.deadLetters(10)).extracting(DeadLetter::id).containsExactly("dead");
  }

  @Test
  void aLeaseOutAtDrainCanStillBeCompletedAndWhatReturnsIsDrainedAgain() throws Exception {
    MailQueue queue = queue(100);
    queue.enqueue(mail("a", Priority.NORMAL));
    queue.enqueue(mail("b", Priority.NORMAL));
    Lease a = takeNow(queue).orElseThrow();
    Lease b = takeNow(queue).orElseThrow();

    assertThat(queue.drain()).extracting(QueuedMail::id).containsExactlyInAnyOrder("a", "b");
    assertThat(queue.ack(a)).isTrue();
    assertThat(queue.reschedule(b, T0.plusSeconds(60), 1)).isTrue();

    assertThat(queue.counts().pending()).isEqualTo(1);
    assertThat(queue.drain()).extracting(QueuedMail::id).containsExactly("b");
    assertThat(queue.counts().pending()).isZero();
    assertThat(queue.drain()).isEmpty();
  }

  @Test
  void closeDiscardsWhatIsLeftWithAWarning() throws Exception {
    captureLogs();
    MailQueue queue = queue(100);
    queue.enqueue(mail("a", Priority.NORMAL));
    queue.enqueue(mail("b", Priority.NORMAL));
    Lease a = takeNow(queue).orElseThrow();

    queue.close();

    assertThat(queue.ack(a)).isFalse();
    assertThat(queue.counts().pending()).isZero();
    assertThat(warnings()).singleElement().asString().contains("2 unfinished", "ready 1", "leased 1");
    assertThatThrownBy(() -> queue.enqueue(mail("c", Priority.NORMAL))).isInstanceOf(MailException.class);
  }

  @Test
  void closeAfterDrainingEverythingIsQuiet() throws Exception {
    captureLogs();
    MailQueue queue = queue(100);
    queue.enqueue(mail("a", Priority.NORMAL));

    assertThat(queue.drain()).hasSize(1);
    queue.close();

    assertThat(warnings()).isEmpty();
  }

  // ---- concurrency ----------------------------------------------------------------------------

  @Test
  @Timeout(120)
  void producersAndConsumersTakeAndAckEveryMessageExactlyOnce() throws Exception {
    int producers = 4;
    int consumers = 4;
    int perProducer = 5_000;
    int total = producers * perProducer;
    MailQueue queue = new InMemoryMailQueue(total, clock);
    Set<String> taken = ConcurrentHashMap.newKeySet();
    AtomicInteger duplicates = new AtomicInteger();
    AtomicInteger refusedAcks = new AtomicInteger();
    AtomicLong acked = new AtomicLong();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(producers + consumers);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        int producer = p;
        futures.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < perProducer; i++) {
            Priority priority = Priority.values()[i % 3];
            queue.enqueue(mail("p" + producer + "-" + i, priority));
          }
          return null;
        }));
      }
      for (int c = 0; c < consumers; c++) {
        futures.add(pool.submit(() -> {
          go.await();
          while (acked.get() < total) {
            Optional<Lease> lease = queue.take(Duration.ofMillis(50), Duration.ofHours(1));
            if (lease.isPresent()) {
              if (!taken.add(lease.get().id())) {
                duplicates.incrementAndGet();
              }
              if (queue.ack(lease.get())) {
                acked.incrementAndGet();
              } else {
                refusedAcks.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(100, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(duplicates).hasValue(0);
    assertThat(refusedAcks).hasValue(0);
    assertThat(acked).hasValue(total);
    assertThat(taken).hasSize(total);
    assertThat(queue.counts().pending()).isZero();
    assertThat(queue.drain()).isEmpty();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private InMemoryMailQueue queue(int capacity) {
    return new InMemoryMailQueue(capacity, clock);
  }

  private QueuedMail mail(String id, Priority priority) {
    return mail(id, priority, clock.instant());
  }

  private QueuedMail mail(String id, Priority priority, Instant dueAt) {
    return new QueuedMail(id, EMAILS.get(priority), 0, clock.instant(), dueAt, Optional.empty());
  }

  private static Priority priorityOf(String id) {
    return switch (id.charAt(0)) {
      case 'H' -> Priority.HIGH;
      case 'N' -> Priority.NORMAL;
      default -> Priority.LOW;
    };
  }

  private static Optional<Lease> takeNow(MailQueue queue) throws InterruptedException {
    return queue.take(Duration.ZERO, LEASE);
  }

  private void deadLetter(MailQueue queue, String id, int attempts, FailureKind kind, String reason)
      throws InterruptedException {
    queue.enqueue(mail(id, Priority.NORMAL));
    Lease lease = takeNow(queue).orElseThrow();
    assertThat(lease.id()).isEqualTo(id);
    assertThat(queue.deadLetter(lease, attempts, kind, reason)).isTrue();
  }

  private Thread start(Runnable task) {
    Thread thread = new Thread(task, "queue-test-taker");
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
    return thread;
  }

  private void captureLogs() {
    queueLogger = (Logger) LoggerFactory.getLogger(InMemoryMailQueue.class);
    logs = new ListAppender<>();
    logs.start();
    queueLogger.addAppender(logs);
  }

  private List<String> warnings() {
    return logs.list.stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }
}
