package io.postline.mail.core;

import io.postline.mail.Priority;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * How many messages a queue holds, by state.
 *
 * @param ready due now and waiting for a worker, by priority
 * @param scheduled waiting for their {@code sendAt} or their next retry
 * @param leased held by a worker right now
 * @param deadLettered in the dead letters
 */
public record QueueCounts(Map<Priority, Long> ready, long scheduled, long leased, long deadLettered) {
  /** Copies the map, with every priority present. */
  public QueueCounts {
    Objects.requireNonNull(ready, "ready");
    EnumMap<Priority, Long> all = new EnumMap<>(Priority.class);
    for (Priority p : Priority.values()) {
      all.put(p, ready.getOrDefault(p, 0L));
    }
    ready = Map.copyOf(all);
  }

  /** Every ready message, whatever its priority. */
  public long readyTotal() {
    return ready.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Messages not yet finished: ready, scheduled and leased (dead letters excluded). */
  public long pending() {
    return readyTotal() + scheduled + leased;
  }
}
