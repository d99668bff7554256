package io.postline.mail.queue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Counted wake-ups: one take per notified message, none lost, none to spare. */
@Timeout(30)
class TakePermitsTest {
  private static final long SHORT = TimeUnit.MILLISECONDS.toNanos(20);

  private static TakePermits withTakers(int n) {
    TakePermits permits = new TakePermits();
    for (int i = 0; i < n; i++) {
      permits.addTaker();
    }
    return permits;
  }

  @Test
  void aNotificationBeforeTheWaitIsKeptForIt() throws Exception {
    TakePermits permits = withTakers(4);
    permits.release(1);
    assertThat(permits.acquire(SHORT)).as("the notification came between the take and the wait").isTrue();
    assertThat(permits.acquire(SHORT)).as("one notification, one take").isFalse();
  }

  @Test
  void oneNotificationWakesOneOfTwoWaitersAndTheOtherWaitsOn() throws Exception {
    TakePermits permits = withTakers(4);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> acquire(permits, TimeUnit.SECONDS.toNanos(5)), pool);
    CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> acquire(permits, TimeUnit.SECONDS.toNanos(5)), pool);
    permits.release(1);
    Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> first.isDone() || second.isDone());
    assertThat(first.isDone() && second.isDone()).as("only one was woken").isFalse();
    permits.release(1);
    assertThat(first.get(5, TimeUnit.SECONDS)).isTrue();
    assertThat(second.get(5, TimeUnit.SECONDS)).isTrue();
    pool.shutdown();
  }

  @Test
  void permitsAreCappedAtTheTakersAndATakeOfSeveralUsesUpTheirNotifications() throws Exception {
    TakePermits permits = withTakers(3);
    permits.release(50);
    assertThat(permits.available()).isEqualTo(3);
    assertThat(permits.acquire(SHORT)).isTrue();
    permits.consume(5); // a take of six messages
    assertThat(permits.available()).isZero();
    assertThat(permits.acquire(SHORT)).isFalse();
  }

  @Test
  void aTakeThatLeftMoreReadyPassesOneOnUnlessOneIsWaitingToBeUsed() throws Exception {
    TakePermits permits = withTakers(4);
    permits.offerOne();
    permits.offerOne();
    assertThat(permits.available()).isEqualTo(1);
    permits.releaseAll();
    assertThat(permits.available()).isEqualTo(4);
  }

  private static boolean acquire(TakePermits permits, long nanos) {
    try {
      return permits.acquire(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void takersThatDiedNoLongerRaiseTheCapOnceAnotherRegisters() throws Exception {
    TakePermits permits = new TakePermits();
    for (int i = 0; i < 3; i++) {
      Thread replaced = new Thread(permits::addTaker);
      replaced.start();
      replaced.join();
    }
    java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    Thread live = new Thread(() -> {
      permits.addTaker();
      registered.countDown();
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    live.start();
    try {
      assertThat(registered.await(5, TimeUnit.SECONDS)).isTrue();
      permits.release(50);
      assertThat(permits.available()).as("one taker alive, not four registered").isEqualTo(1);
    } finally {
      done.countDown();
      live.join();
    }
  }
}
