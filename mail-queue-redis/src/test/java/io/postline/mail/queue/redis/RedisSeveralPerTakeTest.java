package io.postline.mail.queue.redis;

import static io.postline.mail.queue.redis.RedisTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.postline.mail.Email;
import io.postline.mail.Priority;
import io.postline.mail.SendResult;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.RecordingQueue;
import io.postline.mail.core.RetryPolicy;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.tck.DroppingProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Workers that take several messages per call from a deep Redis queue: what they took but did not
 * reach goes back at once when the mailer stops or a worker dies, in its order and priority, and
 * {@link RedisMailQueue#release} is safe to retry after a lost reply. Leases here are long (a
 * minute), so a message that comes back within seconds was given back, not recovered after a lapse.
 */
@Timeout(90)
class RedisSeveralPerTakeTest {
  private static final Duration LONG_LEASE = Duration.ofMinutes(1);
  private static final Duration SOON = Duration.ofSeconds(15);
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

  private RedisMailQueue queue() {
    return RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build();
  }

  private static List<QueuedMail> mails(String tag, int n, Priority priority) {
    return IntStream.range(0, n).mapToObj(i -> mail(String.format("%s-%05d", tag, i), priority)).toList();
  }

  @Test
  void givenBackLeasesAreReadyAtOnceInTheirOrderAheadOfLaterMessagesWithTheirAttempts() throws Exception {
    try (RedisMailQueue queue = queue()) {
      queue.enqueueBatch(mails("high", 2, Priority.HIGH));
      queue.enqueueBatch(mails("first", 6, Priority.NORMAL));
      List<Lease> taken = queue.take(6, Duration.ofSeconds(5), LONG_LEASE);
      assertThat(taken).extracting(Lease::id)
          .containsExactly("high-00000", "high-00001", "first-00000", "first-00001", "first-00002", "first-00003");
      queue.enqueueBatch(mails("later", 2, Priority.NORMAL));
      queue.enqueueBatch(mails("later-high", 1, Priority.HIGH));

      // Worked the first two, gave the other four back (one of them HIGH).
      assertThat(queue.ack(taken.get(0))).isTrue();
      assertThat(queue.ack(taken.get(2))).isTrue();
      List<Lease> unreached = List.of(taken.get(1), taken.get(3), taken.get(4), taken.get(5));
      assertThat(queue.release(unreached)).isEqualTo(4);
      assertThat(queue.counts().leased()).isZero();
      // A second give-back with the same leases (a retry) answers the same and changes nothing.
      assertThat(queue.release(unreached)).isEqualTo(4);
      // A lease no longer current is skipped.
      assertThat(queue.release(List.of(taken.get(0)))).isZero();

      List<Lease> again = queue.take(20, Duration.ofSeconds(5), LONG_LEASE);
      assertThat(again).extracting(Lease::id).containsExactly("high-00001", "later-high-00000", "first-00001",
          "first-00002", "first-00003", "first-00004", "first-00005", "later-00000", "later-00001");
      assertThat(again).allSatisfy(l -> assertThat(l.mail().attempts()).isZero());
      assertThat(queue.stats().recoveredLeases()).as("no lapse was counted").isZero();
      assertThat(again.get(0).token()).isGreaterThan(taken.get(5).token());
    }
  }

  @Test
  void aGiveBackWhoseReplyWasLostIsRetriedAndCountsEachMessageOnce() throws Exception {
    String marker = "lost-release-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    try (DroppingProxy proxy = RedisTestSupport.droppingProxy()) {
      RedisClient viaProxy = RedisTestSupport.client(proxy);
      try (RedisMailQueue direct = queue();
          RedisMailQueue proxied = RedisMailQueue.builder(viaProxy).keyPrefix(prefix).name("mail")
              .operationTimeout(Duration.ofSeconds(10)).build()) {
        direct.enqueueBatch(mails(marker, 3, Priority.NORMAL));
        List<Lease> taken = direct.take(3, Duration.ofSeconds(5), LONG_LEASE);
        assertThat(taken).hasSize(3);
        proxy.dropRepliesTo(marker);
        java.util.concurrent.CompletableFuture<Void> heal = java.util.concurrent.CompletableFuture.runAsync(() -> {
          Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> proxy.dropped() > 0);
          proxy.passThrough();
        });

        assertThat(proxied.release(taken)).isEqualTo(3);
        heal.join();

        assertThat(proxy.dropped()).isPositive();
        assertThat(direct.counts().ready().get(Priority.NORMAL)).isEqualTo(3);
        assertThat(direct.take(10, Duration.ofSeconds(5), LONG_LEASE)).extracting(Lease::id)
            .containsExactlyElementsOf(taken.stream().map(Lease::id).toList());
      } finally {
        viaProxy.shutdown();
      }
    }
  }

  @Test
  void aMailerStoppingWithUnreachedLeasesGivesThemBackAndTheNextMailerSendsThemAtOnce() throws Exception {
    int total = 60;
    GateProvider provider = new GateProvider();
    RecordingQueue log = new RecordingQueue(queue());
    // The worker is held on the first message of its first take of several: the rest are unreached.
    AtomicReference<List<Lease>> heldTake = new AtomicReference<>();
    log.onSeveral(leases -> {
      if (heldTake.compareAndSet(null, leases)) {
        provider.holdOn.set(leases.get(0).id());
      }
    });
    try (RedisMailQueue seed = queue()) {
      seed.enqueueBatch(mails("m", total, Priority.NORMAL));
    }
    Mailer first = Mailer.builder().provider(provider).queue(log).workers(1).leaseDuration(LONG_LEASE).build();
    try {
      assertThat(provider.held.await(30, TimeUnit.SECONDS)).isTrue();
      Thread closer = new Thread(first::close, "closer");
      closer.start();
      // The closer waits for the worker: the mailer is stopping. Then let the held send finish.
      Awaitility.await().atMost(SOON).until(() -> closer.getState() == Thread.State.TIMED_WAITING);
      provider.gate.countDown();
      closer.join(SOON.toMillis());
      assertThat(closer.isAlive()).isFalse();
    } finally {
      provider.gate.countDown();
      first.close();
      log.close();
    }
    int unreached = heldTake.get().size() - 1;
    assertThat(unreached).isPositive();
    assertThat(log.released()).as("the leases taken but not reached").isEqualTo(unreached);
    int sentByFirst = provider.sent.size();
    // The first mailer sent the oldest messages, in order, up to the one it was held on.
    assertThat(provider.sent).containsExactlyElementsOf(
        mails("m", sentByFirst, Priority.NORMAL).stream().map(QueuedMail::id).toList());
    assertThat(provider.sent).endsWith(heldTake.get().get(0).id());
    try (RedisMailQueue observer = queue()) {
      assertThat(observer.counts().leased()).as("nothing left to lapse").isZero();
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(total - sentByFirst);
    }

    GateProvider next = new GateProvider();
    RecordingQueue nextLog = new RecordingQueue(queue());
    try (Mailer second = Mailer.builder().provider(next).queue(nextLog).workers(1).leaseDuration(LONG_LEASE)
        .build()) {
      Awaitility.await().atMost(SOON).until(() -> next.sent.size() == total - sentByFirst);
      // One worker: the second mailer sends the rest in their order, the given-back ones first.
      assertThat(next.sent).containsExactlyElementsOf(mails("m", total, Priority.NORMAL).stream()
          .map(QueuedMail::id).skip(sentByFirst).toList());
      try (RedisMailQueue observer = queue()) {
        assertThat(observer.stats().recoveredLeases()).isZero();
      }
    } finally {
      nextLog.close();
    }
  }

  @Test
  void anErrorFromTheProviderOnTheFirstMessageOfABatchLeavesTheRestToBeSentAtOnce() throws Exception {
    int total = 40;
    GateProvider provider = new GateProvider();
    RecordingQueue log = new RecordingQueue(queue());
    // The first message of the first take of several throws an Error out of the provider.
    log.onSeveral(leases -> provider.errorOn.compareAndSet(null, leases.get(0).id()));
    try (RedisMailQueue seed = queue()) {
      seed.enqueueBatch(mails("e", total, Priority.NORMAL));
    }
    try (Mailer mailer = Mailer.builder().provider(provider).queue(log).workers(1).leaseDuration(LONG_LEASE)
        .queueRetry(RetryPolicy.exponential(3, Duration.ofMillis(5))).build()) {
      // Well within the lease: the rest of the batch did not wait for anything to lapse.
      Awaitility.await().atMost(SOON).until(() -> provider.sent.size() == total);
      String failed = provider.errorOn.get();
      assertThat(failed).isNotNull();
      assertThat(provider.errors).hasValue(1);
      assertThat(provider.sent).doesNotHaveDuplicates().contains(failed);
      try (RedisMailQueue observer = queue()) {
        assertThat(observer.counts().pending()).isZero();
        assertThat(observer.stats().recoveredLeases()).isZero();
      }
    } finally {
      log.close();
    }
  }

  @Test
  void aWorkerThatDiesInTheMiddleOfABatchGivesTheRestBackAndItsReplacementSendsThem() throws Exception {
    int total = 40;
    GateProvider provider = new GateProvider();
    AtomicReference<String> crashOn = new AtomicReference<>();
    AtomicBoolean crashed = new AtomicBoolean();
    RecordingQueue log = new RecordingQueue(queue()) {
      @Override
      public boolean ack(Lease lease) {
        if (lease.id().equals(crashOn.get()) && crashed.compareAndSet(false, true)) {
          throw new OutOfMemoryError("the queue plugin ran out"); // escapes the pass: the worker thread dies
        }
        return super.ack(lease);
      }
    };
    log.onSeveral(leases -> crashOn.compareAndSet(null, leases.get(0).id()));
    try (RedisMailQueue seed = queue()) {
      seed.enqueueBatch(mails("c", total, Priority.NORMAL));
    }
    try (Mailer mailer = Mailer.builder().provider(provider).queue(log).workers(1).leaseDuration(LONG_LEASE)
        .build()) {
      Awaitility.await().atMost(SOON).until(() -> provider.sent.size() == total);
      assertThat(crashed).isTrue();
      assertThat(log.released()).as("the dying worker's unreached leases").isPositive();
      assertThat(provider.sent).doesNotHaveDuplicates();
      try (RedisMailQueue observer = queue()) {
        // Only the message whose completion died with the thread still waits for its lease.
        assertThat(observer.counts().leased()).isEqualTo(1);
        assertThat(observer.counts().ready().get(Priority.NORMAL)).isZero();
      }
    } finally {
      log.close();
    }
  }

  /**
   * Records the ids (subjects) it sent; can hold the send of {@code holdOn} until the gate opens,
   * and throws an {@link Error} once for the message {@code errorOn}.
   */
  private static final class GateProvider implements MailProvider {
    final List<String> sent = new CopyOnWriteArrayList<>();
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);
    final AtomicReference<String> errorOn = new AtomicReference<>();
    final java.util.concurrent.atomic.AtomicInteger errors = new java.util.concurrent.atomic.AtomicInteger();
    final AtomicReference<String> holdOn = new AtomicReference<>();

    @Override
    public String name() {
      return "gate";
    }

    @Override
    public Capabilities capabilities() {
      return Capabilities.unlimited();
    }

    @Override
    public SendResult send(Email email) {
      String id = email.subject().orElse("");
      if (id.equals(errorOn.get()) && errors.compareAndSet(0, 1)) {
        throw new StackOverflowError("a provider bug");
      }
      sent.add(id);
      if (id.equals(holdOn.get())) {
        held.countDown();
        try {
          gate.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return SendResult.accepted(name(), "<" + id + "@gate>", email.recipients(), Duration.ZERO);
    }

    @Override
    public void close() {}
  }
}
