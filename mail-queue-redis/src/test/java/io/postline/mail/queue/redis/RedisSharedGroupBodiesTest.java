package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.Priority;
import io.postline.mail.Recipient;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.queue.codec.EncryptionKeys;
import io.postline.mail.tck.DroppingProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code sharedGroupBodies(true)}: a group's body is stored once, each copy names it, takes hand
 * out whole messages, and the shared body lives exactly as long as a message names it (acks,
 * lapsed leases, dead letters, requeues, purges, trims), against a real Redis.
 */
@Timeout(120)
class RedisSharedGroupBodiesTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static RedisClient client;
  private final String prefix = RedisTestSupport.uniquePrefix();
  private final String marker = "group-" + UUID.randomUUID();

  @BeforeAll
  static void connect() {
    client = RedisTestSupport.client();
  }

  @AfterAll
  static void disconnect() {
    client.shutdown();
  }

  @AfterEach
  void cleanup() {
    RedisTestSupport.cleanup(client, prefix);
  }

  private RedisMailQueue.Builder queue(RedisClient c) {
    return RedisMailQueue.builder(c).keyPrefix(prefix).name("mail").sharedGroupBodies(true);
  }

  private Email group() {
    return Email.builder().from(Address.of("shop@example.org", "Shop")).subject("Sale " + marker)
        .text("body ".repeat(1000)).html("<p>" + "html ".repeat(200) + "</p>")
        .attach(Attachment.of("terms.txt", "the terms".getBytes(StandardCharsets.UTF_8), "text/plain"))
        .header("X-Campaign", "sale").tag("sale").metadata("wave", "1").build();
  }

  /** Copies of one email, one recipient each, with ids {@code tag-00000} on. */
  private List<QueuedMail> copies(Email email, String tag, int n) {
    Instant now = Instant.now();
    List<QueuedMail> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String id = String.format("%s-%05d", tag, i);
      Email copy = email.forRecipient(Recipient.of(Address.of(id + "@example.org"), Map.of()));
      out.add(new QueuedMail(id, copy, 0, now, now, Optional.of("corr-" + id)));
    }
    return out;
  }

  private static StatefulRedisConnection<String, String> raw() {
    return client.connect();
  }

  /** The shared bodies stored, by key, with their reference counts. */
  private Map<String, Long> shares(RedisCommands<String, String> redis, RedisMailQueue q) {
    Map<String, Long> out = new HashMap<>();
    for (String key : RedisTestSupport.keys(client, q.keyBase() + ":g:")) {
      out.put(key, Long.parseLong(redis.hget(key, "n")));
    }
    return out;
  }

  private static List<String> messageKeys(RedisMailQueue q) {
    return RedisTestSupport.keys(client, q.keyBase() + ":m:");
  }

  /** Takes everything ready, checks each is the whole message it was, acks it. */
  private static int takeAndAckAll(RedisMailQueue q, Map<String, QueuedMail> expected) throws Exception {
    int n = 0;
    while (true) {
      List<Lease> leases = q.take(64, Duration.ZERO, LEASE);
      if (leases.isEmpty()) {
        return n;
      }
      for (Lease lease : leases) {
        QueuedMail want = expected.get(lease.id());
        assertThat(want).as(lease.id()).isNotNull();
        assertThat(lease.mail().email()).as(lease.id()).isEqualTo(want.email());
        assertThat(lease.mail().correlationId()).isEqualTo(want.correlationId());
        assertThat(q.ack(lease)).isTrue();
        n++;
      }
    }
  }

  private static Map<String, QueuedMail> byId(List<QueuedMail> mails) {
    Map<String, QueuedMail> out = new HashMap<>();
    mails.forEach(m -> out.put(m.id(), m));
    return out;
  }

  @Test
  void aGroupIsStoredWithOneBodyTakenWholeAndLeavesNothingOnceAcked() throws Exception {
    List<QueuedMail> batch = copies(group(), "g", 2 * RedisMailQueue.BATCH_CHUNK + 100);
    try (RedisMailQueue q = queue(client).build(); var c = raw()) {
      RedisCommands<String, String> redis = c.sync();
      q.enqueueBatch(batch);

      // One body for the whole group (it runs on across the three chunks), counted once per copy.
      Map<String, Long> shares = shares(redis, q);
      assertThat(shares).hasSize(1);
      assertThat(shares.values()).containsExactly((long) batch.size());
      String shareId = shares.keySet().iterator().next().substring((q.keyBase() + ":g:").length());
      String key = q.keyBase() + ":m:" + batch.get(700).id();
      assertThat(redis.hget(key, "b")).isEqualTo(shareId);
      assertThat(redis.hstrlen(key, "p")).as("a copy's own payload").isLessThan(600);
      assertThat(redis.hstrlen(shares.keySet().iterator().next(), "p")).isGreaterThan(5_000);
      assertThat(q.counts().ready().get(Priority.NORMAL)).isEqualTo(batch.size());

      assertThat(takeAndAckAll(q, byId(batch))).isEqualTo(batch.size());

      assertThat(shares(redis, q)).as("the body went with the last copy").isEmpty();
      assertThat(messageKeys(q)).isEmpty();
    }
  }

  @Test
  void throughAMailerTheWorkersSendEveryCopyWholeAndNothingIsLeft() throws Exception {
    io.postline.mail.core.InMemoryProvider provider = new io.postline.mail.core.InMemoryProvider("m");
    List<Recipient> recipients = new ArrayList<>();
    for (int i = 0; i < 1_200; i++) {
      recipients.add(Recipient.of("r" + i + "@example.org"));
    }
    Email email = Email.builder().from("shop@example.org").subject("Sale " + marker).text("body ".repeat(1000))
        .attach(Attachment.of("terms.txt", "the terms".getBytes(StandardCharsets.UTF_8), "text/plain")).build();
    try (RedisMailQueue q = queue(client).build(); var c = raw();
        io.postline.mail.core.Mailer mailer = io.postline.mail.core.Mailer.builder().provider(provider).queue(q)
            .workers(4).build()) {
      mailer.enqueueBatch(email, recipients);

      List<Email> sent = provider.awaitSent(recipients.size(), Duration.ofSeconds(60));
      assertThat(sent).hasSize(recipients.size());
      assertThat(sent).allSatisfy(e -> {
        assertThat(e.subject()).contains("Sale " + marker);
        assertThat(e.text()).isEqualTo(email.text());
        assertThat(e.attachments()).isEqualTo(email.attachments());
        assertThat(e.to()).hasSize(1);
      });
      assertThat(sent).extracting(e -> e.to().get(0).email()).doesNotHaveDuplicates();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> q.counts().leased() == 0);
      assertThat(shares(c.sync(), q)).isEmpty();
      assertThat(messageKeys(q)).isEmpty();
    }
  }

  @Test
  void anEncryptedGroupKeepsItsSharedBodyEncrypted() throws Exception {
    EncryptionKeys keys = EncryptionKeys.current("k1", "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    List<QueuedMail> batch = copies(group(), "e", 5);
    try (RedisMailQueue q = queue(client).encryption(keys).build(); var c = raw()) {
      q.enqueueBatch(batch);
      String share = shares(c.sync(), q).keySet().iterator().next();
      try (StatefulRedisConnection<String, byte[]> bin = client.connect(io.lettuce.core.codec.RedisCodec.of(
          io.lettuce.core.codec.StringCodec.UTF8, io.lettuce.core.codec.ByteArrayCodec.INSTANCE))) {
        byte[] stored = bin.sync().hget(share, "p");
        assertThat(stored[0]).as("sealed").isZero();
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("body body").doesNotContain(marker);
        byte[] own = bin.sync().hget(q.keyBase() + ":m:e-00000", "p");
        assertThat(own[0]).isZero();
        assertThat(new String(own, StandardCharsets.ISO_8859_1)).doesNotContain("e-00000@example.org");
      }
      assertThat(takeAndAckAll(q, byId(batch))).isEqualTo(5);
      assertThat(shares(c.sync(), q)).isEmpty();

      // A queue without the key reads neither part.
      q.enqueueBatch(copies(group(), "f", 2));
      try (RedisMailQueue keyless = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build()) {
        assertThat(keyless.take(5, Duration.ZERO, LEASE)).isEmpty();
        assertThat(keyless.counts().deadLettered()).isEqualTo(2);
      }
    }
  }

  @Test
  void aLostReplyOnAChunkStoresNothingTwiceAndTheCountsStayRight() throws Exception {
    List<QueuedMail> batch = new ArrayList<>(copies(group(), "c", 2 * RedisMailQueue.BATCH_CHUNK + 100));
    // Only the second chunk's request holds the marker: its replies are dropped, the retries
    // (the same arguments, the same share) run the script again and again.
    String lostId = "lost-" + marker;
    QueuedMail inSecond = batch.get(RedisMailQueue.BATCH_CHUNK + 10);
    batch.set(RedisMailQueue.BATCH_CHUNK + 10, new QueuedMail(lostId, inSecond.email(), 0, inSecond.enqueuedAt(),
        inSecond.dueAt(), inSecond.correlationId()));
    try (DroppingProxy proxy = RedisTestSupport.droppingProxy()) {
      RedisClient viaProxy = RedisTestSupport.client(proxy);
      try (RedisMailQueue q = queue(viaProxy).operationTimeout(Duration.ofSeconds(2)).build();
          RedisMailQueue observer = queue(client).build(); var c = raw()) {
        proxy.dropRepliesTo(lostId);
        assertThatThrownBy(() -> q.enqueueBatch(batch)).isInstanceOf(MailOutcomeUnknownException.class);
        assertThat(proxy.dropped()).isGreaterThan(1);

        // The first two chunks are stored, once each; the third was never sent.
        assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(2L * RedisMailQueue.BATCH_CHUNK);
        assertThat(shares(c.sync(), observer).values()).containsExactly(2L * RedisMailQueue.BATCH_CHUNK);

        // The caller enqueues the whole batch again: only the third chunk is new, with a share of its own.
        proxy.passThrough();
        q.enqueueBatch(batch);
        assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(batch.size());
        assertThat(shares(c.sync(), observer).values()).containsExactlyInAnyOrder(2L * RedisMailQueue.BATCH_CHUNK, 100L);

        assertThat(takeAndAckAll(observer, byId(batch))).isEqualTo(batch.size());
        assertThat(shares(c.sync(), observer)).isEmpty();
        assertThat(messageKeys(observer)).isEmpty();
      } finally {
        viaProxy.shutdown();
      }
    }
  }

  @Test
  void aWorkerThatDiesMidGroupLeavesLeasesWhoseMessagesStillReadTheirBody() throws Exception {
    List<QueuedMail> batch = copies(group(), "w", 8);
    try (RedisMailQueue survivor = queue(client).build(); var c = raw()) {
      survivor.enqueueBatch(batch);
      try (RedisMailQueue dying = queue(client).build()) {
        assertThat(dying.take(5, Duration.ZERO, Duration.ofMillis(200))).hasSize(5);
      } // gone without acking: the five leases lapse

      Map<String, QueuedMail> expected = byId(batch);
      List<Lease> back = new ArrayList<>();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
        back.addAll(survivor.take(8, Duration.ofMillis(100), LEASE));
        return back.size() == 8;
      });
      assertThat(survivor.stats().recoveredLeases()).isEqualTo(5);
      assertThat(shares(c.sync(), survivor).values()).containsExactly(8L);
      for (Lease lease : back) {
        assertThat(lease.mail().email()).isEqualTo(expected.get(lease.id()).email());
        assertThat(survivor.ack(lease)).isTrue();
      }
      assertThat(shares(c.sync(), survivor)).isEmpty();
    }
  }

  @Test
  void deadLettersKeepTheBodyUntilTheyArePurged() throws Exception {
    List<QueuedMail> batch = copies(group(), "d", 4);
    try (RedisMailQueue q = queue(client).maxLeaseLapses(1).build(); var c = raw()) {
      RedisCommands<String, String> redis = c.sync();
      q.enqueueBatch(batch);
      List<Lease> leases = q.take(4, Duration.ZERO, LEASE);
      assertThat(leases).hasSize(4);
      assertThat(q.deadLetter(leases.get(0), 3, FailureKind.PERMANENT, "550 no such user")).isTrue();
      assertThat(q.reschedule(leases.get(1), Instant.now(), 1)).isTrue();
      assertThat(q.ack(leases.get(2))).isTrue();
      assertThat(q.ack(leases.get(3))).isTrue();
      assertThat(shares(redis, q).values()).as("a dead letter and a retry still name it").containsExactly(2L);

      // The retry is taken whole again, and left to lapse: a poison message, dead-lettered.
      Lease retry = q.take(Duration.ofSeconds(5), Duration.ofMillis(100)).orElseThrow();
      assertThat(retry.mail().email()).isEqualTo(batch.get(1).email());
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> q.counts().deadLettered() == 2);

      // Both dead letters read whole, are requeued and read again, die again, and are purged.
      List<DeadLetter> dead = q.deadLetters(10);
      assertThat(dead).extracting(d -> d.mail().email().subject().orElseThrow()).containsOnly("Sale " + marker);
      assertThat(dead).extracting(d -> d.mail().email().to().get(0).email())
          .containsExactlyInAnyOrder("d-00000@example.org", "d-00001@example.org");
      assertThat(q.requeueDeadLetter(batch.get(0).id())).isTrue();
      Lease again = q.take(Duration.ofSeconds(5), LEASE).orElseThrow();
      assertThat(again.mail().email()).isEqualTo(batch.get(0).email());
      assertThat(q.deadLetter(again, 1, FailureKind.PERMANENT, "still no such user")).isTrue();
      assertThat(shares(redis, q).values()).containsExactly(2L);

      assertThat(q.purgeDeadLetter(batch.get(0).id())).isTrue();
      assertThat(shares(redis, q).values()).containsExactly(1L);
      assertThat(q.purgeDeadLetters()).isEqualTo(1);
      assertThat(shares(redis, q)).isEmpty();
      assertThat(messageKeys(q)).isEmpty();
    }
  }

  @Test
  void deadLettersTrimmedByCountLetGoOfTheBody() throws Exception {
    List<QueuedMail> batch = copies(group(), "t", 3);
    try (RedisMailQueue q = queue(client).deadLetterRetention(Duration.ofDays(1), 1).build(); var c = raw()) {
      q.enqueueBatch(batch);
      for (Lease lease : q.take(3, Duration.ZERO, LEASE)) {
        assertThat(q.deadLetter(lease, 1, FailureKind.PERMANENT, "refused")).isTrue();
      }
      assertThat(q.stats().trimmedDeadLetters()).isEqualTo(2);
      assertThat(shares(c.sync(), q).values()).containsExactly(1L);
      assertThat(q.purgeDeadLetters()).isEqualTo(1);
      assertThat(shares(c.sync(), q)).isEmpty();
    }
  }

  @Test
  void wholeAndSharedMessagesOfThisAndThePreviousFormatMixInOneQueue() throws Exception {
    try (RedisMailQueue shared = queue(client).build();
        RedisMailQueue whole = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build(); var c = raw()) {
      List<QueuedMail> all = new ArrayList<>();
      List<QueuedMail> v1Group = copies(group(), "old", 3);
      whole.enqueueBatch(v1Group); // the option off: version 1 payloads, as the previous release wrote
      List<QueuedMail> v2Group = copies(group(), "new", 3);
      shared.enqueueBatch(v2Group);
      QueuedMail single = RedisTestSupport.mail("single", Priority.HIGH);
      shared.enqueue(single); // a single message is stored whole, option or not
      all.addAll(v1Group);
      all.addAll(v2Group);
      all.add(single);

      RedisCommands<String, String> redis = c.sync();
      assertThat(redis.hget(shared.keyBase() + ":m:old-00000", "p")).startsWith("{\"v\":1,");
      assertThat(redis.hget(shared.keyBase() + ":m:old-00000", "b")).isNull();
      assertThat(redis.hget(shared.keyBase() + ":m:single", "p")).startsWith("{\"v\":1,");
      assertThat(redis.hget(shared.keyBase() + ":m:new-00000", "p")).startsWith("{\"v\":2,");
      assertThat(shares(redis, shared).values()).containsExactly(3L);

      // Either instance takes either format whole.
      Map<String, QueuedMail> expected = byId(all);
      List<Lease> firstHalf = whole.take(4, Duration.ZERO, LEASE);
      assertThat(firstHalf).extracting(Lease::id).containsExactly("single", "old-00000", "old-00001", "old-00002");
      for (Lease lease : firstHalf) {
        assertThat(lease.mail().email()).isEqualTo(expected.get(lease.id()).email());
        assertThat(whole.ack(lease)).isTrue();
      }
      assertThat(takeAndAckAll(whole, expected)).isEqualTo(3);
      assertThat(shares(redis, shared)).isEmpty();
      assertThat(messageKeys(shared)).isEmpty();
    }
  }

  @Test
  void aCopyWhosePayloadAndBodyTogetherAreOverTheLimitIsRefusedAndNothingIsStored() {
    Email big = Email.builder().from("shop@example.org").subject("big").text("z".repeat(3_000)).build();
    try (RedisMailQueue q = queue(client).maxPayloadBytes(2_048).build(); var c = raw()) {
      assertThatThrownBy(() -> q.enqueueBatch(copies(big, "big", 3))).isInstanceOf(PayloadTooLargeException.class);
      assertThat(q.counts().ready().get(Priority.NORMAL)).isZero();
      assertThat(shares(c.sync(), q)).isEmpty();
    }
  }

  /**
   * Nothing is left in Redis once a group is done, whichever way it went: the same key count and
   * (within a few KiB) the same memory as before, on a Redis of the test's own.
   */
  @Test
  void aFinishedGroupLeavesNoKeysAndNoMemoryBehind() throws Exception {
    try (RedisServerProcess server = new RedisServerProcess("--appendonly", "no")) {
      server.start();
      RedisClient own = RedisTestSupport.client(server.url());
      // A body of about 530 KB: a share left behind would show in used_memory as well (which
      // also moves by some tens of KB as Redis resizes its tables: read against 128 KiB).
      Email email = Email.builder().from("shop@example.org").subject("Big sale").text("x".repeat(400_000))
          .attach(Attachment.of("a.bin", new byte[100_000], "application/octet-stream")).build();
      try (RedisMailQueue q = RedisMailQueue.builder(own).name("mail").sharedGroupBodies(true)
          .finishedRetention(Duration.ofHours(1), 0).build();
          StatefulRedisConnection<String, String> c = own.connect()) {
        RedisCommands<String, String> redis = c.sync();
        // Every path once first, so that the scripts and counters exist before the baseline.
        runGroup(q, copies(email, "warm", 4));
        long keysBefore = redis.dbsize();
        long memoryBefore = usedMemory(redis);

        runGroup(q, copies(email, "g", 1_200));

        assertThat(redis.dbsize()).isEqualTo(keysBefore);
        assertThat(redis.keys("*:g:*")).isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(usedMemory(redis) - memoryBefore).as("bytes left behind").isLessThan(128 * 1024));
      } finally {
        own.shutdown();
      }
    }
  }

  /** Acks most of a group, dead-letters, requeues and purges some, lets one lease lapse. */
  private static void runGroup(RedisMailQueue q, List<QueuedMail> group) throws Exception {
    q.enqueueBatch(group);
    List<Lease> leases = new ArrayList<>();
    while (leases.size() < group.size()) {
      leases.addAll(q.take(100, Duration.ofSeconds(5), LEASE));
    }
    assertThat(q.deadLetter(leases.get(0), 1, FailureKind.PERMANENT, "refused")).isTrue();
    assertThat(q.deadLetter(leases.get(1), 1, FailureKind.PERMANENT, "refused")).isTrue();
    assertThat(q.reschedule(leases.get(2), Instant.now(), 1)).isTrue();
    for (Lease lease : leases.subList(3, leases.size())) {
      assertThat(q.ack(lease)).isTrue();
    }
    assertThat(q.requeueDeadLetter(leases.get(0).id())).isTrue();
    List<Lease> rest = new ArrayList<>();
    while (rest.size() < 2) {
      rest.addAll(q.take(2, Duration.ofSeconds(5), LEASE));
    }
    for (Lease lease : rest) {
      assertThat(lease.mail().email().text()).isEqualTo(group.get(0).email().text());
      assertThat(q.ack(lease)).isTrue();
    }
    assertThat(q.purgeDeadLetters()).isEqualTo(1);
    assertThat(q.counts().leased()).isZero();
  }

  private static long usedMemory(RedisCommands<String, String> redis) {
    for (String line : redis.info("memory").split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).strip());
      }
    }
    throw new IllegalStateException("INFO memory has no used_memory");
  }
}
