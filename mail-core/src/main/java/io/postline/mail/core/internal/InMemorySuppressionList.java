package io.postline.mail.core.internal;

import io.postline.mail.Address;
import io.postline.mail.core.AddressHash;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionList;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/** {@link SuppressionList#inMemory}: entries by hash and list, soft-bounce windows by hash. */
public final class InMemorySuppressionList implements SuppressionList {
  private record Key(AddressHash address, String list) {}

  private record Window(Instant start, int count) {}

  private final AddressHasher hasher;
  private final Clock clock;
  private final Map<Key, SuppressionEntry> entries = new ConcurrentHashMap<>();
  private final Map<AddressHash, Window> softBounces = new ConcurrentHashMap<>();

  public InMemorySuppressionList(AddressHasher hasher, Clock clock) {
    this.hasher = Objects.requireNonNull(hasher, "hasher");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public AddressHash hash(Address address) {
    return hasher.hash(address);
  }

  @Override
  public void add(SuppressionEntry entry) {
    entries.put(new Key(entry.address(), entry.list().orElse("")), entry);
  }

  @Override
  public Optional<SuppressionEntry> find(AddressHash address, @Nullable String list) {
    Instant now = clock.instant();
    SuppressionEntry all = entries.get(new Key(address, ""));
    if (all != null && all.activeAt(now)) {
      return Optional.of(all);
    }
    if (list == null || list.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(entries.get(new Key(address, list))).filter(e -> e.activeAt(now));
  }

  @Override
  public int remove(AddressHash address) {
    softBounces.remove(address);
    int[] removed = {0};
    entries.keySet().removeIf(k -> k.address().equals(address) && ++removed[0] > 0);
    return removed[0];
  }

  @Override
  public int recordSoftBounce(AddressHash address, Duration window) {
    Instant now = clock.instant();
    return softBounces.compute(address, (k, w) -> w == null || !now.isBefore(w.start().plus(window))
        ? new Window(now, 1) : new Window(w.start(), w.count() + 1)).count();
  }

  @Override
  public List<SuppressionEntry> list() {
    Instant now = clock.instant();
    entries.values().removeIf(e -> !e.activeAt(now)); // expired entries are dropped as they are seen
    return List.copyOf(entries.values());
  }

  @Override
  public long count() {
    return list().size();
  }

  @Override
  public String toString() {
    return "InMemorySuppressionList[" + entries.size() + " entries]";
  }
}
