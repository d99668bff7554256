package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy policy = RetryPolicy.exponential(5, Duration.ofMillis(100)).withJitter(0)
      .withMaxDelay(Duration.ofMillis(500));

  @Test
  void delaysGrowExponentiallyUpToTheCap() {
    assertThat(policy.delayAfter(1, null, 0.5)).isEqualTo(Duration.ofMillis(100));
    assertThat(policy.delayAfter(2, null, 0.5)).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.delayAfter(3, null, 0.5)).isEqualTo(Duration.ofMillis(400));
    assertThat(policy.delayAfter(4, null, 0.5)).isEqualTo(Duration.ofMillis(500));
    assertThat(policy.delayAfter(40, null, 0.5)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void jitterSpreadsEachDelayBothWays() {
    RetryPolicy jittery = policy.withJitter(0.2);
    assertThat(jittery.delayAfter(2, null, 0.0)).isEqualTo(Duration.ofMillis(160));
    assertThat(jittery.delayAfter(2, null, 0.5)).isEqualTo(Duration.ofMillis(200));
    assertThat(jittery.delayAfter(2, null, 0.999_999)).isBetween(Duration.ofMillis(239), Duration.ofMillis(240));
    assertThat(jittery.delayAfter(4, null, 0.999_999)).as("never above the cap").isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void aLongerRetryAfterWins() {
    assertThat(policy.delayAfter(1, Duration.ofSeconds(3), 0.5)).isEqualTo(Duration.ofSeconds(3));
    assertThat(policy.delayAfter(3, Duration.ofMillis(10), 0.5)).isEqualTo(Duration.ofMillis(400));
  }

  @Test
  void badSettingsAreRejectedWithTheValueGiven() {
    assertThatThrownBy(() -> RetryPolicy.exponential(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxAttempts must be at least 1, was 0");
    assertThatThrownBy(() -> RetryPolicy.exponential(3, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was PT0S");
    assertThatThrownBy(() -> policy.withJitter(1.5)).hasMessageContaining("was 1.5");
    assertThatThrownBy(() -> policy.withMultiplier(0.5)).hasMessageContaining("was 0.5");
    assertThatThrownBy(() -> policy.withMaxDelay(Duration.ofMillis(50))).hasMessageContaining("at least the initial delay");
    assertThatThrownBy(() -> policy.withDeadline(Duration.ZERO)).hasMessageContaining("positive");
  }

  @Test
  void noneMakesOneAttempt() {
    assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
    assertThat(RetryPolicy.exponential(3, Duration.ofSeconds(1)))
        .isEqualTo(RetryPolicy.exponential(3, Duration.ofSeconds(1)))
        .hasToString("RetryPolicy[maxAttempts=3, initialDelay=PT1S, multiplier=2.0, maxDelay=PT1M, jitter=0.2, deadline=PT30S]");
  }
}
