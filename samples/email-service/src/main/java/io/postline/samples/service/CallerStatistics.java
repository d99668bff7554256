package io.postline.samples.service;

import io.postline.mail.FailureKind;
import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What each caller's emails came to since the service started, per provider: sent, failed (a
 * synchronous send no provider took), dead-lettered (a queued one given up on), and attempts a
 * provider refused as rate limited; plus the requests the service itself refused for the caller's
 * rate limit. Fed by the Mailer's events (a {@link MailListener} bean, which the starter registers)
 * and by {@link CallerAuthenticationFilter}. Counts of one instance only: Prometheus has the
 * fleet's. Thread-safe.
 */
final class CallerStatistics implements MailListener {
  /** The provider a dead letter is counted under when no attempt was seen (it failed before any). */
  static final String NO_PROVIDER = "none";
  /** At most this many messages' last provider are remembered until they end. */
  private static final int MAX_IN_FLIGHT = 100_000;

  private final Instant since;
  private final Map<String, CallerCounts> callers = new ConcurrentHashMap<>();
  /** The provider each unfinished message last went to, so that its dead letter is counted under it. */
  private final Map<String, String> lastProvider = new ConcurrentHashMap<>();

  CallerStatistics(Clock clock) {
    this.since = clock.instant();
  }

  @Override
  public void onEvent(MailEvent event) {
    if (event.caller().isEmpty()) {
      return;
    }
    CallerCounts counts = counts(event.caller().get());
    if (event instanceof MailEvent.Sending e) {
      if (lastProvider.size() < MAX_IN_FLIGHT || lastProvider.containsKey(e.mailId())) {
        lastProvider.put(e.mailId(), e.provider());
      }
    } else if (event instanceof MailEvent.AttemptFailed e && e.kind() == FailureKind.RATE_LIMITED) {
      counts.provider(e.provider()).rateLimited.increment();
    } else if (event instanceof MailEvent.Sent e) {
      lastProvider.remove(e.mailId());
      counts.provider(e.provider()).sent.increment();
    } else if (event instanceof MailEvent.Failed e) {
      lastProvider.remove(e.mailId());
      counts.provider(e.provider()).failed.increment();
    } else if (event instanceof MailEvent.DeadLettered e) {
      String provider = lastProvider.remove(e.mailId());
      counts.provider(provider == null ? NO_PROVIDER : provider).deadLettered.increment();
    }
  }

  /** Counts a request refused because {@code caller} was over its rate limit. */
  void rateLimited(String caller) {
    counts(caller).rateLimitedRequests.increment();
  }

  /** {@code caller}'s statistics now (all zero for a caller with no email yet). */
  Snapshot of(String caller) {
    CallerCounts counts = callers.get(caller);
    Map<String, ProviderSnapshot> providers = new TreeMap<>();
    long rateLimitedRequests = 0;
    if (counts != null) {
      counts.providers.forEach((name, p) -> providers.put(name, new ProviderSnapshot(p.sent.sum(), p.failed.sum(),
          p.deadLettered.sum(), p.rateLimited.sum())));
      rateLimitedRequests = counts.rateLimitedRequests.sum();
    }
    return new Snapshot(caller, since, providers.values().stream().mapToLong(ProviderSnapshot::sent).sum(),
        providers.values().stream().mapToLong(ProviderSnapshot::failed).sum(),
        providers.values().stream().mapToLong(ProviderSnapshot::deadLettered).sum(), rateLimitedRequests, providers);
  }

  private CallerCounts counts(String caller) {
    return callers.computeIfAbsent(caller, c -> new CallerCounts());
  }

  /**
   * One caller's statistics.
   *
   * @param caller the caller
   * @param since when counting began (the service's start)
   * @param sent emails a provider accepted
   * @param failed synchronous sends no provider accepted
   * @param deadLettered queued emails given up on
   * @param rateLimited requests the service refused with 429 for the caller's rate limit
   * @param providers the same per provider, with the attempts it refused as rate limited
   */
  record Snapshot(String caller, Instant since, long sent, long failed, long deadLettered, long rateLimited,
      Map<String, ProviderSnapshot> providers) {}

  /**
   * One caller's statistics at one provider.
   *
   * @param sent emails it accepted
   * @param failed synchronous sends that ended with it failing
   * @param deadLettered queued emails given up on after it last tried them
   * @param rateLimited attempts it refused as rate limited (retried later or elsewhere)
   */
  record ProviderSnapshot(long sent, long failed, long deadLettered, long rateLimited) {}

  private static final class CallerCounts {
    final LongAdder rateLimitedRequests = new LongAdder();
    final Map<String, ProviderCounts> providers = new ConcurrentHashMap<>();

    ProviderCounts provider(String name) {
      return providers.computeIfAbsent(name, n -> new ProviderCounts());
    }
  }

  private static final class ProviderCounts {
    final LongAdder sent = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder deadLettered = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
  }
}
