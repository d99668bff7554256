package io.postline.mail.feedback.internal;

import io.postline.mail.SendResult;
import io.postline.mail.core.IdempotencyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers the ids of accepted signed requests for as long as their timestamps would still pass
 * the freshness check, so a captured request cannot be accepted twice: in this process ({@link
 * #local}: bounded, the oldest id forgotten first when full, being the closest to going stale), or
 * in an {@link IdempotencyStore} every instance of a fleet shares ({@link #shared}), so that a
 * replay sent to another instance behind the load balancer is refused as well.
 *
 * <p>An id is first claimed, then done once the work it stands for (reading the events, applying
 * them, confirming a subscription) has finished; work that fails forgets it. Only a done id is a
 * replay: while the first request's work is still running, a retry of it is told so ({@link
 * Seen#IN_PROGRESS}) and must not be acknowledged, since that work may yet fail and be forgotten.
 */
public final class ReplayGuard {
  private static final Logger log = LoggerFactory.getLogger(ReplayGuard.class);

  private final Memory memory;

  private ReplayGuard(Memory memory) {
    this.memory = memory;
  }

  /** Why an id was not claimed. */
  public enum Seen {
    /** Another request with this id is being worked on; its outcome is not known yet. */
    IN_PROGRESS,
    /** The work of a request with this id was done. */
    DONE
  }

  /** Remembers up to {@code capacity} ids in this process, each for twice {@code window} (the freshness tolerance). */
  public static ReplayGuard local(Duration window, int capacity, Clock clock) {
    return new ReplayGuard(new Local(window, capacity, clock));
  }

  /**
   * Remembers ids in {@code store}, as keys {@code postline-webhook-replay:<provider>:<id>} (apart
   * from the mail's idempotency keys); the store's window must be at least twice the tolerance. A
   * claim whose work is done carries a result; one still in flight has none.
   */
  public static ReplayGuard shared(IdempotencyStore store, String provider) {
    return new ReplayGuard(new Shared(Objects.requireNonNull(store, "store"), provider));
  }

  /**
   * Claims {@code id} and runs {@code work}: when it returns, the id is done and its result is
   * returned; when it throws, the id is forgotten (so the provider's retry is accepted) and the
   * exception is rethrown. An id already claimed is not worked on: the exception {@code seen} makes
   * of what was found is thrown instead.
   *
   * @throws RuntimeException if a shared store cannot be reached while claiming (the request is
   *     then neither accepted nor refused: the caller answers so that the provider sends it again)
   */
  public <T> T once(String id, Supplier<T> work, Function<Seen, ? extends RuntimeException> seen) {
    String holder = UUID.randomUUID().toString();
    Seen earlier = memory.claim(id, holder);
    if (earlier != null) {
      throw seen.apply(earlier);
    }
    T result;
    try {
      result = work.get();
    } catch (RuntimeException | Error e) {
      try {
        memory.forget(id, holder);
      } catch (RuntimeException forgetting) {
        e.addSuppressed(forgetting);
      }
      throw e;
    }
    try {
      memory.done(id, holder);
    } catch (RuntimeException e) {
      // The work is done and must be acknowledged. The claim stays in flight until it expires, so
      // a replay is still not worked on again, only answered "in progress".
      log.warn("could not mark a webhook request as done in the replay memory ({}); it stays claimed",
          e.getClass().getName());
    }
    return result;
  }

  /** Where the ids are kept; {@code holder} is the one attempt that claimed an id. */
  private interface Memory {
    /** Claims {@code id} for {@code holder}: null if it was free, else what holds it. */
    @Nullable Seen claim(String id, String holder);

    void done(String id, String holder);

    void forget(String id, String holder);
  }

  private static final class Local implements Memory {
    private final Duration window;
    private final int capacity;
    private final Clock clock;
    private final LinkedHashMap<String, Entry> seen = new LinkedHashMap<>();

    private record Entry(String holder, Instant expires, boolean done) {}

    Local(Duration window, int capacity, Clock clock) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be at least 1");
      }
      this.window = window;
      this.capacity = capacity;
      this.clock = clock;
    }

    @Override
    public synchronized @Nullable Seen claim(String id, String holder) {
      Instant now = clock.instant();
      for (Iterator<Map.Entry<String, Entry>> it = seen.entrySet().iterator(); it.hasNext(); ) {
        if (it.next().getValue().expires().isAfter(now)) {
          break; // insertion order is expiry order: the rest is younger
        }
        it.remove();
      }
      Entry earlier = seen.get(id);
      if (earlier != null) {
        return earlier.done() ? Seen.DONE : Seen.IN_PROGRESS;
      }
      if (seen.size() >= capacity) {
        Iterator<String> oldest = seen.keySet().iterator();
        oldest.next();
        oldest.remove();
      }
      // A signed timestamp may be up to `window` in the future, so remember for twice the window.
      seen.put(id, new Entry(holder, now.plus(window).plus(window), false));
      return null;
    }

    @Override
    public synchronized void done(String id, String holder) {
      // Replacing a present key's value keeps its place in the insertion (expiry) order.
      seen.computeIfPresent(id, (k, e) -> e.holder().equals(holder) ? new Entry(holder, e.expires(), true) : e);
    }

    @Override
    public synchronized void forget(String id, String holder) {
      seen.computeIfPresent(id, (k, e) -> e.holder().equals(holder) ? null : e);
    }
  }

  /**
   * Claims ids in a shared store, each attempt under its own holder id: an id is marked done or
   * released only by the attempt that claimed it.
   */
  private static final class Shared implements Memory {
    /** The result a done claim carries: only its presence matters. */
    private static final SendResult DONE =
        new SendResult("webhook-replay-guard", "done", List.of(), 1, Duration.ZERO);

    private final IdempotencyStore store;
    private final String prefix;

    Shared(IdempotencyStore store, String provider) {
      this.store = store;
      this.prefix = "postline-webhook-replay:" + provider + ":";
    }

    @Override
    public @Nullable Seen claim(String id, String holder) {
      return store.claim(prefix + id, owner(holder))
          .map(earlier -> earlier.result().isPresent() ? Seen.DONE : Seen.IN_PROGRESS).orElse(null);
    }

    @Override
    public void done(String id, String holder) {
      store.succeeded(prefix + id, owner(holder), DONE);
    }

    @Override
    public void forget(String id, String holder) {
      store.release(prefix + id, owner(holder));
    }

    private static String owner(String holder) {
      return "webhook-replay-guard-" + holder;
    }
  }
}
