package io.postline.mail.feedback.internal;

import io.postline.mail.core.IdempotencyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Remembers the ids of accepted signed requests for as long as their timestamps would still pass
 * the freshness check, so a captured request cannot be accepted twice: in this process ({@link
 * #local}: bounded, the oldest id forgotten first when full, being the closest to going stale), or
 * in an {@link IdempotencyStore} every instance of a fleet shares ({@link #shared}), so that a
 * replay sent to another instance behind the load balancer is refused as well.
 */
public final class ReplayGuard {
  private final Memory memory;

  private ReplayGuard(Memory memory) {
    this.memory = memory;
  }

  /** Remembers up to {@code capacity} ids in this process, each for twice {@code window} (the freshness tolerance). */
  public static ReplayGuard local(Duration window, int capacity, Clock clock) {
    return new ReplayGuard(new Local(window, capacity, clock));
  }

  /**
   * Remembers ids in {@code store}, as keys {@code postline-webhook-replay:<provider>:<id>} (apart
   * from the mail's idempotency keys); the store's window must be at least twice the tolerance.
   */
  public static ReplayGuard shared(IdempotencyStore store, String provider) {
    return new ReplayGuard(new Shared(Objects.requireNonNull(store, "store"), provider));
  }

  /**
   * Records {@code id}; false if it was already recorded and not yet expired.
   *
   * @throws RuntimeException if a shared store cannot be reached (the request is then neither
   *     accepted nor refused: the caller answers so that the provider sends it again)
   */
  public boolean firstTime(String id) {
    return memory.firstTime(id);
  }

  /**
   * Hands {@code value} to {@code handler}; if the handler throws, forgets {@code id} (the
   * request's events were not applied, so the provider's retry of it must be accepted) and
   * rethrows.
   */
  public <T> void handOver(T value, Consumer<? super T> handler, String id) {
    try {
      handler.accept(value);
    } catch (RuntimeException | Error e) {
      try {
        memory.forget(id);
      } catch (RuntimeException forgetting) {
        e.addSuppressed(forgetting);
      }
      throw e;
    }
  }

  /** Where the ids are kept. */
  private interface Memory {
    boolean firstTime(String id);

    void forget(String id);
  }

  private static final class Local implements Memory {
    private final Duration window;
    private final int capacity;
    private final Clock clock;
    private final LinkedHashMap<String, Instant> seen = new LinkedHashMap<>();

    Local(Duration window, int capacity, Clock clock) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be at least 1");
      }
      this.window = window;
      this.capacity = capacity;
      this.clock = clock;
    }

    @Override
    public synchronized boolean firstTime(String id) {
      Instant now = clock.instant();
      for (Iterator<Map.Entry<String, Instant>> it = seen.entrySet().iterator(); it.hasNext(); ) {
        if (it.next().getValue().isAfter(now)) {
          break; // insertion order is expiry order: the rest is younger
        }
        it.remove();
      }
      if (seen.containsKey(id)) {
        return false;
      }
      if (seen.size() >= capacity) {
        Iterator<String> oldest = seen.keySet().iterator();
        oldest.next();
        oldest.remove();
      }
      // A signed timestamp may be up to `window` in the future, so remember for twice the window.
      seen.put(id, now.plus(window).plus(window));
      return true;
    }

    @Override
    public synchronized void forget(String id) {
      seen.remove(id);
    }
  }

  /** Claims ids in a shared store; an id this guard claimed is released only by this guard. */
  private static final class Shared implements Memory {
    private final IdempotencyStore store;
    private final String prefix;
    private final String owner = "webhook-replay-guard-" + UUID.randomUUID();

    Shared(IdempotencyStore store, String provider) {
      this.store = store;
      this.prefix = "postline-webhook-replay:" + provider + ":";
    }

    @Override
    public boolean firstTime(String id) {
      return store.claim(prefix + id, owner).isEmpty();
    }

    @Override
    public void forget(String id) {
      store.release(prefix + id, owner);
    }
  }
}
