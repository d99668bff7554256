package io.postline.mail.core;

import io.postline.mail.SendResult;
import io.postline.mail.core.internal.InMemoryIdempotencyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Remembers idempotency keys for a window, so that an email submitted again with the same key is
 * not sent twice. The first submission {@link #claim claims} the key; when its send succeeds the
 * result is kept for the rest of the window and a duplicate gets it; when it fails the key is
 * {@link #release released}, so that the caller may try again.
 *
 * <p>{@link #inMemory(Duration)} covers one JVM; the Redis module offers one shared by a fleet.
 * Implementations are thread-safe and {@link #claim} is atomic: of concurrent claims of one key,
 * exactly one succeeds.
 */
public interface IdempotencyStore {

  /** Keys kept in memory (Caffeine) for {@code window}, at most 1,000,000 of them. */
  static IdempotencyStore inMemory(Duration window) {
    return new InMemoryIdempotencyStore(window, 1_000_000, Clock.systemUTC());
  }

  /**
   * Claims {@code key} for the message {@code mailId}.
   *
   * @return empty if the key was free and is now claimed; otherwise the existing claim
   */
  Optional<Claim> claim(String key, String mailId);

  /** The current claim of {@code key}, if any. */
  Optional<Claim> find(String key);

  /** Records that the claimed message was sent; duplicates within the window get this result. */
  void succeeded(String key, String mailId, SendResult result);

  /** Frees the key after the claimed message failed, if {@code mailId} still holds it. */
  void release(String key, String mailId);

  /**
   * A claim of a key.
   *
   * @param mailId the id of the message that claimed it
   * @param result its result once sent; empty while it is in flight or queued
   */
  record Claim(String mailId, Optional<SendResult> result) {
    /** Checks the components. */
    public Claim {
      Objects.requireNonNull(mailId, "mailId");
      Objects.requireNonNull(result, "result");
    }
  }
}
