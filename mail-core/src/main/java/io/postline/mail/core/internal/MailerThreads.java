package io.postline.mail.core.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of a mailer's threads. Every thread the mailer starts comes from one
 * {@link ThreadFactory} (the application's, or daemon threads named {@code postline-N-role-M}),
 * every pool is bounded, and {@link #shutdown} stops them all. An executor the application
 * supplies for async sends is used, never shut down.
 */
public final class MailerThreads {
  private static final Logger log = LoggerFactory.getLogger(MailerThreads.class);
  private static final AtomicInteger MAILERS = new AtomicInteger();

  private final @Nullable ThreadFactory applicationFactory;
  private final String prefix = "postline-" + MAILERS.incrementAndGet() + "-";
  private final java.util.Map<String, AtomicInteger> counts = new java.util.concurrent.ConcurrentHashMap<>();
  private final Executor async;
  private final @Nullable ThreadPoolExecutor ownedAsync;
  private final int asyncThreads;
  private final ThreadPoolExecutor callPool;
  private final ThreadPoolExecutor healthPool;
  private final ScheduledThreadPoolExecutor scheduler;

  /**
   * The mailer's threads.
   *
   * @param factory the application's thread factory, or null for Postline's daemon threads
   * @param executor the application's executor for async sends, or null for a pool of
   *     {@code asyncThreads} threads and {@code asyncQueueCapacity} waiting tasks
   * @param callThreads the most provider calls with a timeout that may run (or hang) at once
   * @param healthThreads the most active health checks that run at once
   */
  public MailerThreads(@Nullable ThreadFactory factory, @Nullable Executor executor, int asyncThreads,
      int asyncQueueCapacity, int callThreads, int healthThreads) {
    this.applicationFactory = factory;
    this.asyncThreads = asyncThreads;
    if (executor != null) {
      this.async = executor;
      this.ownedAsync = null;
    } else {
      ThreadPoolExecutor pool = new ThreadPoolExecutor(asyncThreads, asyncThreads, 60, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(asyncQueueCapacity), factory("async"));
      pool.allowCoreThreadTimeOut(true);
      this.async = pool;
      this.ownedAsync = pool;
    }
    this.callPool = new ThreadPoolExecutor(0, callThreads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        factory("call"));
    this.healthPool = new ThreadPoolExecutor(healthThreads, healthThreads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), factory("health"));
    this.healthPool.allowCoreThreadTimeOut(true);
    this.scheduler = new ScheduledThreadPoolExecutor(1, factory("scheduler"));
    this.scheduler.setRemoveOnCancelPolicy(true);
  }

  /** Runs async sends and group-send chunks. */
  public Executor async() {
    return async;
  }

  /** How many async sends run at once (the owned pool's size); bounds group sends in flight. */
  public int asyncParallelism() {
    return asyncThreads;
  }

  /** Runs provider calls that have a timeout; bounded, rejects when full. */
  public ExecutorService callPool() {
    return callPool;
  }

  /** Runs active health checks. */
  public ExecutorService healthPool() {
    return healthPool;
  }

  /** Runs periodic work (lease renewal). */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** A new thread for {@code role} (a queue worker). */
  public Thread newThread(String role, Runnable task) {
    return factory(role).newThread(task);
  }

  /**
   * Stops the owned pools: async sends get until {@code timeout} to finish, the rest stop now.
   * The application's executor is left running.
   */
  public void shutdown(Duration timeout) {
    scheduler.shutdownNow();
    healthPool.shutdownNow();
    if (ownedAsync != null) {
      ownedAsync.shutdown();
      try {
        if (!ownedAsync.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
          List<Runnable> dropped = ownedAsync.shutdownNow();
          log.warn("Mailer shut down with async sends still running after {}; {} waiting sends were not started",
              timeout, dropped.size());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ownedAsync.shutdownNow();
      }
    }
    callPool.shutdownNow();
  }

  private ThreadFactory factory(String role) {
    if (applicationFactory != null) {
      return applicationFactory;
    }
    AtomicInteger count = counts.computeIfAbsent(role, k -> new AtomicInteger());
    return r -> {
      Thread t = new Thread(r, prefix + role + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
