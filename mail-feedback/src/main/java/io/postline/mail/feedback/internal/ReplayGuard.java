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
 * In a shared store, a claim still in flight after {@link #IN_FLIGHT_LEASE} was left by an instance
 * that died mid-work (a live one has finished or failed by then: every provider's webhook request
 * times out well within it), and a retry takes it over: the events are applied at least once, not
 * held back until the claim expires, by which time some providers (SNS) have stopped retrying.
 */
public final class ReplayGuard {
  private static final Logger log = LoggerFactory.getLogger(ReplayGuard.class);

  /**
   * How long a claim may stay in flight in a shared store before a retry takes it over: far longer
   * than any provider waits for an answer (SendGrid, Mailgun and SNS give up within seconds).
   */
  public static final Duration IN_FLIGHT_LEASE = Duration.ofMinutes(1);

  private final Memory memory;
  private final Clock clock;

  private ReplayGuard(Memory memory, Clock clock) {
    this.memory = memory;
    this.clock = clock;
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
    return new ReplayGuard(new Local(window, capacity, clock), clock);
  }

  /**
   * Remembers ids in {@code store}, as keys {@code postline-webhook-replay:<provider>:<id>} (apart
   * from the mail's idempotency keys); the store's window must be at least twice the tolerance. A
   * claim whose work is done carries a result; one still in flight has none, and is taken over
   * after {@link #IN_FLIGHT_LEASE} by {@code clock} (the instances' clocks are assumed to agree
   * within seconds).
   */
  public static ReplayGuard shared(IdempotencyStore store, String provider, Clock clock) {
    return new ReplayGuard(new Shared(Objects.requireNonNull(store, "store"), provider, clock), clock);
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
    // The claim's time travels with it, so that another instance can tell a claim left by a dead one.
    String holder = clock.millis() + "." + UUID.randomUUID();
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
   * released only by the attempt that claimed it, or taken over once that attempt's claim has been
   * in flight past {@link #IN_FLIGHT_LEASE}.
   */
  private static final class Shared implements Memory {
    /** The result a done claim carries: only its presence matters. */
    private static final SendResult DONE =
        new SendResult("webhook-replay-guard", "done", List.of(), 1, Duration.ZERO);
    private static final String OWNER = "webhook-replay-guard-";

    private final IdempotencyStore store;
    private final String prefix;
    private final Clock clock;

    Shared(IdempotencyStore store, String provider, Clock clock) {
      this.store = store;
      this.prefix = "postline-webhook-replay:" + provider + ":";
      this.clock = clock;
    }

    @Override
    public @Nullable Seen claim(String id, String holder) {
      String key = prefix + id;
      IdempotencyStore.Claim earlier = store.claim(key, owner(holder)).orElse(null);
      if (earlier == null) {
        return null;
      }
      if (earlier.result().isPresent()) {
        return Seen.DONE;
      }
      long claimedAt = claimedAt(earlier.mailId());
      if (clock.millis() - claimedAt <= IN_FLIGHT_LEASE.toMillis()) {
        return Seen.IN_PROGRESS;
      }
      // Released only if that attempt still holds it: of two retries taking over at once, one claims.
      store.release(key, earlier.mailId());
      IdempotencyStore.Claim other = store.claim(key, owner(holder)).orElse(null);
      if (other == null) {
        log.warn("took over a webhook request claimed {} s ago by an instance that never finished it",
            (clock.millis() - claimedAt) / 1000);
        return null;
      }
      return other.result().isPresent() ? Seen.DONE : Seen.IN_PROGRESS;
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
      return OWNER + holder;
    }

    /** When the attempt holding a claim made it; a claim of another form counts as made now (never taken over). */
    private long claimedAt(String owner) {
      int dot = owner.indexOf('.');
      if (owner.startsWith(OWNER) && dot > OWNER.length()) {
        try {
          return Long.parseLong(owner.substring(OWNER.length(), dot));
        } catch (NumberFormatException e) {
          // fall through: not a claim this class made
        }
      }
      return clock.millis();
    }
  }
}
