package io.postline.mail.feedback;

import io.postline.mail.core.AddressHash;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.event.MailEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on verified {@link DeliveryEvent}s: feeds the suppression list and passes every event to
 * the listeners.
 *
 * <ul>
 *   <li>a hard bounce or a complaint suppresses all mail to the address;
 *   <li>an unsubscribe suppresses the event's list, or all mail when the event names no list;
 *   <li>soft bounces suppress all mail once {@link Builder#softBounces(int, Duration)} of them
 *       arrive within the window, for {@link Builder#softBounceSuppression(Duration)};
 *   <li>other events change nothing.
 * </ul>
 *
 * <p>With {@link Builder#mailer(Mailer)}, every event that carries Postline's mail id is also
 * recorded in that mailer's audit log, metrics and listeners as a {@link MailEvent.Delivery}, so
 * that a message's story ends in "delivered" or "bounced" rather than in the provider's acceptance.
 */
public final class DeliveryFeedback {
  private static final Logger log = LoggerFactory.getLogger(DeliveryFeedback.class);

  private final SuppressionList suppressions;
  private final int softBounceLimit;
  private final Duration softBounceWindow;
  private final Duration softBounceSuppression;
  private final List<Consumer<DeliveryEvent>> listeners;
  private final @Nullable Mailer mailer;

  private DeliveryFeedback(Builder b) {
    this.suppressions = b.suppressions;
    this.softBounceLimit = b.softBounceLimit;
    this.softBounceWindow = b.softBounceWindow;
    this.softBounceSuppression = b.softBounceSuppression;
    this.listeners = List.copyOf(b.listeners);
    this.mailer = b.mailer;
  }

  /** A builder feeding {@code suppressions}. */
  public static Builder builder(SuppressionList suppressions) {
    return new Builder(suppressions);
  }

  /** Acts on each of {@code events} in order; the suppression entries added. */
  public List<SuppressionEntry> accept(List<DeliveryEvent> events) {
    List<SuppressionEntry> added = new ArrayList<>();
    for (DeliveryEvent event : events) {
      accept(event).ifPresent(added::add);
    }
    return added;
  }

  /** Acts on {@code event}; the suppression entry it added, if any. */
  public Optional<SuppressionEntry> accept(DeliveryEvent event) {
    Optional<SuppressionEntry> added = suppression(event);
    added.ifPresent(suppressions::add);
    record(event);
    for (Consumer<DeliveryEvent> listener : listeners) {
      try {
        listener.accept(event);
      } catch (Throwable e) { // NOPMD: a listener's Error (a missing class) is its failure, not the webhook's
        // The exception's text could quote the event's address; its type says enough.
        log.warn("a delivery event listener failed with {}", e.getClass().getName());
      }
    }
    return added;
  }

  /** Hands the event to the mailer's audit log and listeners, when there is a mailer and a mail id. */
  private void record(DeliveryEvent event) {
    if (mailer == null || event.mailId().isEmpty()) {
      return;
    }
    try {
      mailer.recordDelivery(new MailEvent.Delivery(event.mailId().get(), event.occurredAt(), Optional.empty(),
          event.provider(), status(event.type()), event.smtpStatus()));
    } catch (RuntimeException e) {
      // The suppression entry is already stored: an audit log that fails must not lose it.
      log.warn("recording a delivery event of message {} in the mailer failed with {}", event.mailId().get(),
          e.getClass().getName());
    }
  }

  /** The mailer's word for what the provider reported. */
  static MailEvent.Delivery.Status status(DeliveryEvent.Type type) {
    return switch (type) {
      case DELIVERED -> MailEvent.Delivery.Status.DELIVERED;
      case DEFERRED -> MailEvent.Delivery.Status.DEFERRED;
      case HARD_BOUNCE -> MailEvent.Delivery.Status.BOUNCED;
      case SOFT_BOUNCE -> MailEvent.Delivery.Status.SOFT_BOUNCED;
      case COMPLAINED -> MailEvent.Delivery.Status.COMPLAINED;
      case UNSUBSCRIBED -> MailEvent.Delivery.Status.UNSUBSCRIBED;
      case REJECTED -> MailEvent.Delivery.Status.REJECTED;
      case OPENED -> MailEvent.Delivery.Status.OPENED;
      case CLICKED -> MailEvent.Delivery.Status.CLICKED;
    };
  }

  private Optional<SuppressionEntry> suppression(DeliveryEvent event) {
    AddressHash address = suppressions.hash(event.recipient());
    SuppressionEntry base;
    switch (event.type()) {
      case HARD_BOUNCE -> base = SuppressionEntry.of(address, Reason.HARD_BOUNCE, event.provider(), event.occurredAt());
      case COMPLAINED -> base = SuppressionEntry.of(address, Reason.COMPLAINT, event.provider(), event.occurredAt());
      case UNSUBSCRIBED -> {
        SuppressionEntry all = SuppressionEntry.of(address, Reason.UNSUBSCRIBE, event.provider(), event.occurredAt());
        base = event.list().filter(DeliveryFeedback::validList).map(all::forList).orElse(all);
      }
      case SOFT_BOUNCE -> {
        if (suppressions.recordSoftBounce(address, softBounceWindow) < softBounceLimit) {
          return Optional.empty();
        }
        base = SuppressionEntry.of(address, Reason.SOFT_BOUNCES, event.provider(), event.occurredAt())
            .until(event.occurredAt().plus(softBounceSuppression));
      }
      default -> {
        return Optional.empty();
      }
    }
    return Optional.of(base);
  }

  private static boolean validList(String list) {
    try {
      SuppressionEntry.checkList(list);
      return true;
    } catch (IllegalArgumentException e) {
      return false; // an odd list name from a provider: suppress all mail rather than none
    }
  }

  /** Settings for {@link DeliveryFeedback}. */
  public static final class Builder {
    private final SuppressionList suppressions;
    private int softBounceLimit = 3;
    private Duration softBounceWindow = Duration.ofDays(7);
    private Duration softBounceSuppression = Duration.ofDays(30);
    private final List<Consumer<DeliveryEvent>> listeners = new ArrayList<>();
    private @Nullable Mailer mailer;

    private Builder(SuppressionList suppressions) {
      this.suppressions = Objects.requireNonNull(suppressions, "suppressions");
    }

    /** Suppress after {@code limit} soft bounces within {@code window}; default 3 within 7 days. */
    public Builder softBounces(int limit, Duration window) {
      if (limit < 1 || window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("the soft bounce limit and window must be positive");
      }
      this.softBounceLimit = limit;
      this.softBounceWindow = window;
      return this;
    }

    /** How long soft bounces suppress an address; default 30 days. */
    public Builder softBounceSuppression(Duration duration) {
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("the soft bounce suppression must be positive");
      }
      this.softBounceSuppression = duration;
      return this;
    }

    /** Also passes every event to {@code listener} (after suppression), for example an audit or a CRM. */
    public Builder listener(Consumer<DeliveryEvent> listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Also records every event that carries a mail id in {@code mailer}
     * ({@link Mailer#recordDelivery}): its audit log ({@code mailer.audit().find(mailId)} then ends
     * in the delivery), its metrics and its listeners. Use the mailer that sent the messages (or one
     * sharing its audit log), with the same suppression list.
     */
    public Builder mailer(Mailer mailer) {
      this.mailer = Objects.requireNonNull(mailer, "mailer");
      return this;
    }

    /** The handler. */
    public DeliveryFeedback build() {
      return new DeliveryFeedback(this);
    }
  }
}
