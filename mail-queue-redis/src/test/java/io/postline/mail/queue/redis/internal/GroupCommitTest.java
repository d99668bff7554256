package io.postline.mail.queue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group commit: operations that arrive while the calls allowed are under way go together in the
 * next one, sent as soon as a reply comes; each gets its own answer, and a failing
 * call (an {@link Error} too) fails only what it carried.
 */
@Timeout(30)
class GroupCommitTest {
  private final ExecutorService pool = Executors.newCachedThreadPool();
  /** Stands in for the connection's thread, which completes the replies. */
  private final ExecutorService connection = Executors.newSingleThreadExecutor(r -> new Thread(r, "connection"));

  @AfterEach
  void stop() {
    pool.shutdownNow();
    connection.shutdownNow();
  }

  /**
   * Doubles every number; its first reply comes only when the gate opens, so that others queue up
   * behind it. Replies are completed on the "connection" thread.
   */
  private final class Doubler {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);
    final List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    final List<String> sentBy = new CopyOnWriteArrayList<>();
    final AtomicInteger underWay = new AtomicInteger();
    volatile int mostAtOnce;

    CompletableFuture<List<Integer>> call(List<Integer> items) {
      mostAtOnce = Math.max(mostAtOnce, underWay.incrementAndGet());
      calls.add(List.copyOf(items));
      sentBy.add(Thread.currentThread().getName());
      entered.countDown();
      return CompletableFuture.supplyAsync(() -> {
        try {
          gate.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        underWay.decrementAndGet();
        return items.stream().map(i -> 2 * i).toList();
      }, connection);
    }
  }

  private <T> Future<T> inThread(java.util.concurrent.Callable<T> task) {
    return pool.submit(task);
  }

  @Test
  void operationsArrivingDuringACallGoTogetherInTheNextSentWhenTheReplyComes() throws Exception {
    Doubler doubler = new Doubler();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(64, 1, doubler::call);
    Future<Integer> first = inThread(() -> group.run(1));
    assertThat(doubler.entered.await(5, TimeUnit.SECONDS)).isTrue();
    List<Future<Integer>> others = new ArrayList<>();
    for (int i = 2; i <= 6; i++) {
      int n = i;
      others.add(inThread(() -> group.run(n)));
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> group.waiting() == 5);
    doubler.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(2);
    for (int i = 0; i < others.size(); i++) {
      assertThat(others.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(2 * (i + 2));
    }
    assertThat(doubler.calls).hasSize(2);
    assertThat(doubler.calls.get(0)).containsExactly(1);
    assertThat(doubler.calls.get(1)).containsExactlyInAnyOrder(2, 3, 4, 5, 6);
    assertThat(doubler.mostAtOnce).as("one call under way at a time").isEqualTo(1);
    assertThat(doubler.sentBy.get(1)).as("the next call goes out from the reply, not from a woken caller")
        .isEqualTo("connection");
  }

  @Test
  void withTwoCallsAllowedASecondCallerSendsAtOnceAndLaterOnesWaitForAReply() throws Exception {
    Doubler doubler = new Doubler();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(64, 2, doubler::call);
    Future<Integer> first = inThread(() -> group.run(1));
    assertThat(doubler.entered.await(5, TimeUnit.SECONDS)).isTrue();
    Future<Integer> second = inThread(() -> group.run(2));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> doubler.calls.size() == 2);
    List<Future<Integer>> others = new ArrayList<>();
    for (int i = 3; i <= 6; i++) {
      int n = i;
      others.add(inThread(() -> group.run(n)));
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> group.waiting() == 4);
    assertThat(doubler.calls).as("no third call while two are under way").hasSize(2);
    doubler.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(2);
    assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo(4);
    for (int i = 0; i < others.size(); i++) {
      assertThat(others.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(2 * (i + 3));
    }
    assertThat(doubler.calls).hasSize(3);
    assertThat(doubler.calls.get(1)).containsExactly(2);
    assertThat(doubler.calls.get(2)).containsExactlyInAnyOrder(3, 4, 5, 6);
    assertThat(doubler.mostAtOnce).isEqualTo(2);
    assertThat(doubler.sentBy.get(2)).isEqualTo("connection");
  }

  @Test
  void aCallCarriesAtMostMaxOperationsAndTheRestFollowInTheNext() throws Exception {
    Doubler doubler = new Doubler();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(2, 1, doubler::call);
    Future<Integer> first = inThread(() -> group.run(0));
    assertThat(doubler.entered.await(5, TimeUnit.SECONDS)).isTrue();
    List<Future<Integer>> others = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      int n = i;
      others.add(inThread(() -> group.run(n)));
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> group.waiting() == 5);
    doubler.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isZero();
    for (int i = 0; i < others.size(); i++) {
      assertThat(others.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(2 * (i + 1));
    }
    assertThat(doubler.calls).allSatisfy(c -> assertThat(c).hasSizeLessThanOrEqualTo(2));
    assertThat(doubler.calls.stream().mapToInt(List::size).sum()).isEqualTo(6);
  }

  @Test
  void aCallWhoseReplyFailsFailsWhatItCarriedAndTheNextCallGoesOn() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, 1, items -> calls.incrementAndGet() == 1
        ? CompletableFuture.failedFuture(new IllegalStateException("Redis said no"))
        : CompletableFuture.supplyAsync(() -> items, connection));
    assertThatThrownBy(() -> group.run(1)).isInstanceOf(IllegalStateException.class).hasMessage("Redis said no");
    assertThat(group.run(2)).isEqualTo(2);
  }

  @Test
  void anErrorMakingTheCallReachesEveryCallerItCarriedAndLeavesTheGroupWorking() throws Exception {
    Doubler gatekeeper = new Doubler();
    AtomicInteger calls = new AtomicInteger();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, 1, items -> {
      int n = calls.incrementAndGet();
      if (n == 1) {
        return gatekeeper.call(items);
      }
      if (n == 2) {
        throw new OutOfMemoryError("simulated");
      }
      return CompletableFuture.completedFuture(items);
    });
    Future<Integer> first = inThread(() -> group.run(1));
    assertThat(gatekeeper.entered.await(5, TimeUnit.SECONDS)).isTrue();
    Future<Integer> second = inThread(() -> group.run(2));
    Future<Integer> third = inThread(() -> group.run(3));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> group.waiting() == 2);
    gatekeeper.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(2);
    for (Future<Integer> f : List.of(second, third)) {
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(OutOfMemoryError.class);
    }
    assertThat(group.run(4)).as("the next call goes on").isEqualTo(4);
  }

  @Test
  void aReplyWithTheWrongNumberOfAnswersFailsItsCallers() {
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, 1, items -> CompletableFuture.completedFuture(List.of()));
    assertThatThrownBy(() -> group.run(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("answered 0 results for 1 operations");
  }

  @Test
  void aCallerInterruptedWhileItWaitsStillGetsItsAnswerAndKeepsItsInterrupt() throws Exception {
    Doubler doubler = new Doubler();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, 1, doubler::call);
    AtomicInteger answer = new AtomicInteger();
    CountDownLatch interruptedAfter = new CountDownLatch(1);
    Thread waiter = new Thread(() -> {
      answer.set(group.run(5));
      if (Thread.currentThread().isInterrupted()) {
        interruptedAfter.countDown();
      }
    });
    waiter.start();
    assertThat(doubler.entered.await(5, TimeUnit.SECONDS)).isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> waiter.getState() == Thread.State.WAITING);
    waiter.interrupt();
    doubler.gate.countDown();

    assertThat(interruptedAfter.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(answer.get()).isEqualTo(10);
  }

  @Test
  void manyThreadsEachGetTheirOwnAnswer() throws Exception {
    GroupCommit<Integer, Integer> group = new GroupCommit<>(16, 2,
        items -> CompletableFuture.supplyAsync(() -> items.stream().map(i -> -i).toList(), connection));
    List<Future<Boolean>> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int base = t * 10_000;
      threads.add(inThread(() -> {
        for (int i = base; i < base + 2_000; i++) {
          if (group.run(i) != -i) {
            return false;
          }
        }
        return true;
      }));
    }
    for (Future<Boolean> f : threads) {
      assertThat(f.get(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void rejectsAMaxBelowOne() {
    assertThatThrownBy(() -> new GroupCommit<Integer, Integer>(0, 1, items -> CompletableFuture.completedFuture(items)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max must be at least 1, was 0");
  }

  @Test
  void rejectsCallsBelowOne() {
    assertThatThrownBy(() -> new GroupCommit<Integer, Integer>(8, 0, items -> CompletableFuture.completedFuture(items)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("calls must be at least 1, was 0");
  }
}
