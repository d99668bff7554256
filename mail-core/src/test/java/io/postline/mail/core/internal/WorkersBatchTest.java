package io.postline.mail.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How many messages a worker asks for next. */
class WorkersBatchTest {
  private static final long FAST = TimeUnit.MICROSECONDS.toNanos(200);

  @Test
  void takesDoubleWhileTheyComeBackFullUpToTheBound() {
    assertThat(Workers.nextTake(1, 1, FAST)).isEqualTo(2);
    assertThat(Workers.nextTake(2, 2, FAST)).isEqualTo(4);
    assertThat(Workers.nextTake(8, 8, FAST)).isEqualTo(16);
    assertThat(Workers.nextTake(Workers.BATCH_MAX, Workers.BATCH_MAX, FAST)).isEqualTo(Workers.BATCH_MAX);
  }

  @Test
  void aShortTakeGoesBackToOne() {
    assertThat(Workers.nextTake(8, 7, FAST)).isEqualTo(1);
    assertThat(Workers.nextTake(4, 0, FAST)).isEqualTo(1);
  }

  @Test
  void theTimeBudgetBoundsTheTakeByHowLongAMessageTakes() {
    // 10 ms a take: 3 ms a message allows 3, 10 ms or more allows one, and nothing measured yet one.
    assertThat(Workers.nextTake(8, 8, TimeUnit.MILLISECONDS.toNanos(3))).isEqualTo(3);
    assertThat(Workers.nextTake(1, 1, TimeUnit.MILLISECONDS.toNanos(10))).isEqualTo(1);
    assertThat(Workers.nextTake(1, 1, TimeUnit.MILLISECONDS.toNanos(50))).isEqualTo(1);
    assertThat(Workers.nextTake(1, 1, 0)).isEqualTo(1);
  }
}
