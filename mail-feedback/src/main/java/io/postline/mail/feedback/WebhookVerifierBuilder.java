package io.postline.mail.feedback;

import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.feedback.internal.Checks;
import io.postline.mail.feedback.internal.ReplayGuard;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The settings every webhook verifier's builder has: the freshness tolerance, the largest body,
 * the replay memory and the clock. Each verifier's {@code Builder} extends it and names its
 * defaults.
 *
 * <p><b>Replay memory.</b> A verifier accepts each signed request once (Mailgun's token, SNS's
 * message id, SendGrid's signed timestamp and body). By default it remembers them in its own
 * process ({@link #replayCapacity}); behind a load balancer a captured request could then be
 * replayed to another instance within the tolerance. {@link #replayStore} shares the memory
 * through an {@link IdempotencyStore}, such as mail-queue-redis's {@code RedisIdempotencyStore},
 * so that every instance refuses it.
 *
 * @param <B> the verifier's builder
 */
public abstract class WebhookVerifierBuilder<B extends WebhookVerifierBuilder<B>> {
  private Duration tolerance;
  private int maxBodyBytes;
  private int replayCapacity = 100_000;
  private @Nullable IdempotencyStore replayStore;
  private Clock clock = Clock.systemUTC();

  /** Only the verifiers of this package extend it. */
  WebhookVerifierBuilder(Duration tolerance, int maxBodyBytes) {
    this.tolerance = tolerance;
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * How far the signed timestamp may be from now, either way: positive, at most a day.
   *
   * @throws IllegalArgumentException if it is not
   */
  public B tolerance(Duration tolerance) {
    this.tolerance = Checks.tolerance(Objects.requireNonNull(tolerance, "tolerance"));
    return self();
  }

  /**
   * The largest body accepted; a larger one is refused as {@code TOO_LARGE}.
   *
   * @throws IllegalArgumentException if it is not positive
   */
  public B maxBodyBytes(int maxBodyBytes) {
    this.maxBodyBytes = Checks.positive(maxBodyBytes, "maxBodyBytes");
    return self();
  }

  /**
   * How many accepted requests this process remembers at most, when no {@link #replayStore} is
   * set; default 100,000 (the oldest is forgotten first).
   *
   * @throws IllegalArgumentException if it is not positive
   */
  public B replayCapacity(int replayCapacity) {
    this.replayCapacity = Checks.positive(replayCapacity, "replayCapacity");
    return self();
  }

  /**
   * Keeps the replay memory in {@code store} instead of this process, so that every instance
   * sharing the store (a fleet on one Redis) refuses a request another one accepted. Its keys
   * are {@code postline-webhook-replay:<provider>:<id>}, apart from the mail's own idempotency
   * keys; its window must be at least twice the {@link #tolerance} (a dedicated store with that
   * window keeps the fewest keys). When the store cannot be reached, {@code verify} throws its
   * exception (not a {@link WebhookRejectedException}): answer 5xx, so the provider sends the
   * request again.
   */
  public B replayStore(IdempotencyStore store) {
    this.replayStore = Objects.requireNonNull(store, "store");
    return self();
  }

  /** The clock for freshness and the in-process replay memory; default the system clock. */
  public B clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return self();
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  Duration tolerance() {
    return tolerance;
  }

  int maxBodyBytes() {
    return maxBodyBytes;
  }

  Clock clock() {
    return clock;
  }

  ReplayGuard replayGuard(String provider) {
    return replayStore != null ? ReplayGuard.shared(replayStore, provider, clock)
        : ReplayGuard.local(tolerance, replayCapacity, clock);
  }
}
