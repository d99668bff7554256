package io.postline.mail.queue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
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
 * Group commit: operations that arrive while a call is under way go together in the next one,
 * each gets its own answer, and a failing call (an {@link Error} too) fails only what it carried.
 */
@Timeout(30)
class GroupCommitTest {
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  /** Doubles every number; the first call waits at a gate, so that others queue up behind it. */
  private static final class Doubler {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);
    final List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger running = new AtomicInteger();
    volatile int mostAtOnce;

    List<Integer> call(List<Integer> items) {
      int now = running.incrementAndGet();
      mostAtOnce = Math.max(mostAtOnce, now);
      try {
        calls.add(List.copyOf(items));
        entered.countDown();
        gate.await(10, TimeUnit.SECONDS);
        List<Integer> out = new ArrayList<>();
        for (int i : items) {
          out.add(2 * i);
        }
        return out;
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      } finally {
        running.decrementAndGet();
      }
    }
  }

  @Test
  void operationsArrivingDuringACallGoTogetherInTheNextAndEachGetsItsOwnAnswer() throws Exception {
    Doubler doubler = new Doubler();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(64, doubler::call);
    Future<Integer> first = pool.submit(() -> group.run(1));
    assertThat(doubler.entered.await(5, TimeUnit.SECONDS)).isTrue();
    List<Future<Integer>> others = new ArrayList<>();
    for (int i = 2; i <= 6; i++) {
      int n = i;
      others.add(pool.submit(() -> group.run(n)));
    }
    Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> queued(group) == 5);
    doubler.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(2);
    for (int i = 0; i < others.size(); i++) {
      assertThat(others.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(2 * (i + 2));
    }
    assertThat(doubler.calls).hasSize(2);
    assertThat(doubler.calls.get(0)).containsExactly(1);
    assertThat(doubler.calls.get(1)).containsExactlyInAnyOrder(2, 3, 4, 5, 6);
    assertThat(doubler.mostAtOnce).as("one call under way at a time").isEqualTo(1);
  }

  @Test
  void aCallCarriesAtMostMaxOperationsAndTheRestFollowInTheNext() throws Exception {
    Doubler doubler = new Doubler();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(2, doubler::call);
    Future<Integer> first = pool.submit(() -> group.run(0));
    assertThat(doubler.entered.await(5, TimeUnit.SECONDS)).isTrue();
    List<Future<Integer>> others = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      int n = i;
      others.add(pool.submit(() -> group.run(n)));
    }
    Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> queued(group) == 5);
    doubler.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isZero();
    for (int i = 0; i < others.size(); i++) {
      assertThat(others.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(2 * (i + 1));
    }
    assertThat(doubler.calls).allSatisfy(c -> assertThat(c).hasSizeLessThanOrEqualTo(2));
    assertThat(doubler.calls.stream().mapToInt(List::size).sum()).isEqualTo(6);
  }

  @Test
  void aFailingCallFailsWhatItCarriedAndTheNextCallGoesOn() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, items -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("Redis said no");
      }
      return items;
    });
    assertThatThrownBy(() -> group.run(1)).isInstanceOf(IllegalStateException.class).hasMessage("Redis said no");
    assertThat(group.run(2)).isEqualTo(2);
  }

  @Test
  void anErrorFromTheCallReachesEveryCallerItCarriedAndLeavesTheGroupWorking() throws Exception {
    Doubler gatekeeper = new Doubler();
    AtomicInteger calls = new AtomicInteger();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, items -> {
      if (calls.incrementAndGet() == 1) {
        return gatekeeper.call(items);
      }
      if (calls.get() == 2) {
        throw new OutOfMemoryError("simulated");
      }
      return items;
    });
    Future<Integer> first = pool.submit(() -> group.run(1));
    assertThat(gatekeeper.entered.await(5, TimeUnit.SECONDS)).isTrue();
    Future<Integer> second = pool.submit(() -> group.run(2));
    Future<Integer> third = pool.submit(() -> group.run(3));
    Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> queued(group) == 2);
    gatekeeper.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(2);
    for (Future<Integer> f : List.of(second, third)) {
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(OutOfMemoryError.class);
    }
    assertThat(group.run(4)).as("the next call goes on").isEqualTo(4);
  }

  @Test
  void aCallerInterruptedWhileItWaitsStillGetsItsAnswerAndKeepsItsInterrupt() throws Exception {
    Doubler doubler = new Doubler();
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, doubler::call);
    Future<Integer> first = pool.submit(() -> group.run(1));
    assertThat(doubler.entered.await(5, TimeUnit.SECONDS)).isTrue();
    AtomicInteger answer = new AtomicInteger();
    CountDownLatch interruptedAfter = new CountDownLatch(1);
    Thread waiter = new Thread(() -> {
      answer.set(group.run(5));
      if (Thread.currentThread().isInterrupted()) {
        interruptedAfter.countDown();
      }
    });
    waiter.start();
    Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> queued(group) == 1);
    waiter.interrupt();
    doubler.gate.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(2);
    assertThat(interruptedAfter.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(answer.get()).isEqualTo(10);
  }

  @Test
  void theCallerThatMakesTheCallMakesItWithItsInterruptSetAsideAndKeepsIt() {
    java.util.concurrent.atomic.AtomicBoolean sawInterrupt = new java.util.concurrent.atomic.AtomicBoolean(true);
    GroupCommit<Integer, Integer> group = new GroupCommit<>(8, items -> {
      sawInterrupt.set(Thread.currentThread().isInterrupted());
      return items;
    });
    Thread.currentThread().interrupt();
    try {
      assertThat(group.run(7)).isEqualTo(7);
      assertThat(Thread.currentThread().isInterrupted()).as("its interrupt status is kept").isTrue();
      assertThat(sawInterrupt).as("the call did not see it: it would have failed the others' operations").isFalse();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void manyThreadsEachGetTheirOwnAnswer() throws Exception {
    GroupCommit<Integer, Integer> group = new GroupCommit<>(16, items -> items.stream().map(i -> -i).toList());
    List<Future<Boolean>> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int base = t * 10_000;
      threads.add(pool.submit(() -> {
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
    assertThatThrownBy(() -> new GroupCommit<Integer, Integer>(0, items -> items))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max must be at least 1, was 0");
  }

  private static int queued(GroupCommit<?, ?> group) {
    return group.waiting();
  }
}
