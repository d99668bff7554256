package io.postline.mail.core.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendResult;
import io.postline.mail.core.TokenBucket;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.SendOutcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One provider with what guards it, and the one way to call it: {@link #acquire()} (circuit
 * breaker, then token bucket) followed by {@link #send} or {@link #sendBatch} (within the timeout,
 * reporting to the breaker). Every {@link Throwable} a provider throws, an {@link Error} included,
 * comes back classified: nothing a provider does escapes as anything but an answer.
 */
public final class ProviderSlot {
  private static final Logger log = LoggerFactory.getLogger(ProviderSlot.class);

  /** Why a call may not be made now. */
  public sealed interface Blocked {
    /** The circuit is open: the provider is unavailable for now. */
    record CircuitOpen(ProviderException failure) implements Blocked {}

    /** The bucket is empty: a token is due after {@code tokenDue}. */
    record RateLimited(Duration tokenDue) implements Blocked {}
  }

  /**
   * When the first of a series of provider calls began and the last ended, in
   * {@link System#nanoTime()}, written by the slot for its caller: the clock is read once on each
   * side of a call, and the breaker and the caller's own timings share those readings.
   */
  public static class Timing {
    /** {@link #firstStartedNanos} before any call (no {@code nanoTime} reading comes near it). */
    static final long NOT_STARTED = Long.MIN_VALUE;

    long firstStartedNanos = NOT_STARTED;
    long lastEndedNanos;

    /** Forgets earlier calls: the next one is the first. */
    void restart() {
      firstStartedNanos = NOT_STARTED;
    }

    boolean started() {
      return firstStartedNanos != NOT_STARTED;
    }

    private long start() {
      long now = System.nanoTime();
      if (firstStartedNanos == NOT_STARTED) {
        firstStartedNanos = now;
      }
      return now;
    }

    private long end() {
      long now = System.nanoTime();
      lastEndedNanos = now;
      return now;
    }
  }

  private final MailProvider provider;
  private final CircuitBreaker breaker;
  private final Retry syncRetry;
  private final Retry queuedRetry;
  private final @Nullable TokenBucket bucket;
  private final @Nullable Duration timeout;
  private final MailerThreads threads;
  private final boolean mailIdInMetadata;

  /** A slot; calls with a timeout run on {@code threads}' call pool. */
  public ProviderSlot(MailProvider provider, CircuitBreaker breaker, Retry syncRetry, Retry queuedRetry,
      @Nullable TokenBucket bucket, @Nullable Duration timeout, MailerThreads threads) {
    this.provider = provider;
    this.breaker = breaker;
    this.syncRetry = syncRetry;
    this.queuedRetry = queuedRetry;
    this.bucket = bucket;
    this.timeout = timeout;
    this.threads = threads;
    this.mailIdInMetadata = provider.capabilities().metadata() && provider.capabilities().deliveryReports();
  }

  /** The provider's name. */
  public String name() {
    return provider.name();
  }

  /** The provider. */
  public MailProvider provider() {
    return provider;
  }

  /** Its circuit breaker. */
  public CircuitBreaker breaker() {
    return breaker;
  }

  /** The retry that decides waits of synchronous sends. */
  public Retry syncRetry() {
    return syncRetry;
  }

  /** The retry that decides reschedules of queued messages. */
  public Retry queuedRetry() {
    return queuedRetry;
  }

  /**
   * Whether the engine gives the provider the mail id as metadata: only a provider whose delivery
   * webhooks echo metadata back, so every other one gets the message as the application built it
   * (and no copy is made on the sending path).
   */
  public boolean wantsMailId() {
    return mailIdInMetadata;
  }

  /** The most messages one provider call may carry: its batch size, or 1. */
  public int batchSize() {
    return provider.capabilities().batch() ? provider.capabilities().maxBatchSize() : 1;
  }

  /**
   * Takes a circuit-breaker permission and a token for one call.
   *
   * @return null when the call may be made (then exactly one of {@link #send}, {@link #sendBatch}
   *     or {@link #release} must follow); otherwise why not, with nothing held
   */
  public @Nullable Blocked acquire() {
    if (!breaker.tryAcquirePermission()) {
      return new Blocked.CircuitOpen(ProviderException.builder(FailureKind.PROVIDER_UNAVAILABLE, name(),
          "circuit breaker is " + breaker.getState()).code("circuit-open").build());
    }
    if (bucket != null) {
      Duration wait = bucket.tryTake();
      if (!wait.isZero()) {
        breaker.releasePermission();
        return new Blocked.RateLimited(wait);
      }
    }
    return null;
  }

  /** Gives back a permission that {@link #acquire()} took and no call used. */
  public void release() {
    breaker.releasePermission();
  }

  /**
   * Sends one message with the permission {@link #acquire()} took.
   *
   * @param timing where the call's start and end are written
   * @throws ProviderException classified; the breaker has been told
   * @throws InvalidEmailException if the provider found the message invalid (the breaker is not
   *     told: the provider works)
   */
  public SendResult send(Email email, Timing timing) throws ProviderException {
    long started = timing.start();
    SendResult result;
    try {
      // Without a timeout the provider is called straight, with nothing allocated around it.
      result = timeout == null ? provider.send(email) : callWithin(() -> provider.send(email), timeout);
    } catch (Throwable e) { // NOPMD: an Error from a provider is that message's failure, not the worker's
      throw failed(e, started, timing);
    }
    long ended = timing.end();
    breaker.onSuccess(ended - started, TimeUnit.NANOSECONDS);
    return result;
  }

  /**
   * Sends several messages in one provider call with the permission {@link #acquire()} took. The
   * call counts as a failure for the breaker only when every message failed for a reason that
   * counts against the provider.
   *
   * @param timing where the call's start and end are written
   * @throws ProviderException when the whole call failed, classified; the breaker has been told
   */
  public List<SendOutcome> sendBatch(List<Email> emails, Timing timing) throws ProviderException {
    long started = timing.start();
    List<SendOutcome> outcomes;
    try {
      outcomes = timeout == null ? provider.sendBatch(emails) : callWithin(() -> provider.sendBatch(emails), timeout);
    } catch (Throwable e) { // NOPMD: an Error from a provider is that message's failure, not the worker's
      throw failed(e, started, timing);
    }
    long ended = timing.end();
    if (outcomes.stream().anyMatch(o -> o.failure().map(f -> !Breakers.countsAgainstProvider(f)).orElse(true))) {
      breaker.onSuccess(ended - started, TimeUnit.NANOSECONDS);
    } else {
      breaker.onError(ended - started, TimeUnit.NANOSECONDS,
          ProviderException.of(FailureKind.TRANSIENT, name(), "every message of the batch failed"));
    }
    return outcomes;
  }

  /**
   * Tells the breaker about a call that threw and returns the classified failure to throw: the
   * provider's own {@link ProviderException}, or anything else as a provider bug.
   *
   * @throws InvalidEmailException the provider's, as it is (the breaker is not told: the provider works)
   */
  private ProviderException failed(Throwable e, long started, Timing timing) {
    long ended = timing.end();
    if (e instanceof InvalidEmailException invalid) {
      breaker.releasePermission();
      throw invalid;
    }
    ProviderException failure = e instanceof ProviderException p ? p : providerBug(e);
    breaker.onError(ended - started, TimeUnit.NANOSECONDS, failure);
    return failure;
  }

  private <T> T callWithin(Callable<T> call, Duration limit) throws Throwable {
    Future<T> future;
    try {
      future = threads.callPool().submit(call);
    } catch (RejectedExecutionException e) {
      throw ProviderException.builder(FailureKind.TRANSIENT, name(), "no thread is free for a call with a timeout ("
          + "earlier calls still hang past their timeout)").code("timeout").build();
    }
    try {
      return future.get(limit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw ProviderException.builder(FailureKind.TRANSIENT, name(), "no answer within the timeout of " + limit)
          .code("timeout").build();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw ProviderException.builder(FailureKind.TRANSIENT, name(), "interrupted while sending").build();
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  /**
   * A provider bug as a classified failure. Its message may hold anything (a password in a URL),
   * so only its type and where it was thrown are kept. A class that fails to load will fail every
   * call: the provider is unavailable (fail over at once); anything else may pass (transient).
   */
  private ProviderException providerBug(Throwable e) {
    StackTraceElement[] where = e.getStackTrace();
    log.warn("Provider {} threw {} instead of a ProviderException, at {}", name(), e.getClass().getName(),
        where.length > 0 ? where[0] : "an unknown place");
    Throwable clean = new IllegalStateException(e.getClass().getName() + " (message withheld)");
    clean.setStackTrace(where);
    if (e instanceof LinkageError) {
      return ProviderException.builder(FailureKind.PROVIDER_UNAVAILABLE, name(), "the provider cannot run: "
              + e.getClass().getName() + " (a class failed to load or link; check the versions of its dependencies)")
          .code("provider-bug").cause(clean).build();
    }
    return ProviderException.builder(FailureKind.TRANSIENT, name(), "the provider failed unexpectedly with "
        + e.getClass().getName()).code("provider-bug").cause(clean).build();
  }
}
