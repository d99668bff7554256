package io.postline.mail.queue.redis;

import static io.postline.mail.queue.redis.RedisTestSupport.mail;
import static io.postline.mail.queue.redis.RedisTestSupport.mailDueIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RedisMailQueueTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static RedisClient client;
  private String prefix;
  private final List<RedisMailQueue> queues = new ArrayList<>();

  @BeforeAll
  static void connect() {
    client = RedisTestSupport.client();
  }

  @AfterAll
  static void disconnect() {
    client.shutdown();
  }

  @BeforeEach
  void prefix() {
    prefix = RedisTestSupport.uniquePrefix();
  }

  @AfterEach
  void cleanup() {
    queues.forEach(RedisMailQueue::close);
    RedisTestSupport.cleanup(client, prefix);
  }

  private RedisMailQueue queue() {
    return queue(b -> b);
  }

  private RedisMailQueue queue(UnaryOperator<RedisMailQueue.Builder> config) {
    RedisMailQueue q = config.apply(RedisMailQueue.builder(client).keyPrefix(prefix).name("mail")).build();
    queues.add(q);
    return q;
  }

  private static Lease take(RedisMailQueue q) throws InterruptedException {
    return q.take(Duration.ofSeconds(5), LEASE).orElseThrow(() -> new AssertionError("nothing to take"));
  }

  @Test
  void takesHighBeforeNormalBeforeLowAndFifoWithinOne() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mail("low-1", Priority.LOW));
    q.enqueue(mail("normal-1", Priority.NORMAL));
    q.enqueue(mail("high-1", Priority.HIGH));
    q.enqueue(mail("low-2", Priority.LOW));
    q.enqueue(mail("normal-2", Priority.NORMAL));
    q.enqueue(mail("high-2", Priority.HIGH));

    List<String> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Lease lease = take(q);
      order.add(lease.id());
      assertThat(q.ack(lease)).isTrue();
    }

    assertThat(order).containsExactly("high-1", "high-2", "normal-1", "normal-2", "low-1", "low-2");
    assertThat(q.take(Duration.ZERO, LEASE)).isEmpty();
  }

  @Test
  void leaseCarriesTheStoredMessage() throws Exception {
    RedisMailQueue q = queue();
    QueuedMail sent = mail("m-1", Priority.HIGH);
    q.enqueue(sent);

    Lease lease = take(q);

    assertThat(lease.mail().email()).isEqualTo(sent.email());
    assertThat(lease.mail().correlationId()).contains("corr-m-1");
    assertThat(lease.mail().attempts()).isZero();
    assertThat(lease.mail().enqueuedAt()).isEqualTo(sent.enqueuedAt());
    assertThat(lease.token()).isPositive();
    assertThat(lease.expiresAt()).isAfter(Instant.now().plus(LEASE).minusSeconds(5));
  }

  @Test
  void scheduledMessageIsTakenOnlyWhenDue() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mailDueIn("later", Duration.ofMillis(700)));
    long started = System.nanoTime();

    assertThat(q.take(Duration.ZERO, LEASE)).isEmpty();
    assertThat(q.counts().scheduled()).isEqualTo(1);
    Optional<Lease> lease = q.take(Duration.ofSeconds(10), LEASE);

    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(lease).map(Lease::id).contains("later");
    assertThat(waitedMs).isBetween(600L, 5_000L);
  }

  @Test
  void fleetWorkerWaitingIsWokenByAnEnqueueFromAnotherInstance() throws Exception {
    // A poll interval far longer than the test: only the notification can wake the waiter.
    RedisMailQueue worker = queue(b -> b.pollInterval(Duration.ofMinutes(5)));
    RedisMailQueue producer = queue();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      CompletableFuture<Optional<Lease>> taken = CompletableFuture.supplyAsync(() -> {
        try {
          return worker.take(Duration.ofSeconds(40), LEASE);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }, pool);
      org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(200)).until(() -> true);
      long enqueuedAt = System.nanoTime();
      producer.enqueue(mail("wake", Priority.NORMAL));

      Optional<Lease> lease = taken.get(20, TimeUnit.SECONDS);

      assertThat(lease).map(Lease::id).contains("wake");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - enqueuedAt)).isLessThan(5_000);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void rescheduleRetriesLaterWithTheAttemptCount() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mail("retry", Priority.NORMAL));
    Lease first = take(q);

    assertThat(q.reschedule(first, Instant.now().plusMillis(500), 1)).isTrue();

    assertThat(q.take(Duration.ZERO, LEASE)).isEmpty();
    QueueCounts counts = q.counts();
    assertThat(counts.scheduled()).isEqualTo(1);
    assertThat(counts.leased()).isZero();
    Lease second = take(q);
    assertThat(second.id()).isEqualTo("retry");
    assertThat(second.mail().attempts()).isEqualTo(1);
    assertThat(second.token()).isGreaterThan(first.token());
  }

  @Test
  void deadLettersKeepKindReasonAndAttemptsAndCanBeRequeuedOrPurged() throws Exception {
    RedisMailQueue q = queue();
    for (String id : List.of("d-1", "d-2", "d-3")) {
      q.enqueue(mail(id, Priority.NORMAL));
      Lease lease = take(q);
      assertThat(q.deadLetter(lease, 3, FailureKind.RECIPIENTS_REJECTED, "550 no such user " + id)).isTrue();
    }

    List<DeadLetter> dead = q.deadLetters(10);
    assertThat(dead).extracting(DeadLetter::id).containsExactly("d-3", "d-2", "d-1");
    assertThat(dead.get(0).kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(dead.get(0).reason()).isEqualTo("550 no such user d-3");
    assertThat(dead.get(0).attempts()).isEqualTo(3);
    assertThat(dead.get(0).mail().email().subject()).contains("d-3");
    assertThat(q.deadLetters(1)).hasSize(1);
    assertThat(q.counts().deadLettered()).isEqualTo(3);

    assertThat(q.requeueDeadLetter("d-1")).isTrue();
    assertThat(q.requeueDeadLetter("d-1")).isFalse();
    Lease again = take(q);
    assertThat(again.id()).isEqualTo("d-1");
    assertThat(again.mail().attempts()).isZero();
    assertThat(q.ack(again)).isTrue();

    assertThat(q.purgeDeadLetter("d-2")).isTrue();
    assertThat(q.purgeDeadLetter("d-2")).isFalse();
    assertThat(q.purgeDeadLetters()).isEqualTo(1);
    assertThat(q.deadLetters(10)).isEmpty();
    assertThat(q.counts().deadLettered()).isZero();
  }

  @Test
  void lapsedLeaseIsRecoveredAndCounted() throws Exception {
    RedisMailQueue dying = queue();
    RedisMailQueue survivor = queue();
    dying.enqueue(mail("lapse", Priority.NORMAL));
    Lease abandoned = dying.take(Duration.ZERO, Duration.ofMillis(300)).orElseThrow();

    Optional<Lease> recovered = survivor.take(Duration.ofSeconds(10), LEASE);

    assertThat(recovered).map(Lease::id).contains("lapse");
    assertThat(recovered.get().token()).isGreaterThan(abandoned.token());
    assertThat(survivor.stats().recoveredLeases()).isEqualTo(1);
    assertThat(survivor.ack(recovered.get())).isTrue();
  }

  @Test
  void aWorkerWhoseLeaseLapsedCannotCompleteTheMessage() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mail("fenced", Priority.NORMAL));
    Lease old = q.take(Duration.ZERO, Duration.ofMillis(200)).orElseThrow();
    Lease current = q.take(Duration.ofSeconds(10), LEASE).orElseThrow();

    assertThat(q.ack(old)).isFalse();
    assertThat(q.reschedule(old, Instant.now(), 5)).isFalse();
    assertThat(q.deadLetter(old, 5, FailureKind.PERMANENT, "late")).isFalse();
    assertThat(q.renew(old, LEASE)).isEmpty();
    assertThat(q.counts().leased()).isEqualTo(1);

    assertThat(q.ack(current)).isTrue();
    assertThat(q.ack(current)).as("a repeated ack with the same token is idempotent").isTrue();
    assertThat(q.counts().pending()).isZero();
  }

  @Test
  void renewKeepsTheLeaseCurrent() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mail("renewed", Priority.NORMAL));
    Lease lease = q.take(Duration.ZERO, Duration.ofMillis(400)).orElseThrow();

    Optional<Lease> renewed = q.renew(lease, Duration.ofSeconds(30));

    assertThat(renewed).isPresent();
    assertThat(renewed.get().expiresAt()).isAfter(lease.expiresAt());
    assertThat(q.take(Duration.ofMillis(1200), LEASE)).as("the renewed lease did not lapse").isEmpty();
    assertThat(q.ack(renewed.get())).isTrue();
  }

  @Test
  void aMessageWhoseLeaseLapsesTooOftenIsDeadLetteredAsPoison() throws Exception {
    RedisMailQueue q = queue(b -> b.maxLeaseLapses(2));
    q.enqueue(mail("poison", Priority.NORMAL));

    Lease first = q.take(Duration.ZERO, Duration.ofMillis(100)).orElseThrow();
    Lease second = q.take(Duration.ofSeconds(10), Duration.ofMillis(100)).orElseThrow();
    q.enqueue(mail("healthy", Priority.LOW));
    Lease next = q.take(Duration.ofSeconds(10), LEASE).orElseThrow();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> q.counts().deadLettered() == 1);

    assertThat(first.id()).isEqualTo("poison");
    assertThat(second.id()).isEqualTo("poison");
    assertThat(next.id()).as("the queue goes on past the poison message").isEqualTo("healthy");
    assertThat(q.take(Duration.ofMillis(300), LEASE)).as("the poison message is not handed out again").isEmpty();
    List<DeadLetter> dead = q.deadLetters(10);
    assertThat(dead).extracting(DeadLetter::id).containsExactly("poison");
    assertThat(dead.get(0).reason()).contains("poison message").contains("lapsed 2 times");
    assertThat(q.stats().poisonMessages()).isEqualTo(1);
    assertThat(q.stats().recoveredLeases()).isEqualTo(2);
  }

  @Test
  void aMessageOverThePayloadLimitIsRefusedAndNothingIsStored() {
    RedisMailQueue q = queue(b -> b.maxPayloadBytes(4096));
    Email big = RedisTestSupport.email("big", Priority.NORMAL).toBuilder()
        .attach(Attachment.of("big.bin", new byte[8000], "application/octet-stream")).build();
    Instant now = Instant.now();

    assertThatThrownBy(() -> q.enqueue(new QueuedMail("big", big, 0, now, now, Optional.empty())))
        .isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("over its payload limit of 4096 bytes")
        .satisfies(e -> assertThat(((PayloadTooLargeException) e).size()).isGreaterThan(10_000));
    assertThat(q.counts().pending()).isZero();
  }

  @Test
  void aFullQueueRefusesAnEnqueue() {
    RedisMailQueue q = queue(b -> b.capacity(2));
    q.enqueue(mail("a", Priority.NORMAL));
    q.enqueue(mailDueIn("b", Duration.ofHours(1)));

    assertThatThrownBy(() -> q.enqueue(mail("c", Priority.HIGH))).isInstanceOf(QueueFullException.class)
        .hasMessageContaining("capacity");
    assertThat(q.counts().pending()).isEqualTo(2);
  }

  @Test
  void enqueueingAStoredIdAgainDoesNothing() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mail("once", Priority.NORMAL));
    q.enqueue(mail("once", Priority.NORMAL));

    assertThat(q.counts().readyTotal()).isEqualTo(1);
    Lease lease = take(q);
    assertThat(q.ack(lease)).isTrue();
    q.enqueue(mail("once", Priority.NORMAL));
    assertThat(q.counts().pending()).as("a finished record still guards the id").isZero();
  }

  @Test
  void aTakeAfterOneThatLeftNothingReadyWaitsForANotificationOrWhatFallsDueNext() throws Exception {
    // Polling alone would take 30 s: only the due time and the notification can end the waits.
    RedisMailQueue q = queue(b -> b.pollInterval(Duration.ofSeconds(30)));
    RedisMailQueue other = queue(b -> b.pollInterval(Duration.ofSeconds(30)));
    q.enqueue(mail("first", Priority.NORMAL));
    q.enqueue(mailDueIn("later", Duration.ofMillis(300)));
    assertThat(q.ack(take(q))).isTrue();

    long t0 = System.nanoTime();
    Lease later = q.take(Duration.ofSeconds(20), LEASE).orElseThrow();
    assertThat(later.id()).isEqualTo("later");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("taken when due").isLessThan(Duration.ofSeconds(10));
    assertThat(q.ack(later)).isTrue();

    ExecutorService producer = Executors.newSingleThreadExecutor();
    try {
      t0 = System.nanoTime();
      Thread taker = Thread.currentThread();
      producer.submit(() -> {
        // Sent once the taker waits.
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> taker.getState() == Thread.State.TIMED_WAITING);
        other.enqueue(mail("pushed", Priority.NORMAL));
        return null;
      });
      Lease pushed = q.take(Duration.ofSeconds(20), LEASE).orElseThrow();
      assertThat(pushed.id()).isEqualTo("pushed");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("woken by the notification")
          .isLessThan(Duration.ofSeconds(10));
    } finally {
      producer.shutdownNow();
    }
  }

  @Test
  void finishedRecordsAreTrimmedToTheirCountByTheTakersUpkeep() throws Exception {
    RedisMailQueue q = queue(b -> b.finishedRetention(Duration.ofHours(1), 3));
    for (int i = 0; i < 10; i++) {
      q.enqueue(mail("f-" + i, Priority.NORMAL));
      assertThat(q.ack(take(q))).isTrue();
    }
    // Acks only add records; a take's upkeep (at most every few ms) trims them to the count.
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
      q.take(Duration.ZERO, Duration.ofSeconds(30));
      return RedisTestSupport.zcard(client, q.keyBase() + ":fin") == 3;
    });

    for (int i = 0; i < 10; i++) {
      q.enqueue(mail("f-" + i, Priority.NORMAL));
    }
    List<String> stored = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      stored.add(take(q).id());
    }
    assertThat(stored).as("the oldest records went; those ids are new again")
        .containsExactly("f-0", "f-1", "f-2", "f-3", "f-4", "f-5", "f-6");
    assertThat(q.take(Duration.ZERO, Duration.ofSeconds(30))).as("the newest three still guard their ids").isEmpty();
  }

  @Test
  void deadLettersAreTrimmedByCountAndFinishedRecordsByCount() throws Exception {
    RedisMailQueue q = queue(b -> b.deadLetterRetention(Duration.ofDays(1), 2).finishedRetention(Duration.ofHours(1), 0));
    for (String id : List.of("t-1", "t-2", "t-3")) {
      q.enqueue(mail(id, Priority.NORMAL));
      assertThat(q.deadLetter(take(q), 1, FailureKind.PERMANENT, "no")).isTrue();
    }
    q.enqueue(mail("done", Priority.NORMAL));
    assertThat(q.ack(take(q))).isTrue();

    assertThat(q.deadLetters(10)).extracting(DeadLetter::id).containsExactly("t-3", "t-2");
    assertThat(q.stats().trimmedDeadLetters()).isEqualTo(1);
    List<String> keys = RedisTestSupport.keys(client, prefix);
    assertThat(keys).noneMatch(k -> k.endsWith(":m:t-1")).noneMatch(k -> k.endsWith(":m:done"));
  }

  @Test
  void deadLettersAreTrimmedByAge() throws Exception {
    RedisMailQueue q = queue(b -> b.deadLetterRetention(Duration.ofMillis(300), 100));
    q.enqueue(mail("old", Priority.NORMAL));
    assertThat(q.deadLetter(take(q), 1, FailureKind.PERMANENT, "no")).isTrue();

    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> q.counts().deadLettered() == 0);
    assertThat(q.deadLetters(10)).isEmpty();
    assertThat(RedisTestSupport.keys(client, prefix)).noneMatch(k -> k.endsWith(":m:old"));
  }

  @Test
  void everyKeyOfTheQueueSharesItsHashTag() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mail("k-1", Priority.HIGH));
    q.enqueue(mailDueIn("k-2", Duration.ofHours(1)));
    q.enqueue(mail("k-3", Priority.LOW));
    Lease lease = take(q);
    q.deadLetter(take(q), 1, FailureKind.PERMANENT, "x");
    q.ack(lease);

    List<String> keys = RedisTestSupport.keys(client, prefix);
    assertThat(keys).isNotEmpty().allMatch(k -> k.startsWith(prefix + ":{mail}:"));
    assertThat(q.keyBase()).isEqualTo(prefix + ":{mail}");
  }

  @Test
  void drainStopsHandingOutMessagesButKeepsThemStored() throws Exception {
    RedisMailQueue q = queue();
    q.enqueue(mail("kept", Priority.NORMAL));

    assertThat(q.drain()).isEmpty();

    assertThat(q.take(Duration.ofSeconds(5), LEASE)).isEmpty();
    assertThat(q.counts().readyTotal()).isEqualTo(1);
    assertThat(queue().take(Duration.ZERO, LEASE)).map(Lease::id).contains("kept");
  }

  @Test
  void encryptedPayloadsDoNotHoldThePlaintextAndReadBack() throws Exception {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    RedisMailQueue q = queue(b -> b.encryption(EncryptionKeys.current("k1", key)));
    Email secret = Email.builder().from("shop@example.org").to("secret.person@example.org")
        .subject("Your reset code").text("code 918273 is yours").build();
    Instant now = Instant.now();
    q.enqueue(new QueuedMail("enc", secret, 0, now, now, Optional.empty()));

    byte[] stored = rawPayload("enc");
    String asText = new String(stored, StandardCharsets.ISO_8859_1);
    assertThat(asText).doesNotContain("918273").doesNotContain("secret.person").doesNotContain("reset code")
        .doesNotContain("\"v\"");

    Lease lease = take(q);
    assertThat(lease.mail().email()).isEqualTo(secret);
    assertThat(q.deadLetter(lease, 1, FailureKind.RECIPIENTS_REJECTED, "550 secret.person unknown")).isTrue();
    assertThat(rawField("enc", "r")).doesNotContain("secret.person");
    assertThat(q.deadLetters(1).get(0).reason()).isEqualTo("550 secret.person unknown");
  }

  @Test
  void rotatedKeysReadOldPayloadsAndWriteWithTheNewKey() throws Exception {
    byte[] oldKey = new byte[16];
    byte[] newKey = new byte[32];
    new java.security.SecureRandom().nextBytes(oldKey);
    new java.security.SecureRandom().nextBytes(newKey);
    RedisMailQueue before = queue(b -> b.encryption(EncryptionKeys.current("2024", oldKey)));
    before.enqueue(mail("old-key", Priority.NORMAL));
    RedisMailQueue after = queue(b -> b.encryption(EncryptionKeys.current("2025", newKey).withPrevious("2024", oldKey)));
    after.enqueue(mail("new-key", Priority.NORMAL));

    assertThat(new String(rawPayload("old-key"), StandardCharsets.ISO_8859_1)).contains("2024");
    assertThat(new String(rawPayload("new-key"), StandardCharsets.ISO_8859_1)).contains("2025");
    Lease first = take(after);
    Lease second = take(after);
    assertThat(List.of(first.id(), second.id())).containsExactly("old-key", "new-key");
    assertThat(first.mail().email()).isEqualTo(mail("old-key", Priority.NORMAL).email());
  }

  @Test
  void aPayloadNoConfiguredKeyOpensIsDeadLetteredNotLooped() throws Exception {
    byte[] oldKey = new byte[16];
    byte[] newKey = new byte[16];
    new java.security.SecureRandom().nextBytes(oldKey);
    new java.security.SecureRandom().nextBytes(newKey);
    queue(b -> b.encryption(EncryptionKeys.current("gone", oldKey))).enqueue(mail("orphan", Priority.NORMAL));
    RedisMailQueue q = queue(b -> b.encryption(EncryptionKeys.current("new", newKey)));
    q.enqueue(mail("fine", Priority.LOW));

    Lease lease = take(q);

    assertThat(lease.id()).isEqualTo("fine");
    assertThat(q.counts().deadLettered()).isEqualTo(1);
    assertThat(q.deadLetters(10)).as("an unreadable dead letter is left out of the list").isEmpty();
    assertThat(q.purgeDeadLetters()).isEqualTo(1);
  }

  @Test
  void builderRejectsBadSettingsSayingWhatWasGiven() {
    RedisMailQueue.Builder b = RedisMailQueue.builder(client);
    assertThatThrownBy(() -> b.name("a{b}")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a{b}");
    assertThatThrownBy(() -> b.maxPayloadBytes(10)).hasMessageContaining("was 10");
    assertThatThrownBy(() -> b.capacity(0)).hasMessageContaining("was 0");
    assertThatThrownBy(() -> b.maxLeaseLapses(0)).hasMessageContaining("was 0");
    assertThatThrownBy(() -> b.pollInterval(Duration.ZERO)).hasMessageContaining("PT0S");
  }

  private byte[] rawPayload(String id) {
    return rawFieldBytes(id, "p");
  }

  private String rawField(String id, String field) {
    return new String(rawFieldBytes(id, field), StandardCharsets.ISO_8859_1);
  }

  private byte[] rawFieldBytes(String id, String field) {
    try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
      byte[] value = c.sync().hget((prefix + ":{mail}:m:" + id).getBytes(StandardCharsets.UTF_8),
          field.getBytes(StandardCharsets.UTF_8));
      assertThat(value).as("stored field " + field + " of " + id).isNotNull();
      return value;
    }
  }
}
