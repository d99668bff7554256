package io.postline.mail.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** Helpers of the load harnesses: many threads working through a fixed number of tasks, heap figures. */
final class Load {
  private Load() {}

  /** One unit of work; {@code index} runs from 0 to the total, each index once. */
  @FunctionalInterface
  interface Task {
    void run(int index) throws Exception;
  }

  /**
   * What a run did.
   *
   * @param done tasks that completed
   * @param failed tasks that threw
   * @param nanos from the start gate to the last thread finishing
   * @param firstFailure the first exception, if any
   */
  record Result(int done, int failed, long nanos, @Nullable Throwable firstFailure) {
    double perSecond(long units) {
      return units * 1e9 / nanos;
    }

    String seconds() {
      return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
  }

  /**
   * Runs {@code total} tasks on {@code threads} threads, each thread taking the next index until
   * none is left, and waits for all of them.
   */
  static Result run(String name, int threads, int total, Task task) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<@Nullable Throwable> first = new AtomicReference<>();
    CountDownLatch gate = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>(threads);
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          gate.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
          try {
            task.run(i);
            done.incrementAndGet();
          } catch (Exception | AssertionError e) {
            failed.incrementAndGet();
            first.compareAndSet(null, e);
          }
        }
      }, name + "-" + (t + 1));
      thread.setDaemon(true);
      workers.add(thread);
      thread.start();
    }
    long start = System.nanoTime();
    gate.countDown();
    for (Thread t : workers) {
      t.join();
    }
    return new Result(done.get(), failed.get(), System.nanoTime() - start, first.get());
  }

  /** Heap in use after full collections, in bytes. */
  static long usedHeapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** CPU time used by this process so far (every thread, the SMTP sink's included), or 0 if unknown. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return Math.max(0, os.getProcessCpuTime());
    }
    return 0;
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }

  /** The median of the figures (the mean of the middle two for an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
