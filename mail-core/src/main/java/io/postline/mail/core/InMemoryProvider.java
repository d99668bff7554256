package io.postline.mail.core;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A provider that keeps what it is given in memory, for tests: look at what was "sent" with
 * {@link #sent()}, and make sends fail the way real providers do with {@link #failNext(int,
 * FailureKind)}, {@link #latency(Duration)} and {@link #reject(String)}, so that an
 * application's own failure handling can be tested too.
 *
 * <p>{@code new InMemoryProvider("memory")} is private to whoever holds it.
 * {@link #named(String)} and the DSN {@code memory://NAME} share one outbox per name across
 * every {@code Mailer} in the JVM, so a test can reach the outbox of a {@code Mailer} built from
 * configuration. Thread-safe.
 */
public final class InMemoryProvider implements MailProvider {
  private static final Map<String, Outbox> SHARED = new ConcurrentHashMap<>();

  private final String name;
  private final Outbox outbox;

  /** A provider with its own, private outbox. */
  public InMemoryProvider(String name) {
    this(name, new Outbox());
  }

  private InMemoryProvider(String name, Outbox outbox) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("provider name must not be blank");
    }
    this.name = name;
    this.outbox = outbox;
  }

  /** The provider for the shared outbox {@code outboxName}; created on first use. */
  public static InMemoryProvider named(String outboxName) {
    return new InMemoryProvider(outboxName, shared(outboxName));
  }

  /**
   * A provider called {@code name} (its name in results and events) on the shared outbox
   * {@code outboxName}; this is what {@code memory://OUTBOX} gives a provider named in a Mailer.
   */
  public static InMemoryProvider named(String name, String outboxName) {
    return new InMemoryProvider(name, shared(outboxName));
  }

  private static Outbox shared(String outboxName) {
    Objects.requireNonNull(outboxName, "outboxName");
    return SHARED.computeIfAbsent(outboxName, n -> new Outbox());
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Capabilities capabilities() {
    return outbox.capabilities;
  }

  /** Makes this outbox report other capabilities, to test how a caller treats limits. */
  public InMemoryProvider capabilities(Capabilities capabilities) {
    outbox.capabilities = Objects.requireNonNull(capabilities, "capabilities");
    return this;
  }

  @Override
  public SendResult send(Email email) throws ProviderException {
    capabilities().check(email, name);
    long started = System.nanoTime();
    outbox.delay();
    outbox.failIfArmed(name);
    List<RecipientStatus> statuses = new ArrayList<>();
    boolean anyAccepted = false;
    for (Address recipient : email.recipients()) {
      if (outbox.isRejected(recipient)) {
        statuses.add(RecipientStatus.rejected(recipient, "550 5.1.1 recipient rejected (in-memory)"));
      } else {
        statuses.add(RecipientStatus.accepted(recipient));
        anyAccepted = true;
      }
    }
    if (!anyAccepted) {
      throw ProviderException.builder(FailureKind.RECIPIENTS_REJECTED, name, "every recipient was rejected")
          .code("550").recipients(statuses).build();
    }
    String messageId = "<" + outbox.nextId() + "." + name + "@postline.memory>";
    outbox.record(email);
    return new SendResult(name, messageId, statuses, 1, Duration.ofNanos(System.nanoTime() - started));
  }

  /** Every email accepted so far, oldest first (a snapshot). */
  public List<Email> sent() {
    return outbox.snapshot();
  }

  /** The emails accepted so far that have {@code address} among their recipients. */
  public List<Email> sentTo(String address) {
    Address wanted = Address.parse(address);
    return outbox.snapshot().stream()
        .filter(e -> e.recipients().stream().anyMatch(a -> a.asciiEmail().equalsIgnoreCase(wanted.asciiEmail())))
        .toList();
  }

  /** The most recent email accepted, if any. */
  public Optional<Email> lastSent() {
    List<Email> sent = outbox.snapshot();
    return sent.isEmpty() ? Optional.empty() : Optional.of(sent.get(sent.size() - 1));
  }

  /**
   * Waits until at least {@code count} emails were accepted.
   *
   * @return the emails accepted by then
   * @throws AssertionError if fewer arrived within {@code timeout}
   */
  public List<Email> awaitSent(int count, Duration timeout) {
    return outbox.await(count, timeout);
  }

  /** Forgets the emails sent so far; injected faults stay. */
  public InMemoryProvider clear() {
    outbox.clear();
    return this;
  }

  /** Forgets sent emails and every injected fault, latency, rejection and capability change. */
  public InMemoryProvider reset() {
    outbox.reset();
    return this;
  }

  /**
   * Makes the next {@code count} sends fail with {@code kind}, replacing any failures still
   * armed.
   */
  public InMemoryProvider failNext(int count, FailureKind kind) {
    return failNext(count, kind, null);
  }

  /**
   * Makes the next {@code count} sends fail with {@code kind}, the provider asking to be retried
   * after {@code retryAfter} (as a 429 with Retry-After would).
   */
  public InMemoryProvider failNext(int count, FailureKind kind, @Nullable Duration retryAfter) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, was " + count);
    }
    outbox.arm(count, Objects.requireNonNull(kind, "kind"), retryAfter);
    return this;
  }

  /** Makes every send take at least {@code latency}, as a slow provider would. */
  public InMemoryProvider latency(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, was " + latency);
    }
    outbox.latencyNanos = latency.toNanos();
    return this;
  }

  /**
   * Makes the provider refuse this recipient from now on, as an SMTP server answering 550 to
   * RCPT TO would: the message goes to the other recipients, or fails with
   * {@link FailureKind#RECIPIENTS_REJECTED} when it has no other.
   */
  public InMemoryProvider reject(String address) {
    outbox.reject(Address.parse(address));
    return this;
  }

  @Override
  public String toString() {
    return "InMemoryProvider[" + name + ", sent=" + outbox.size() + "]";
  }

  /** The state behind one or more providers: sent mail and armed faults. */
  private static final class Outbox {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<Email> sent = new ArrayList<>();
    private final Set<String> rejected = new HashSet<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile Capabilities capabilities = defaultCapabilities();
    private volatile long latencyNanos;
    private int failuresLeft;
    private @Nullable FailureKind failureKind;
    private @Nullable Duration failureRetryAfter;

    private static Capabilities defaultCapabilities() {
      return Capabilities.builder().scheduling(Email.MAX_SCHEDULE_AHEAD).batch(1000).internationalizedAddresses(true)
          .build();
    }

    void delay() throws ProviderException {
      long nanos = latencyNanos;
      if (nanos > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw ProviderException.builder(FailureKind.TRANSIENT, "memory", "interrupted while sending")
              .cause(e).build();
        }
      }
    }

    void failIfArmed(String provider) throws ProviderException {
      FailureKind kind;
      Duration retryAfter;
      lock.lock();
      try {
        if (failuresLeft == 0 || failureKind == null) {
          return;
        }
        failuresLeft--;
        kind = failureKind;
        retryAfter = failureRetryAfter;
      } finally {
        lock.unlock();
      }
      throw ProviderException.builder(kind, provider, "injected failure: " + kind)
          .code("injected").retryAfter(retryAfter).build();
    }

    void arm(int count, FailureKind kind, @Nullable Duration retryAfter) {
      lock.lock();
      try {
        failuresLeft = count;
        failureKind = kind;
        failureRetryAfter = retryAfter;
      } finally {
        lock.unlock();
      }
    }

    void reject(Address address) {
      lock.lock();
      try {
        rejected.add(address.asciiEmail().toLowerCase(Locale.ROOT));
      } finally {
        lock.unlock();
      }
    }

    boolean isRejected(Address address) {
      lock.lock();
      try {
        return !rejected.isEmpty() && rejected.contains(address.asciiEmail().toLowerCase(Locale.ROOT));
      } finally {
        lock.unlock();
      }
    }

    long nextId() {
      return ids.incrementAndGet();
    }

    void record(Email email) {
      lock.lock();
      try {
        sent.add(email);
        arrived.signalAll();
      } finally {
        lock.unlock();
      }
    }

    List<Email> snapshot() {
      lock.lock();
      try {
        return List.copyOf(sent);
      } finally {
        lock.unlock();
      }
    }

    int size() {
      lock.lock();
      try {
        return sent.size();
      } finally {
        lock.unlock();
      }
    }

    List<Email> await(int count, Duration timeout) {
      long nanos = timeout.toNanos();
      lock.lock();
      try {
        while (sent.size() < count) {
          if (nanos <= 0) {
            throw new AssertionError("expected at least " + count + " sent emails within "
                + timeout + ", got " + sent.size());
          }
          nanos = arrived.awaitNanos(nanos);
        }
        return List.copyOf(sent);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for sent emails", e);
      } finally {
        lock.unlock();
      }
    }

    void clear() {
      lock.lock();
      try {
        sent.clear();
      } finally {
        lock.unlock();
      }
    }

    void reset() {
      lock.lock();
      try {
        sent.clear();
        rejected.clear();
        failuresLeft = 0;
        failureKind = null;
        failureRetryAfter = null;
        latencyNanos = 0;
        capabilities = defaultCapabilities();
      } finally {
        lock.unlock();
      }
    }
  }
}
