package io.postline.mail.queue.redis;

import static io.postline.mail.queue.redis.RedisTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.postline.mail.Priority;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** enqueueBatch in chunks (one script call each, all or nothing per chunk) and multi-message takes. */
@Timeout(60)
class RedisBatchTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static RedisClient client;
  private final String prefix = RedisTestSupport.uniquePrefix();

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

  private static List<QueuedMail> mails(String tag, int n, Priority priority) {
    return IntStream.range(0, n).mapToObj(i -> mail(String.format("%s-%05d", tag, i), priority)).toList();
  }

  @Test
  void aBatchOverSeveralChunksIsStoredOnceInOrderAndTakenSeveralAtATime() throws Exception {
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build()) {
      List<QueuedMail> batch = mails("b", RedisMailQueue.BATCH_CHUNK * 2 + 7, Priority.NORMAL);
      queue.enqueue(batch.get(3));
      queue.enqueueBatch(batch);
      queue.enqueueBatch(batch.subList(0, 10));
      assertThat(queue.counts().ready().get(Priority.NORMAL)).isEqualTo(batch.size());

      List<String> taken = new ArrayList<>();
      while (taken.size() < batch.size()) {
        List<Lease> leases = queue.take(64, Duration.ofSeconds(5), LEASE);
        assertThat(leases).isNotEmpty().hasSizeLessThanOrEqualTo(64);
        for (Lease lease : leases) {
          taken.add(lease.id());
          assertThat(lease.mail().email().subject()).contains(lease.id());
          assertThat(queue.ack(lease)).isTrue();
        }
      }
      // Stored once: message 3 (enqueued on its own first) came once, in its first place.
      List<String> expected = new ArrayList<>(List.of(batch.get(3).id()));
      batch.stream().map(QueuedMail::id).filter(id -> !id.equals(batch.get(3).id())).forEach(expected::add);
      assertThat(taken).containsExactlyElementsOf(expected);
      assertThat(queue.take(10, Duration.ZERO, LEASE)).isEmpty();
    }
  }

  @Test
  void aMultiTakeHonoursPriorities() throws Exception {
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build()) {
      queue.enqueueBatch(mails("low", 2, Priority.LOW));
      queue.enqueueBatch(mails("high", 2, Priority.HIGH));
      queue.enqueueBatch(mails("normal", 2, Priority.NORMAL));
      assertThat(queue.take(5, Duration.ofSeconds(5), LEASE)).extracting(Lease::id)
          .containsExactly("high-00000", "high-00001", "normal-00000", "normal-00001", "low-00000");
      assertThat(queue.counts().leased()).isEqualTo(5);
    }
  }

  @Test
  void aChunkThatWouldOverfillTheQueueStoresNothing() {
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").capacity(10).build()) {
      queue.enqueueBatch(mails("first", 6, Priority.NORMAL));
      assertThatThrownBy(() -> queue.enqueueBatch(mails("second", 5, Priority.NORMAL)))
          .isInstanceOf(QueueFullException.class).hasMessageContaining("nothing was queued");
      assertThat(queue.counts().ready().get(Priority.NORMAL)).isEqualTo(6);
      // Ids already stored take no room: re-sending the first six with four new fits exactly.
      List<QueuedMail> mixed = new ArrayList<>(mails("first", 6, Priority.NORMAL));
      mixed.addAll(mails("third", 4, Priority.NORMAL));
      queue.enqueueBatch(mixed);
      assertThat(queue.counts().ready().get(Priority.NORMAL)).isEqualTo(10);
    }
  }

  @Test
  void aFailingChunkStopsTheBatchWithTheChunksBeforeItStoredAndNoneAfterItSent() {
    try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").capacity(700).build()) {
      List<QueuedMail> batch = mails("big", 2 * RedisMailQueue.BATCH_CHUNK + 200, Priority.NORMAL);

      // The second chunk would overfill the queue; the third is encoded meanwhile but never sent.
      assertThatThrownBy(() -> queue.enqueueBatch(batch)).isInstanceOf(QueueFullException.class);

      assertThat(queue.counts().ready().get(Priority.NORMAL)).isEqualTo(RedisMailQueue.BATCH_CHUNK);
      queue.enqueueBatch(batch.subList(2 * RedisMailQueue.BATCH_CHUNK, batch.size()));
      assertThat(queue.counts().ready().get(Priority.NORMAL)).as("the third chunk was not stored before")
          .isEqualTo(RedisMailQueue.BATCH_CHUNK + 200);
    }
  }

  @Test
  void theLeasesOfAWorkerThatDiedHoldingSeveralAreRecoveredByAnother() throws Exception {
    try (RedisMailQueue survivor = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build()) {
      survivor.enqueueBatch(mails("held", 5, Priority.NORMAL));
      try (RedisMailQueue dying = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build()) {
        // Leased five at once, then gone without completing any (its leases lapse).
        assertThat(dying.take(5, Duration.ZERO, Duration.ofMillis(200))).hasSize(5);
      }

      List<Lease> back = new ArrayList<>();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
        back.addAll(survivor.take(5, Duration.ofMillis(100), Duration.ofSeconds(30)));
        return back.size() == 5;
      });

      assertThat(back).extracting(Lease::id).containsExactlyInAnyOrderElementsOf(
          mails("held", 5, Priority.NORMAL).stream().map(QueuedMail::id).toList());
      assertThat(survivor.stats().recoveredLeases()).isEqualTo(5);
      for (Lease lease : back) {
        assertThat(survivor.ack(lease)).isTrue();
      }
      assertThat(survivor.counts().leased()).isZero();
    }
  }
}
