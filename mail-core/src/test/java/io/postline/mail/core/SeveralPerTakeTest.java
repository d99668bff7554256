package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postline.mail.Email;
import io.postline.mail.Priority;
import io.postline.mail.SendResult;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Workers take several messages per call from a deep in-memory queue; what they took but did not
 * reach goes back to the queue at once when the mailer stops or a worker dies. Leases are a minute
 * long, so a message sent within seconds was given back, not recovered after a lapse.
 */
@Timeout(60)
class SeveralPerTakeTest {
  private static final Duration LONG_LEASE = Duration.ofMinutes(1);
  private static final Duration WAIT = Duration.ofSeconds(15);

  private static List<QueuedMail> mails(String tag, int n, Priority priority) {
    Instant now = Instant.now();
    return IntStream.range(0, n).mapToObj(i -> {
      String id = String.format("%s-%05d", tag, i);
      Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject(id).text("hi")
          .priority(priority).build();
      return new QueuedMail(id, email, 0, now, now, Optional.empty());
    }).toList();
  }

  private static List<String> ids(List<QueuedMail> mails) {
    return mails.stream().map(QueuedMail::id).toList();
  }

  @Test
  void theInMemoryQueueLeasesSeveralInOrderAndGivesThemBackToTheirPlaces() throws Exception {
    MailQueue queue = MailQueue.inMemory(1_000, Clock.systemUTC());
    queue.enqueueBatch(mails("low", 2, Priority.LOW));
    queue.enqueueBatch(mails("normal", 3, Priority.NORMAL));
    queue.enqueueBatch(mails("high", 2, Priority.HIGH));

    List<Lease> taken = queue.take(5, Duration.ZERO, LONG_LEASE);
    assertThat(taken).extracting(Lease::id)
        .containsExactly("high-00000", "high-00001", "normal-00000", "normal-00001", "normal-00002");
    assertThat(queue.counts().leased()).isEqualTo(5);
    assertThat(queue.ack(taken.get(0))).isTrue();

    assertThat(queue.release(taken.subList(1, 5))).isEqualTo(4);
    assertThat(queue.release(List.of(taken.get(0)))).as("no longer current").isZero();
    assertThat(queue.counts().leased()).isZero();
    assertThat(queue.take(10, Duration.ZERO, LONG_LEASE)).extracting(Lease::id).containsExactly("high-00001",
        "normal-00000", "normal-00001", "normal-00002", "low-00000", "low-00001");
  }

  @Test
  void aStoppingMailerGivesBackWhatItTookButDidNotReachInItsOrder() throws Exception {
    int total = 50;
    RecordingQueue queue = new RecordingQueue(MailQueue.inMemory(1_000, Clock.systemUTC()));
    GateProvider provider = new GateProvider();
    AtomicReference<List<Lease>> heldTake = new AtomicReference<>();
    queue.onSeveral(leases -> {
      if (heldTake.compareAndSet(null, leases)) {
        provider.holdOn.set(leases.get(0).id());
      }
    });
    List<QueuedMail> all = mails("m", total, Priority.NORMAL);
    queue.enqueueBatch(all);
    Mailer mailer = Mailer.builder().provider(provider).queue(queue).workers(1).leaseDuration(LONG_LEASE).build();
    List<QueuedMail> left;
    try {
      assertThat(provider.held.await(30, TimeUnit.SECONDS)).isTrue();
      AtomicReference<List<QueuedMail>> returned = new AtomicReference<>();
      Thread closer = new Thread(() -> returned.set(mailer.shutdown(WAIT)), "closer");
      closer.start();
      await().atMost(WAIT).until(() -> closer.getState() == Thread.State.TIMED_WAITING);
      provider.gate.countDown();
      closer.join(WAIT.toMillis());
      assertThat(closer.isAlive()).isFalse();
      left = returned.get();
    } finally {
      provider.gate.countDown();
      mailer.close();
    }

    int unreached = heldTake.get().size() - 1;
    assertThat(unreached).isPositive();
    assertThat(queue.released()).isEqualTo(unreached);
    assertThat(queue.leasedAtDrain()).as("nothing was still leased when the queue was drained").isZero();
    int sent = provider.sent.size();
    assertThat(provider.sent).containsExactlyElementsOf(ids(all).subList(0, sent));
    // What the mailer hands back on shutdown is the rest, in the queue's order.
    assertThat(ids(left)).containsExactlyElementsOf(ids(all).subList(sent, total));
  }

  @Test
  void aWorkerThatDiesInTheMiddleOfABatchGivesTheRestBackAndItsReplacementSendsThem() throws Exception {
    int total = 40;
    AtomicReference<String> crashOn = new AtomicReference<>();
    AtomicBoolean crashed = new AtomicBoolean();
    RecordingQueue queue = new RecordingQueue(MailQueue.inMemory(1_000, Clock.systemUTC())) {
      @Override
      public boolean ack(Lease lease) {
        if (lease.id().equals(crashOn.get()) && crashed.compareAndSet(false, true)) {
          throw new OutOfMemoryError("the queue plugin ran out"); // escapes the pass: the worker thread dies
        }
        return super.ack(lease);
      }
    };
    queue.onSeveral(leases -> crashOn.compareAndSet(null, leases.get(0).id()));
    queue.enqueueBatch(mails("c", total, Priority.NORMAL));
    GateProvider provider = new GateProvider();
    try (Mailer mailer = Mailer.builder().provider(provider).queue(queue).workers(1).leaseDuration(LONG_LEASE)
        .build()) {
      await().atMost(WAIT).until(() -> provider.sent.size() == total);
      assertThat(crashed).isTrue();
      assertThat(queue.released()).as("the dying worker's unreached leases").isPositive();
      assertThat(provider.sent).doesNotHaveDuplicates();
      // Only the message whose completion died with the thread still waits for its lease.
      assertThat(mailer.queueCounts().leased()).isEqualTo(1);
      assertThat(mailer.queueCounts().readyTotal()).isZero();
      await().atMost(WAIT).until(() -> mailer.health().workers().running() == 1);
    }
  }

  @Test
  void anErrorFromTheProviderOnTheFirstMessageOfABatchLeavesTheRestToBeSentAtOnce() throws Exception {
    int total = 40;
    RecordingQueue queue = new RecordingQueue(MailQueue.inMemory(1_000, Clock.systemUTC()));
    GateProvider provider = new GateProvider();
    queue.onSeveral(leases -> provider.errorOn.compareAndSet(null, leases.get(0).id()));
    queue.enqueueBatch(mails("e", total, Priority.NORMAL));
    try (Mailer mailer = Mailer.builder().provider(provider).queue(queue).workers(1).leaseDuration(LONG_LEASE)
        .queueRetry(RetryPolicy.exponential(3, Duration.ofMillis(5))).build()) {
      await().atMost(WAIT).until(() -> provider.sent.size() == total);
      assertThat(provider.errors).hasValue(1);
      assertThat(provider.sent).doesNotHaveDuplicates().contains(provider.errorOn.get());
      assertThat(mailer.queueCounts().pending()).isZero();
    }
  }

  @Test
  void aSlowProviderKeepsWorkersTakingOneAtATime() throws Exception {
    int total = 12;
    RecordingQueue queue = new RecordingQueue(MailQueue.inMemory(1_000, Clock.systemUTC()));
    GateProvider provider = new GateProvider();
    provider.latency = Duration.ofMillis(15); // over the 10 ms a take's messages may take
    queue.enqueueBatch(mails("s", total, Priority.NORMAL));
    try (Mailer mailer = Mailer.builder().provider(provider).queue(queue).workers(1).build()) {
      await().atMost(WAIT).until(() -> provider.sent.size() == total);
      // The first take is one; after it the measured pass allows no more than one.
      assertThat(queue.takes()).isNotEmpty().allSatisfy(n -> assertThat(n).isEqualTo(1));
    }
  }

  /**
   * Records the subjects (ids) it sent; holds the send of {@code holdOn} until the gate opens,
   * throws an {@link Error} once for {@code errorOn}, and takes {@code latency} per send.
   */
  private static final class GateProvider implements MailProvider {
    final List<String> sent = new CopyOnWriteArrayList<>();
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);
    final AtomicReference<String> errorOn = new AtomicReference<>();
    final AtomicReference<String> holdOn = new AtomicReference<>();
    final AtomicInteger errors = new AtomicInteger();
    volatile Duration latency = Duration.ZERO;

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
      if (!latency.isZero()) {
        java.util.concurrent.locks.LockSupport.parkNanos(latency.toNanos());
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
