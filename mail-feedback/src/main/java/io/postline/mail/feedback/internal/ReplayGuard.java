package io.postline.mail.feedback.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Remembers the ids of accepted signed requests for as long as their timestamps would still pass
 * the freshness check, so a captured request cannot be accepted twice. Bounded: when full, the
 * oldest id is forgotten first (and it is the closest to going stale anyway).
 */
public final class ReplayGuard {
  private final Duration window;
  private final int capacity;
  private final Clock clock;
  private final LinkedHashMap<String, Instant> seen = new LinkedHashMap<>();

  /** Remembers up to {@code capacity} ids, each for {@code window} (the freshness tolerance, both ways). */
  public ReplayGuard(Duration window, int capacity, Clock clock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.window = window;
    this.capacity = capacity;
    this.clock = clock;
  }

  /** Records {@code id}; false if it was already recorded and not yet expired. */
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

  /** Forgets {@code id}, so that it is accepted once more (its request's events could not be applied). */
  public synchronized void forget(String id) {
    seen.remove(id);
  }

  /**
   * Hands {@code value} to {@code handler}; if the handler throws, forgets the id {@code id} gives
   * (the request's events were not applied, so the provider's retry of it must be accepted) and
   * rethrows.
   */
  public <T> void handOver(T value, Consumer<? super T> handler, Supplier<Optional<String>> id) {
    try {
      handler.accept(value);
    } catch (RuntimeException | Error e) {
      id.get().ifPresent(this::forget);
      throw e;
    }
  }

  /** How many ids are remembered now. */
  public synchronized int size() {
    return seen.size();
  }
}
