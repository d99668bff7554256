package io.postline.mail.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.queue.codec.EncryptionKeys;
import io.postline.mail.queue.codec.internal.AesGcmCipher;
import io.postline.mail.queue.codec.internal.QueuedMailJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The queue's semantics, on a real PostgreSQL and on H2. */
@Timeout(120)
class JdbcQueueTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private JdbcTestDatabase db(String kind) {
    JdbcTestDatabase db = JdbcTestDatabase.of(kind, 8);
    open.add(db);
    return db;
  }

  private JdbcMailQueue queue(JdbcMailQueue.Builder b) {
    JdbcMailQueue q = b.build();
    open.add(q);
    return q;
  }

  static QueuedMail mail(String id, Priority priority) {
    return mail(id, priority, Instant.now());
  }

  static QueuedMail mail(String id, Priority priority, Instant due) {
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject("secret subject " + id)
        .text("secret body").priority(priority).build();
    return new QueuedMail(id, email, 0, Instant.now(), due, Optional.of("corr-" + id));
  }

  private static List<String> ids(List<Lease> leases) {
    return leases.stream().map(Lease::id).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void highBeforeNormalBeforeLowAndFirstInFirstOutWithinOne(String kind) throws Exception {
    JdbcMailQueue q = queue(db(kind).queue());
    q.enqueue(mail("low-1", Priority.LOW));
    q.enqueue(mail("normal-1", Priority.NORMAL));
    q.enqueue(mail("high-1", Priority.HIGH));
    q.enqueue(mail("normal-2", Priority.NORMAL));
    q.enqueue(mail("high-2", Priority.HIGH));

    assertThat(q.counts().ready()).containsEntry(Priority.HIGH, 2L).containsEntry(Priority.NORMAL, 2L)
        .containsEntry(Priority.LOW, 1L);
    List<Lease> first = q.take(3, Duration.ZERO, LEASE);
    assertThat(ids(first)).containsExactly("high-1", "high-2", "normal-1");
    assertThat(ids(q.take(5, Duration.ZERO, LEASE))).containsExactly("normal-2", "low-1");
    assertThat(first.get(0).mail().correlationId()).contains("corr-high-1");
    assertThat(first.get(0).mail().email().subject()).contains("secret subject high-1");
    assertThat(first.get(1).token()).isNotEqualTo(first.get(0).token());
    assertThat(q.counts().leased()).isEqualTo(5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aScheduledMessageWaitsForItsTimeAndAWaitingTakerGetsItThen(String kind) throws Exception {
    JdbcMailQueue q = queue(db(kind).queue());
    q.enqueue(mail("later", Priority.HIGH, Instant.now().plusMillis(700)));
    q.enqueue(mail("now", Priority.LOW));

    assertThat(q.counts().scheduled()).isEqualTo(1);
    assertThat(ids(q.take(5, Duration.ZERO, LEASE))).containsExactly("now");
    long start = System.nanoTime();
    Optional<Lease> later = q.take(Duration.ofSeconds(10), LEASE);
    assertThat(later).map(Lease::id).contains("later");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void anIdleTakerWaitsInsteadOfQueryingInALoop(String kind) throws Exception {
    JdbcTestDatabase db = db(kind);
    java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    javax.sql.DataSource counting = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
          if (method.getName().equals("getConnection")) {
            connections.incrementAndGet();
          }
          try {
            return method.invoke(db.dataSource, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    JdbcMailQueue q = queue(JdbcMailQueue.builder(counting).createSchema(true).pollInterval(Duration.ofMillis(500)));
    int before = connections.get();
    assertThat(q.take(Duration.ofSeconds(2), LEASE)).isEmpty();
    // About one look per poll interval (each look: upkeep at most once a second, a take, the next due
    // time), plus wake-ups from other tests' enqueues on the shared database; the busy loop this
    // guards against opened thousands in the same 2 s.
    assertThat(connections.get() - before).isLessThan(100);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aWaitingTakerWakesForAnEnqueueFromAnotherQueueObject(String kind) throws Exception {
    JdbcTestDatabase db = db(kind);
    // A long poll interval: only the wake-up can make this fast (H2 signals within its JVM).
    JdbcMailQueue worker = queue(db.queue().pollInterval(Duration.ofSeconds(20)));
    JdbcMailQueue producer = kind.equals("h2") ? worker : queue(db.queue());
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Optional<Lease>> taken = pool.submit(() -> worker.take(Duration.ofSeconds(15), LEASE));
      // This test is about waking the taker: enqueue once it waits (and LISTENs, on PostgreSQL).
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(worker::takerWaitsForWakeUp);
      long start = System.nanoTime();
      producer.enqueue(mail("wake", Priority.NORMAL));
      assertThat(taken.get(10, TimeUnit.SECONDS)).map(Lease::id).contains("wake");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void enqueueIsIdempotentByIdWhileQueuedLeasedDeadOrRecentlyFinished(String kind) throws Exception {
    JdbcTestDatabase db = db(kind);
    JdbcMailQueue q = queue(db.queue());
    q.enqueue(mail("a", Priority.NORMAL));
    q.enqueue(mail("a", Priority.HIGH));
    assertThat(q.counts().pending()).isEqualTo(1);

    Lease a = q.take(Duration.ZERO, LEASE).orElseThrow();
    q.enqueue(mail("a", Priority.NORMAL));
    assertThat(q.counts().pending()).as("leased: still one").isEqualTo(1);
    assertThat(q.ack(a)).isTrue();
    assertThat(q.ack(a)).as("a repeated ack answers as the first").isTrue();
    q.enqueue(mail("a", Priority.NORMAL));
    assertThat(q.counts().pending()).as("finished and on record: a no-op").isZero();
    assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue WHERE payload IS NOT NULL"))
        .as("a finished row keeps no content").isZero();

    q.enqueue(mail("b", Priority.NORMAL));
    Lease b = q.take(Duration.ZERO, LEASE).orElseThrow();
    assertThat(q.deadLetter(b, 3, FailureKind.PERMANENT, "550 no such user")).isTrue();
    q.enqueue(mail("b", Priority.NORMAL));
    assertThat(q.counts().pending()).isZero();
    assertThat(q.counts().deadLettered()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aBatchIsStoredInChunksWithDuplicatesSkipped(String kind) throws Exception {
    JdbcMailQueue q = queue(db(kind).queue());
    q.enqueue(mail("m-7", Priority.NORMAL));
    List<QueuedMail> batch = new ArrayList<>();
    for (int i = 0; i < 1_234; i++) {
      batch.add(mail("m-" + i, Priority.NORMAL));
    }
    batch.add(mail("m-3", Priority.NORMAL));
    q.enqueueBatch(batch);

    assertThat(q.counts().readyTotal()).isEqualTo(1_234);
    List<Lease> taken = q.take(100, Duration.ZERO, LEASE);
    assertThat(ids(taken)).hasSize(100).startsWith("m-7", "m-0", "m-1", "m-2", "m-3", "m-4");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aFullQueueRefusesWithNothingStored(String kind) {
    JdbcTestDatabase db = db(kind);
    JdbcMailQueue q = queue(db.queue().capacity(3));
    q.enqueueBatch(List.of(mail("1", Priority.NORMAL), mail("2", Priority.NORMAL)));

    assertThatThrownBy(() -> q.enqueueBatch(List.of(mail("3", Priority.NORMAL), mail("4", Priority.NORMAL))))
        .isInstanceOf(QueueFullException.class).hasMessageContaining("capacity 3");
    assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue")).isEqualTo(2);
    q.enqueue(mail("3", Priority.NORMAL));
    assertThat(q.counts().pending()).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aLapsedLeaseIsFencedOffAndTheMessageGoesBackThenPoisonAfterTooManyLapses(String kind) throws Exception {
    JdbcMailQueue q = queue(db(kind).queue().maxLeaseLapses(2));
    q.enqueue(mail("p", Priority.NORMAL));
    Duration shortLease = Duration.ofMillis(200);

    Lease first = q.take(Duration.ZERO, shortLease).orElseThrow();
    Lease second = q.take(Duration.ofSeconds(10), shortLease).orElseThrow();
    assertThat(second.id()).isEqualTo("p");
    assertThat(second.token()).isGreaterThan(first.token());
    assertThat(q.ack(first)).as("fenced off").isFalse();
    assertThat(q.reschedule(first, Instant.now(), 1)).isFalse();
    assertThat(q.deadLetter(first, 1, FailureKind.PERMANENT, "x")).isFalse();
    assertThat(q.renew(first, LEASE)).isEmpty();

    // The second lease lapses too: that is the second lapse, so it is a poison message.
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
      q.take(Duration.ofMillis(50), LEASE).ifPresent(l -> { throw new AssertionError("taken again: " + l); });
      return q.counts().deadLettered() == 1;
    });
    DeadLetter dead = q.deadLetters(10).get(0);
    assertThat(dead.id()).isEqualTo("p");
    assertThat(dead.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(dead.reason()).contains("lapsed 2 times").contains("poison");
    assertThat(q.stats().recoveredLeases()).isEqualTo(2);
    assertThat(q.stats().poisonMessages()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void renewRescheduleDeadLetterRequeueAndPurge(String kind) throws Exception {
    JdbcMailQueue q = queue(db(kind).queue());
    q.enqueueBatch(List.of(mail("r", Priority.NORMAL), mail("d", Priority.NORMAL), mail("e", Priority.NORMAL)));
    List<Lease> leases = q.take(3, Duration.ZERO, Duration.ofMillis(300));

    Lease renewed = q.renew(leases.get(0), LEASE).orElseThrow();
    assertThat(renewed.expiresAt()).isAfter(leases.get(0).expiresAt());
    assertThat(q.reschedule(renewed, Instant.now().plusSeconds(60), 1)).isTrue();
    assertThat(q.reschedule(renewed, Instant.now().plusSeconds(60), 1)).as("repeated after a lost reply").isTrue();
    assertThat(q.counts().scheduled()).isEqualTo(1);

    assertThat(q.deadLetter(leases.get(1), 4, FailureKind.RECIPIENTS_REJECTED, "550 5.1.1 unknown user")).isTrue();
    assertThat(q.deadLetter(leases.get(2), 2, FailureKind.PERMANENT, "554 rejected")).isTrue();
    List<DeadLetter> dead = q.deadLetters(10);
    assertThat(dead).extracting(DeadLetter::id).containsExactlyInAnyOrder("d", "e");
    DeadLetter d = dead.stream().filter(x -> x.id().equals("d")).findFirst().orElseThrow();
    assertThat(d.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(d.reason()).isEqualTo("550 5.1.1 unknown user");
    assertThat(d.attempts()).isEqualTo(4);

    assertThat(q.requeueDeadLetter("d")).isTrue();
    assertThat(q.requeueDeadLetter("d")).isFalse();
    Lease again = q.take(Duration.ZERO, LEASE).orElseThrow();
    assertThat(again.id()).isEqualTo("d");
    assertThat(again.mail().attempts()).isZero();
    assertThat(q.purgeDeadLetter("e")).isTrue();
    assertThat(q.purgeDeadLetter("e")).isFalse();
    assertThat(q.purgeDeadLetters()).isZero();
    assertThat(q.drain()).isEmpty();
    assertThat(q.take(Duration.ofSeconds(5), LEASE)).as("drained: hands out nothing").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void concurrentTakersNeverGetTheSameMessage(String kind) throws Exception {
    JdbcMailQueue q = queue(db(kind).queue());
    List<QueuedMail> batch = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      batch.add(mail("c-" + i, Priority.NORMAL));
    }
    q.enqueueBatch(batch);
    List<String> taken = new CopyOnWriteArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        fs.add(pool.submit(() -> {
          List<Lease> got;
          while (!(got = q.take(7, Duration.ZERO, LEASE)).isEmpty()) {
            for (Lease l : got) {
              taken.add(l.id());
              assertThat(q.ack(l)).isTrue();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(taken).hasSize(600).doesNotHaveDuplicates();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void payloadsAndReasonsAreEncryptedAndOldKeysStillRead(String kind) throws Exception {
    JdbcTestDatabase db = db(kind);
    byte[] oldKey = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    byte[] newKey = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);
    JdbcMailQueue before = queue(db.queue().encryption(EncryptionKeys.current("2024", oldKey)));
    before.enqueue(mail("old", Priority.NORMAL));
    JdbcMailQueue after = queue(db.queue().encryption(EncryptionKeys.current("2025", newKey).withPrevious("2024", oldKey)));
    after.enqueue(mail("new", Priority.NORMAL));

    assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue")).isEqualTo(2);
    try (var c = db.dataSource.getConnection(); var rs = c.createStatement().executeQuery("SELECT payload FROM postline_mail_queue")) {
      while (rs.next()) {
        assertThat(new String(rs.getBytes(1), StandardCharsets.ISO_8859_1)).doesNotContain("secret");
      }
    }
    List<Lease> both = after.take(2, Duration.ZERO, LEASE);
    assertThat(ids(both)).containsExactly("old", "new");
    assertThat(both.get(0).mail().email().text()).contains("secret body");
    assertThat(after.deadLetter(both.get(1), 1, FailureKind.PERMANENT, "secret reason")).isTrue();
    assertThat(new String(db.scalarBytes("SELECT dead_reason FROM postline_mail_queue WHERE id = 'new'"),
        StandardCharsets.ISO_8859_1)).doesNotContain("secret");
    assertThat(after.deadLetters(5)).extracting(DeadLetter::reason).containsExactly("secret reason");

    JdbcMailQueue keyless = queue(db.queue().encryption(EncryptionKeys.current("other", oldKey)));
    assertThat(keyless.deadLetters(5)).as("unreadable without its key: left out").isEmpty();
    assertThat(keyless.toString()).doesNotContain("0123456789abcdef");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void anAuthenticatedPayloadIsReadWithoutCheckingTheEmailAgain(String kind) throws Exception {
    JdbcTestDatabase db = db(kind);
    byte[] key = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    JdbcMailQueue q = queue(db.queue().encryption(EncryptionKeys.current("2024", key)));
    q.enqueue(mail("m-1", Priority.NORMAL));
    // Sealed with the queue's key, so Postline wrote it; its metadata key is one the builder
    // refuses (a later release might allow it): read as written, not dead-lettered.
    String json = new String(QueuedMailJson.encode(mail("m-1", Priority.NORMAL)), StandardCharsets.UTF_8)
        .replace("\"priority\"", "\"metadata\":{\"not a key\":\"v\"},\"priority\"");
    byte[] sealed = new AesGcmCipher("2024", Map.of("2024", key)).seal(json.getBytes(StandardCharsets.UTF_8), "m-1");
    try (var c = db.dataSource.getConnection();
        var st = c.prepareStatement("UPDATE postline_mail_queue SET payload = ? WHERE id = 'm-1'")) {
      st.setBytes(1, sealed);
      assertThat(st.executeUpdate()).isEqualTo(1);
    }

    List<Lease> taken = q.take(1, Duration.ZERO, LEASE);

    assertThat(ids(taken)).containsExactly("m-1");
    assertThat(taken.get(0).mail().email().metadata()).containsEntry("not a key", "v");
  }
}
