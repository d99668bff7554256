package io.postline.mail.spring;

import io.postline.mail.Email;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.event.MailEvent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code postline} actuator endpoint.
 *
 * <ul>
 *   <li>{@code GET /actuator/postline[?limit=100]}: the queue's counts by state, its dead
 *       letters, newest first, and how many suppression entries apply (with a suppression list).</li>
 *   <li>{@code GET /actuator/postline/{id}}: the audit trail of one message (404 when none is
 *       kept).</li>
 *   <li>{@code POST /actuator/postline/requeue} and {@code POST /actuator/postline/purge}, with
 *       a JSON body {@code {"id": "..."}} for one dead letter or without an id for all of them.</li>
 * </ul>
 *
 * <p>Recipients are masked ({@code a***@example.org}) unless {@code postline.mail.mask-recipients}
 * is false; subjects and bodies are never shown.
 */
@Endpoint(id = "postline")
public class PostlineEndpoint {
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;

  private final Mailer mailer;
  private final boolean maskRecipients;
  private final @Nullable SuppressionList suppressions;

  /**
   * An endpoint for {@code mailer}.
   *
   * @param maskRecipients whether recipient addresses are shown masked
   */
  public PostlineEndpoint(Mailer mailer, boolean maskRecipients) {
    this(mailer, maskRecipients, null);
  }

  /**
   * An endpoint for {@code mailer} that also counts {@code suppressions}' entries.
   *
   * @param maskRecipients whether recipient addresses are shown masked
   * @param suppressions the suppression list the mailer enforces; none when null
   */
  public PostlineEndpoint(Mailer mailer, boolean maskRecipients, @Nullable SuppressionList suppressions) {
    this.mailer = Objects.requireNonNull(mailer, "mailer");
    this.maskRecipients = maskRecipients;
    this.suppressions = suppressions;
  }

  /**
   * The queue's counts and its newest dead letters.
   *
   * @param limit how many dead letters to list, 0 to 1000; 100 unless given
   */
  @ReadOperation
  public QueueReport queue(@Nullable Integer limit) {
    int n = limit == null ? DEFAULT_LIMIT : limit;
    if (n < 0 || n > MAX_LIMIT) {
      throw new InvalidEndpointRequestException("limit must be from 0 to " + MAX_LIMIT + ", was " + n,
          "limit must be from 0 to " + MAX_LIMIT);
    }
    QueueCounts counts = mailer.queueCounts();
    Map<String, Long> ready = new LinkedHashMap<>();
    counts.ready().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> ready.put(e.getKey().name(), e.getValue()));
    List<DeadLetterDescriptor> deadLetters = n == 0 ? List.of()
        : mailer.deadLetters().list(n).stream().map(this::describe).toList();
    return new QueueReport(new Counts(ready, counts.readyTotal(), counts.scheduled(), counts.leased(),
        counts.deadLettered(), counts.pending()), deadLetters,
        suppressions == null ? null : new Suppressions(suppressions.count()));
  }

  /**
   * The audit trail of one message: its events, oldest first.
   *
   * @return null (404) when the audit log keeps no event of that id
   */
  @ReadOperation
  public @Nullable AuditTrail audit(@Selector String id) {
    List<MailEvent> events = mailer.audit().find(id);
    if (events.isEmpty()) {
      return null;
    }
    return new AuditTrail(id, events.get(events.size() - 1).type(), events.stream().map(MailEvents::describe).toList());
  }

  /**
   * Requeues or purges dead letters.
   *
   * @param action {@code requeue} or {@code purge}
   * @param id one dead letter's id; every dead letter when absent
   */
  @WriteOperation
  public ActionResult deadLetters(@Selector String action, @Nullable String id) {
    String a = action.toLowerCase(Locale.ROOT);
    long affected = switch (a) {
      case "requeue" -> id == null ? mailer.deadLetters().requeueAll() : mailer.deadLetters().requeue(id) ? 1 : 0;
      case "purge" -> id == null ? mailer.deadLetters().purgeAll() : mailer.deadLetters().purge(id) ? 1 : 0;
      default -> throw new InvalidEndpointRequestException("unknown action '" + action + "'; use requeue or purge",
          "unknown action; use requeue or purge");
    };
    return new ActionResult(a, id, affected);
  }

  private DeadLetterDescriptor describe(DeadLetter d) {
    Email email = d.mail().email();
    List<String> recipients = email.recipients().stream()
        .map(r -> maskRecipients ? r.masked() : r.email()).toList();
    return new DeadLetterDescriptor(d.id(), d.kind().name(), d.reason(), d.attempts(), d.deadLetteredAt(),
        d.mail().enqueuedAt(), email.priority().name(), email.caller().orElse(null), recipients,
        List.copyOf(email.tags()));
  }

  /**
   * The queue.
   *
   * @param counts how many messages are in each state
   * @param deadLetters the newest dead letters
   * @param suppressions the suppression list's counts; null without a suppression list
   */
  public record QueueReport(Counts counts, List<DeadLetterDescriptor> deadLetters,
      @Nullable Suppressions suppressions) {

    /** A report without suppression counts. */
    public QueueReport(Counts counts, List<DeadLetterDescriptor> deadLetters) {
      this(counts, deadLetters, null);
    }
  }

  /**
   * The suppression list's counts (addresses are never shown, not even hashed).
   *
   * @param active how many entries apply now (for all mail or for one list)
   */
  public record Suppressions(long active) {}

  /**
   * How many messages are in each state.
   *
   * @param ready due and waiting for a worker, by priority
   * @param readyTotal every ready message
   * @param scheduled waiting for their time or their next retry
   * @param leased being sent right now
   * @param deadLettered in the dead letters
   * @param pending ready, scheduled and leased
   */
  public record Counts(Map<String, Long> ready, long readyTotal, long scheduled, long leased, long deadLettered,
      long pending) {}

  /**
   * One dead letter, without subject or body.
   *
   * @param id the message id
   * @param kind the failure kind that ended it
   * @param reason what the provider answered, or why the queue gave up
   * @param attempts how many attempts were made
   * @param deadLetteredAt when it became a dead letter
   * @param enqueuedAt when it was enqueued
   * @param priority its priority
   * @param caller who asked for it, if known
   * @param recipients its recipients, masked unless configured otherwise
   * @param tags its tags
   */
  public record DeadLetterDescriptor(String id, String kind, String reason, int attempts, Instant deadLetteredAt,
      Instant enqueuedAt, String priority, @Nullable String caller, List<String> recipients, List<String> tags) {}

  /**
   * One message's story.
   *
   * @param id the message id
   * @param status the type of its latest event, such as {@code sent} or {@code dead_lettered}
   * @param events its events, oldest first
   */
  public record AuditTrail(String id, String status, List<Map<String, Object>> events) {}

  /**
   * What a write operation did.
   *
   * @param action {@code requeue} or {@code purge}
   * @param id the dead letter acted on, or null for all of them
   * @param affected how many dead letters were requeued or purged
   */
  public record ActionResult(String action, @Nullable String id, long affected) {}
}
