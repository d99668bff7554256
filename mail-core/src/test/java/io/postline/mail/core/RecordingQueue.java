package io.postline.mail.core;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A queue that records, for assertions, how many leases each take returned, how many leases were
 * given back, and how many were still leased when it was drained; {@link #onSeveral} sees every take
 * of more than one. Shared by the in-memory and the Redis tests of workers taking several at once.
 */
public class RecordingQueue extends ForwardingMailQueue {
  private final List<Integer> takes = new CopyOnWriteArrayList<>();
  private final AtomicInteger released = new AtomicInteger();
  private final AtomicInteger leasedAtDrain = new AtomicInteger(-1);
  private volatile Consumer<List<Lease>> onSeveral = l -> { };

  /** Records what passes to {@code delegate}. */
  public RecordingQueue(MailQueue delegate) {
    super(delegate);
  }

  /** Called with the leases of every take of more than one, before the workers get them. */
  public void onSeveral(Consumer<List<Lease>> action) {
    onSeveral = action;
  }

  @Override
  public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
    List<Lease> leases = super.take(max, wait, leaseFor);
    if (!leases.isEmpty()) {
      takes.add(leases.size());
    }
    if (leases.size() > 1) {
      onSeveral.accept(leases);
    }
    return leases;
  }

  @Override
  public int release(List<Lease> leases) {
    int n = super.release(leases);
    released.addAndGet(n);
    return n;
  }

  @Override
  public List<QueuedMail> drain() {
    leasedAtDrain.set((int) counts().leased());
    return super.drain();
  }

  /** The sizes of the takes that returned anything, in order. */
  public List<Integer> takes() {
    return List.copyOf(takes);
  }

  /** The largest take. */
  public int largestTake() {
    return takes.stream().mapToInt(Integer::intValue).max().orElse(0);
  }

  /** The leases given back so far. */
  public int released() {
    return released.get();
  }

  /** What was leased when the queue was drained; -1 before. */
  public int leasedAtDrain() {
    return leasedAtDrain.get();
  }
}
