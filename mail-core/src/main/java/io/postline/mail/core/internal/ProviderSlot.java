package io.postline.mail.core.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.core.TokenBucket;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One provider with what guards it: its circuit breaker, its token bucket (if rate limited) and
 * its call timeout (if set). Calls compose as CircuitBreaker(RateLimit(Timeout(send))).
 */
public final class ProviderSlot {
  private final MailProvider provider;
  private final CircuitBreaker breaker;
  private final @Nullable TokenBucket bucket;
  private final @Nullable Duration timeout;
  private final @Nullable ExecutorService timeoutExecutor;

  /** A slot; {@code timeoutExecutor} must be given when {@code timeout} is. */
  public ProviderSlot(MailProvider provider, CircuitBreaker breaker, @Nullable TokenBucket bucket,
      @Nullable Duration timeout, @Nullable ExecutorService timeoutExecutor) {
    this.provider = provider;
    this.breaker = breaker;
    this.bucket = bucket;
    this.timeout = timeout;
    this.timeoutExecutor = timeoutExecutor;
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

  /** Its token bucket, or null when it is not rate limited. */
  public @Nullable TokenBucket bucket() {
    return bucket;
  }

  /**
   * Calls the provider once, within the timeout if one is set. The caller holds a circuit
   * breaker permission and reports the outcome to the breaker.
   */
  public SendResult call(Email email) throws ProviderException {
    if (timeout == null || timeoutExecutor == null) {
      return provider.send(email);
    }
    Future<SendResult> future = timeoutExecutor.submit(() -> provider.send(email));
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw ProviderException.builder(FailureKind.TRANSIENT, name(),
          "no answer within the timeout of " + timeout).code("timeout").cause(e).build();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw ProviderException.builder(FailureKind.TRANSIENT, name(), "interrupted while sending").cause(e).build();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ProviderException p) {
        throw p;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw ProviderException.builder(FailureKind.TRANSIENT, name(), "the provider failed with "
          + cause.getClass().getName()).cause(cause).build();
    }
  }
}
