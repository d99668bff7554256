package io.postline.mail.core.internal;

import io.github.resilience4j.retry.Retry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.MailException;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.Routing;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.SendOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The one dispatch algorithm, for synchronous sends, queued messages and group sends alike. For
 * each message, the providers its routing picks are tried in order; each try is one guarded call
 * ({@link ProviderSlot#acquire()} then send), and one policy decides what follows a failure:
 *
 * <ul>
 *   <li>PERMANENT or RECIPIENTS_REJECTED: give up (no provider will do better);
 *   <li>PROVIDER_UNAVAILABLE or an open circuit: the next provider, at once;
 *   <li>TRANSIENT or RATE_LIMITED: the provider's Resilience4j retry says when to try again
 *       ({@link Backoff}); a synchronous send waits that long within its deadline, a queued
 *       message is rescheduled; when the retry gives up, the next provider;
 *   <li>an empty token bucket: a synchronous send waits for a token within its bounds (else the
 *       next provider), a queued message is rescheduled to when one is due (not an attempt).
 * </ul>
 *
 * <p>Messages of a group that share their route go to a provider together, in one
 * {@link io.postline.mail.spi.MailProvider#sendBatch} call where it declares batches, and each
 * message's answer is judged on its own. The engine publishes {@code Sending}, {@code FailedOver},
 * {@code AttemptFailed}, {@code RetryScheduled} and {@code Sent}; the final failure is its
 * caller's to publish ({@code Failed} for a send, {@code DeadLettered} once the queue took it).
 */
public final class Engine {
  /** How a message is being sent. */
  public enum Mode {
    /** On the caller's thread, waiting between attempts within a deadline. */
    SYNC,
    /** By a queue worker, one pass that never waits: waits become reschedules. */
    QUEUED
  }

  /**
   * One message on its way through the engine. The clock is read as little as a send allows (on
   * some machines each reading costs as much as a map lookup): once when a run begins, and once on
   * each side of a provider call ({@link ProviderSlot.Timing}); event timestamps that nothing can
   * have moved since are derived from those readings.
   */
  public static final class Job extends ProviderSlot.Timing {
    final String mailId;
    final Email email;
    /**
     * The mailer's clock, in epoch millis, when this run began, from which its event timestamps are
     * derived; {@code PAUSED} once the run waited (a retry's or a token's pause): then they are
     * read from the clock.
     */
    long runStartMillis;
    /** Provider calls made for it in this run. */
    int calls;
    int attempts;
    int triesHere;
    @Nullable ProviderException last;
    @Nullable String leaving;
    /** Why providers could not carry it; most messages fit, so the list is made on the first reason. */
    List<String> unfit = List.of();
    /**
     * What the provider that accepted it answered, once one did: kept apart from {@link #outcome}
     * so that a send allocates no {@link Outcome.Sent} around it.
     */
    @Nullable SendResult result;
    /** This run's answer when no provider accepted it (a field, not a map: a send must stay cheap). */
    @Nullable Outcome outcome;
    /** The retry's view of this message on the provider it is trying now. */
    Retry.@Nullable AsyncContext<?> retryContext;
    /** The provider's answer to the current call: a {@link SendResult} or a {@link ProviderException}. */
    @Nullable Object answer;
    /** Where the audit log keeps the message's story, for its next event ({@link EventPublisher#publish(MailEvent, Object)}). */
    @Nullable Object auditPlace;

    /** A message with {@code attempts} attempts behind it. */
    public Job(String mailId, Email email, int attempts) {
      this.mailId = mailId;
      this.email = email;
      this.attempts = attempts;
    }

    /** Marks a message none of whose events was published yet: the audit log begins its story without a lookup. */
    public Job unseen() {
      auditPlace = EventPublisher.UNSEEN;
      return this;
    }

    void unfit(String why) {
      if (unfit.isEmpty()) {
        unfit = new ArrayList<>();
      }
      unfit.add(why);
    }

    /** The message's id. */
    public String mailId() {
      return mailId;
    }

    /** The message. */
    public Email email() {
      return email;
    }
  }

  /** What became of one message. */
  public sealed interface Outcome {
    /** A provider accepted it. */
    record Sent(SendResult result) implements Outcome {}

    /** A queued message to try again at {@code dueAt}, with {@code attempts} made so far. */
    record Later(Instant dueAt, int attempts) implements Outcome {}

    /**
     * No provider accepted it and none will: a final failure.
     *
     * @param last the last provider's failure, or null when no provider could carry the message
     * @param unfit why providers could not carry it, one line each
     */
    record GaveUp(FailureKind kind, String provider, String reason, int attempts, @Nullable ProviderException last,
        List<String> unfit, Duration took) implements Outcome {}

    /**
     * Not sent, and never will be: the suppression list names every recipient (decided before the
     * engine, by the workers; no provider was called).
     */
    record Suppressed(Suppressions.Verdict verdict) implements Outcome {}
  }

  /** {@link Job#runStartMillis} of a run that paused (the deadline was computed before). */
  private static final long PAUSED = Long.MIN_VALUE;

  /** How far off a {@code sendAt} may be for a synchronous send to take it as "now". */
  private static final Duration SCHEDULE_TOLERANCE = Duration.ofSeconds(1);

  private final Map<String, ProviderSlot> slots;
  private final List<String> names;
  /** The slots in {@link #names}' order: what most routings (failover among them) pick as they are. */
  private final List<ProviderSlot> inOrder;
  private final Routing routing;
  private final Duration syncDeadline;
  private final Duration rateLimitWait;
  private final EventPublisher events;
  private final MailMetrics metrics;
  private final Clock clock;
  private final Sleeper sleeper;

  /** An engine over {@code slots}, in the mailer's provider order. */
  public Engine(List<ProviderSlot> slots, Routing routing, Duration syncDeadline, Duration rateLimitWait,
      EventPublisher events, MailMetrics metrics, Clock clock, Sleeper sleeper) {
    Map<String, ProviderSlot> byName = new LinkedHashMap<>();
    slots.forEach(s -> byName.put(s.name(), s));
    this.slots = byName;
    this.names = List.copyOf(byName.keySet());
    this.inOrder = List.copyOf(byName.values());
    this.routing = routing;
    this.syncDeadline = syncDeadline;
    this.rateLimitWait = rateLimitWait;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** The slots in the mailer's provider order. */
  public List<ProviderSlot> slots() {
    return inOrder;
  }

  /** How long a synchronous send may take, retries included. */
  public Duration syncDeadline() {
    return syncDeadline;
  }

  /**
   * Sends one message now, retrying and failing over within the deadline.
   *
   * @param nowMillis the mailer's clock now (the caller read it for the message's id)
   * @param unseen whether no event of this message was published yet (its story begins here)
   * @return what the provider that accepted it answered
   * @throws MailException when no provider accepted it: the {@link #failure} of the message
   */
  public SendResult send(String mailId, Email email, long nowMillis, boolean unseen) {
    Job job = new Job(mailId, email, 0);
    if (unseen) {
      job.unseen();
    }
    run(List.of(job), Mode.SYNC, nowMillis);
    if (job.result != null) {
      return job.result;
    }
    // A synchronous run never defers a message: what is not sent has given up.
    throw failure(mailId, email, (Outcome.GaveUp) outcome(job));
  }

  /** Sends the messages of one group chunk now; one outcome per job, in order. */
  public List<Outcome> sendGroup(List<Job> jobs) {
    run(jobs, Mode.SYNC, clock.millis());
    List<Outcome> ordered = new ArrayList<>(jobs.size());
    for (Job job : jobs) {
      ordered.add(outcome(job));
    }
    return ordered;
  }

  /** One pass over the providers for a queued message, never waiting. */
  public Outcome attemptQueued(String mailId, Email email, int attempts) {
    Job job = new Job(mailId, email, attempts);
    run(List.of(job), Mode.QUEUED, clock.millis());
    return outcome(job);
  }

  /**
   * The problems that keep every provider the routing picks from carrying {@code email}; empty
   * when at least one can. Scheduling is not a problem here: the queue holds the message.
   */
  public List<String> queueProblems(Email email) {
    List<String> all = new ArrayList<>();
    for (ProviderSlot slot : candidates(email)) {
      List<String> problems = slot.provider().capabilities().problems(email);
      if (problems.isEmpty()) {
        return List.of();
      }
      problems.forEach(p -> all.add("provider " + slot.name() + ": " + p));
    }
    return all;
  }

  /** How many messages of a group one call to the first provider routed for {@code email} may carry. */
  public int batchSize(Email email) {
    return candidates(email).get(0).batchSize();
  }

  /** Runs {@code jobs}, begun at {@code startMillis}, until each has its {@link Job#outcome}. */
  private void run(List<Job> jobs, Mode mode, long startMillis) {
    // Epoch millis, not an Instant: a send allocates nothing for its deadline.
    long deadline = startMillis + syncDeadline.toMillis();
    for (Job job : jobs) {
      job.result = null;
      job.outcome = null;
      job.runStartMillis = startMillis;
      job.calls = 0;
      job.restart();
    }
    if (jobs.size() == 1) {
      // One message has one route: no grouping.
      runRoute(candidates(jobs.get(0).email), jobs, mode, deadline);
      return;
    }
    Map<List<String>, List<Job>> byRoute = new LinkedHashMap<>();
    for (Job job : jobs) {
      byRoute.computeIfAbsent(routing.route(job.email, names), k -> new ArrayList<>()).add(job);
    }
    for (Map.Entry<List<String>, List<Job>> route : byRoute.entrySet()) {
      runRoute(slotsOf(route.getKey()), route.getValue(), mode, deadline);
    }
  }

  /** Publishes an event of {@code job}'s message, keeping the audit log's place in its story. */
  private void publish(Job job, MailEvent event) {
    job.auditPlace = events.publish(event, job.auditPlace);
  }

  private static Outcome outcome(Job job) {
    if (job.result != null) {
      return new Outcome.Sent(job.result);
    }
    return Objects.requireNonNull(job.outcome, "every message of a run has an outcome");
  }

  /** Whether the run has answered for {@code job}. */
  private static boolean settled(Job job) {
    return job.result != null || job.outcome != null;
  }

  private void runRoute(List<ProviderSlot> candidates, List<Job> group, Mode mode, long deadline) {
    // The lists are only read: a new one is made only when some message drops out, which most sends never see.
    List<Job> pending = group;
    boolean first = true;
    for (ProviderSlot slot : candidates) {
      // The first provider is always tried: the deadline cannot have passed since the run began.
      if (pending.isEmpty() || !first && mode == Mode.SYNC && clock.millis() >= deadline) {
        break;
      }
      first = false;
      tryProvider(slot, fitting(slot, pending, mode), mode, deadline);
      pending = unsettled(pending);
    }
    for (Job job : pending) {
      job.outcome = finalOutcome(job, mode, candidates);
    }
  }

  /** The jobs {@code slot} can carry (all of {@code pending} itself when each fits); the others note why not. */
  private List<Job> fitting(ProviderSlot slot, List<Job> pending, Mode mode) {
    List<Job> fit = null;
    for (int i = 0; i < pending.size(); i++) {
      Job job = pending.get(i);
      List<String> problems = problems(slot, job.email, mode);
      if (problems.isEmpty()) {
        job.triesHere = 0;
        if (fit != null) {
          fit.add(job);
        }
      } else {
        if (fit == null) {
          fit = new ArrayList<>(pending.subList(0, i));
        }
        problems.forEach(p -> job.unfit("provider " + slot.name() + ": " + p));
      }
    }
    return fit == null ? pending : fit;
  }

  /** The jobs of {@code jobs} without an outcome yet ({@code jobs} itself when none has one). */
  private static List<Job> unsettled(List<Job> jobs) {
    int settled = 0;
    for (int i = 0; i < jobs.size(); i++) {
      if (settled(jobs.get(i))) {
        settled++;
      }
    }
    if (settled == 0) {
      return jobs;
    }
    if (settled == jobs.size()) {
      return List.of(); // the usual end of a route: every message answered
    }
    List<Job> out = new ArrayList<>(jobs.size() - settled);
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      if (!settled(job)) {
        out.add(job);
      }
    }
    return out;
  }

  /** Works {@code fit} on one provider until each is sent, settled, or moves on to the next one. */
  private void tryProvider(ProviderSlot slot, List<Job> fit, Mode mode, long deadline) {
    for (Job job : fit) {
      job.retryContext = null; // a new provider: its retry starts afresh
    }
    Instant rateLimitedSince = null;
    while (!fit.isEmpty()) {
      ProviderSlot.Blocked blocked = slot.acquire();
      if (blocked instanceof ProviderSlot.Blocked.CircuitOpen open) {
        moveOn(fit, slot, open.failure());
        return;
      }
      if (blocked instanceof ProviderSlot.Blocked.RateLimited limited) {
        Duration wait = limited.tokenDue();
        if (mode == Mode.QUEUED) {
          metrics.rateLimitWait(slot.name(), true, wait);
          for (Job job : fit) {
            publish(job, new MailEvent.RetryScheduled(job.mailId, clock.instant(), job.email.caller(), slot.name(),
                job.attempts + 1, wait));
            job.outcome = new Outcome.Later(clock.instant().plus(wait), job.attempts);
          }
          return;
        }
        Instant now = clock.instant();
        if (rateLimitedSince == null) {
          rateLimitedSince = now;
        }
        Instant until = earlier(rateLimitedSince.plus(rateLimitWait), Instant.ofEpochMilli(deadline));
        paused(fit);
        if (!now.plus(wait).isAfter(until) && sleeper.pause(wait)) {
          continue;
        }
        metrics.rateLimitWait(slot.name(), false, Duration.between(rateLimitedSince, clock.instant()));
        moveOn(fit, slot, ProviderException.builder(FailureKind.RATE_LIMITED, slot.name(), "rate limit: no token within "
            + Duration.between(rateLimitedSince, until).toMillis() + " ms (next in " + wait.toMillis() + " ms)")
            .retryAfter(wait).build());
        return;
      }
      if (rateLimitedSince != null) {
        metrics.rateLimitWait(slot.name(), false, Duration.between(rateLimitedSince, clock.instant()));
        rateLimitedSince = null;
      }
      for (Job job : fit) {
        if (job.leaving != null && job.last != null) {
          publish(job, new MailEvent.FailedOver(job.mailId, beforeCall(job), job.email.caller(), job.leaving, slot.name(),
              describe(job.last)));
        }
        job.leaving = null;
        job.attempts++;
        job.triesHere++;
        publish(job, new MailEvent.Sending(job.mailId, beforeCall(job), job.email.caller(), slot.name(), job.attempts));
      }
      call(slot, fit);
      List<Job> retrying = null;
      Duration wait = Duration.ZERO;
      for (int i = 0; i < fit.size(); i++) {
        Job job = fit.get(i);
        Object answer = job.answer;
        job.answer = null;
        if (answer instanceof SendResult accepted) {
          job.result = sent(job, slot, accepted);
          Retry.AsyncContext<?> context = job.retryContext;
          if (context != null) {
            context.onComplete();
          }
          continue;
        }
        ProviderException failure = (ProviderException) answer;
        job.last = failure;
        publish(job, new MailEvent.AttemptFailed(job.mailId, afterCall(job), job.email.caller(), slot.name(), job.attempts,
            failure.kind(), describe(failure)));
        if (!failure.kind().failsOver()) {
          job.outcome = gaveUp(job, failure);
          continue;
        }
        if (!failure.kind().retryable()) {
          job.leaving = slot.name();
          continue;
        }
        Retry retry = mode == Mode.SYNC ? slot.syncRetry() : slot.queuedRetry();
        Retry.AsyncContext<?> context = job.retryContext;
        if (context == null) {
          context = retry.asyncContext();
          job.retryContext = context;
        }
        Duration delay = Backoff.after(context, failure, mode == Mode.SYNC ? job.triesHere : job.attempts);
        if (delay == null) {
          job.leaving = slot.name();
        } else if (mode == Mode.QUEUED) {
          publish(job, new MailEvent.RetryScheduled(job.mailId, clock.instant(), job.email.caller(), slot.name(),
              job.attempts + 1, delay));
          job.outcome = new Outcome.Later(clock.instant().plus(delay), job.attempts);
        } else if (clock.millis() + delay.toMillis() < deadline) {
          if (retrying == null) {
            retrying = new ArrayList<>(fit.size());
          }
          retrying.add(job);
          wait = delay.compareTo(wait) > 0 ? delay : wait;
        } else {
          job.leaving = slot.name();
        }
      }
      if (retrying == null) {
        return;
      }
      for (Job job : retrying) {
        publish(job, new MailEvent.RetryScheduled(job.mailId, clock.instant(), job.email.caller(), slot.name(),
            job.attempts + 1, wait));
      }
      paused(retrying);
      if (!sleeper.pause(wait)) {
        retrying.forEach(job -> job.leaving = slot.name());
        return;
      }
      fit = retrying;
    }
  }

  /**
   * Calls the provider once for {@code jobs}: {@code send} for one message, {@code sendBatch} for
   * several. Leaves, in each job's {@link Job#answer}, the provider's {@link SendResult} or a
   * {@link ProviderException}.
   */
  private static void call(ProviderSlot slot, List<Job> jobs) {
    ProviderSlot.Timing timing = jobs.size() == 1 ? jobs.get(0) : new ProviderSlot.Timing();
    try {
      if (jobs.size() == 1) {
        Job job = jobs.get(0);
        job.answer = slot.send(outgoing(slot, job), job);
        return;
      }
      List<Email> emails = new ArrayList<>(jobs.size());
      jobs.forEach(j -> emails.add(outgoing(slot, j)));
      List<SendOutcome> answered = slot.sendBatch(emails, timing);
      for (int i = 0; i < jobs.size(); i++) {
        SendOutcome o = i < answered.size() ? answered.get(i) : null;
        jobs.get(i).answer = o == null ? ProviderException.of(FailureKind.TRANSIENT, slot.name(),
                "the provider's batch answer has no outcome for this message")
            : o.result().<Object>map(r -> r).orElseGet(() -> o.failure().orElseThrow());
      }
    } catch (ProviderException e) {
      jobs.forEach(j -> j.answer = e);
    } catch (InvalidEmailException e) {
      // The provider's own checks: this message can never go through it, nor (likely) any other.
      ProviderException refused = ProviderException.builder(FailureKind.PERMANENT, slot.name(),
          "the provider refused the message: " + String.join("; ", e.problems())).code("invalid").cause(e).build();
      jobs.forEach(j -> j.answer = refused);
    } finally {
      for (Job job : jobs) {
        job.calls++;
        if (job != timing) {
          if (!job.started()) {
            job.firstStartedNanos = timing.firstStartedNanos;
          }
          job.lastEndedNanos = timing.lastEndedNanos;
        }
      }
    }
  }

  /**
   * The time of an event before a provider call: the run's start when nothing can have happened
   * since (no call made, no pause), else the clock.
   */
  private Instant beforeCall(Job job) {
    return job.calls == 0 && job.runStartMillis != PAUSED ? Timestamps.ofMillis(job.runStartMillis) : clock.instant();
  }

  /**
   * The time of an answer: after a run's first call without a pause, its start plus the time the
   * call took (read on the monotonic clock around the call), else the clock.
   */
  private Instant afterCall(Job job) {
    return job.calls == 1 && job.runStartMillis != PAUSED
        ? Timestamps.ofMillis(job.runStartMillis + (job.lastEndedNanos - job.firstStartedNanos) / 1_000_000)
        : clock.instant();
  }

  private static void paused(List<Job> jobs) {
    for (Job job : jobs) {
      job.runStartMillis = PAUSED;
    }
  }

  /**
   * The message as {@code slot}'s provider gets it: with Postline's mail id in its metadata
   * ({@link io.postline.mail.core.Mailer#MAIL_ID_METADATA_KEY}) where the provider's delivery
   * webhooks echo metadata back (SendGrid custom args, Mailgun user variables, SES message tags:
   * {@link io.postline.mail.spi.Capabilities#deliveryReports()}). Any other provider gets the
   * message as it is.
   */
  private static Email outgoing(ProviderSlot slot, Job job) {
    return slot.wantsMailId()
        ? job.email.withMetadata(io.postline.mail.core.Mailer.MAIL_ID_METADATA_KEY, job.mailId) : job.email;
  }

  /**
   * Publishes the final failure of a message sent now ({@code Failed}) and makes the exception its
   * caller gets.
   */
  public MailException failure(String id, Email email, Engine.Outcome.GaveUp gaveUp) {
    ProviderException last = gaveUp.last();
    if (last == null) {
      return new InvalidEmailException(gaveUp.unfit());
    }
    events.publish(new MailEvent.Failed(id, clock.instant(), email.caller(), gaveUp.provider(), gaveUp.kind(),
        gaveUp.attempts(), gaveUp.reason()));
    metrics.send(gaveUp.provider(), "failed", email.caller(), gaveUp.took());
    if (last.getCause() instanceof InvalidEmailException invalid) {
      return invalid; // the provider's own checks: the same exception a Mailer's checks would give
    }
    String message = "sending failed after " + gaveUp.attempts() + (gaveUp.attempts() == 1 ? " attempt" : " attempts")
        + "; provider " + gaveUp.provider() + " answered: " + gaveUp.reason() + " (" + advice(gaveUp.kind()) + ")";
    return new SendFailedException(gaveUp.kind(), gaveUp.provider(), message, last.retryAfter().orElse(null),
        gaveUp.attempts(), last, id);
  }

  private static String advice(FailureKind kind) {
    return switch (kind) {
      case TRANSIENT -> "transient: trying again later may succeed";
      case RATE_LIMITED -> "rate limited: try again after the provider's retry-after";
      case PROVIDER_UNAVAILABLE -> "provider unavailable: check its configuration or account";
      case RECIPIENTS_REJECTED -> "recipients rejected: retrying will not help";
      case PERMANENT -> "permanent: retrying this message will not help";
    };
  }


  private SendResult sent(Job job, ProviderSlot slot, SendResult accepted) {
    Duration took = took(job);
    SendResult result = new SendResult(slot.name(), accepted.messageId(), accepted.recipients(), job.attempts, took,
        Optional.of(job.mailId));
    publish(job, new MailEvent.Sent(job.mailId, afterCall(job), job.email.caller(), slot.name(), result.messageId(),
        job.attempts, took));
    metrics.send(slot.name(), "sent", job.email.caller(), took);
    return result;
  }

  private void moveOn(List<Job> jobs, ProviderSlot slot, ProviderException why) {
    for (Job job : jobs) {
      job.last = why;
      job.leaving = slot.name();
    }
  }

  private Outcome finalOutcome(Job job, Mode mode, List<ProviderSlot> candidates) {
    ProviderException last = job.last;
    if (last == null) {
      String reason = "no provider can carry it: " + String.join("; ", job.unfit);
      return new Outcome.GaveUp(FailureKind.PERMANENT, "none", reason, job.attempts, null, List.copyOf(job.unfit),
          took(job));
    }
    if (mode == Mode.QUEUED) {
      // Every provider failed or is unavailable: try again later, until the attempts are spent.
      ProviderSlot lastSlot = slots.getOrDefault(last.provider(), candidates.get(candidates.size() - 1));
      Duration delay = Backoff.later(lastSlot.queuedRetry(), last, job.attempts);
      if (delay != null) {
        publish(job, new MailEvent.RetryScheduled(job.mailId, clock.instant(), job.email.caller(), last.provider(),
            job.attempts + 1, delay));
        return new Outcome.Later(clock.instant().plus(delay), job.attempts);
      }
      return new Outcome.GaveUp(last.kind(), last.provider(), "gave up after " + job.attempts + " attempts; last: "
          + describe(last), job.attempts, last, List.copyOf(job.unfit), took(job));
    }
    return gaveUp(job, last);
  }

  private static Outcome gaveUp(Job job, ProviderException failure) {
    return new Outcome.GaveUp(failure.kind(), failure.provider(), describe(failure), job.attempts, failure,
        List.copyOf(job.unfit), took(job));
  }

  /** From the run's first provider call to its last answer; zero when no provider was called. */
  private static Duration took(Job job) {
    return job.calls == 0 ? Duration.ZERO : Duration.ofNanos(job.lastEndedNanos - job.firstStartedNanos);
  }

  private List<ProviderSlot> candidates(Email email) {
    return slotsOf(routing.route(email, names));
  }

  private List<ProviderSlot> slotsOf(List<String> order) {
    if (order == names) {
      return inOrder;
    }
    List<ProviderSlot> out = new ArrayList<>(order.size());
    for (String name : order) {
      ProviderSlot slot = slots.get(name);
      if (slot == null) {
        throw new IllegalStateException("routing picked provider '" + name + "', which this mailer does not have: " + names);
      }
      out.add(slot);
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("routing picked no provider; the mailer has " + names);
    }
    return out;
  }

  private List<String> problems(ProviderSlot slot, Email email, Mode mode) {
    Capabilities capabilities = slot.provider().capabilities();
    List<String> problems = capabilities.problems(email);
    Optional<Instant> sendAt = email.sendAt();
    if (mode == Mode.QUEUED || sendAt.isEmpty() || !sendAt.get().isAfter(clock.instant().plus(SCHEDULE_TOLERANCE))) {
      return problems;
    }
    List<String> more = new ArrayList<>(problems);
    if (!capabilities.scheduling()) {
      more.add("cannot hold a message until sendAt; enqueue it instead");
    } else if (sendAt.get().isAfter(clock.instant().plus(capabilities.maxScheduleAhead()))) {
      more.add("schedules at most " + capabilities.maxScheduleAhead() + " ahead; enqueue it instead");
    }
    return more;
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** The provider's answer with its code, for events and exceptions. */
  public static String describe(ProviderException e) {
    return e.kind() + e.code().map(c -> " " + c).orElse("") + ": " + e.getMessage();
  }
}
