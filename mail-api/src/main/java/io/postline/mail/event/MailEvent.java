package io.postline.mail.event;

import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One step in the life of a message. Every event names the message by the id its
 * {@code Mailer} gave it ({@link #mailId()}), says when it happened and who asked for the message
 * ({@link #caller()}). A message's events run from {@link Queued} (queued mail) or {@link Sending}
 * to one of {@link Sent}, {@link Failed} or {@link DeadLettered}; after {@link Sent}, the
 * provider's later reports arrive as {@link Delivery} events. Events never carry bodies, subjects, addresses or secrets, so they can be
 * logged and stored as they are.
 */
public sealed interface MailEvent {

  /** The id the {@code Mailer} gave the message (the receipt id of a queued message). */
  String mailId();

  /** When this happened. */
  Instant timestamp();

  /** Who asked for the message, if the email named a caller. */
  Optional<String> caller();

  /** The event's short name, such as {@code sent}, for logs and metrics. */
  default String type() {
    String simple = getClass().getSimpleName();
    StringBuilder s = new StringBuilder(simple.length() + 4);
    for (int i = 0; i < simple.length(); i++) {
      char c = simple.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        s.append('_');
      }
      s.append(Character.toLowerCase(c));
    }
    return s.toString();
  }

  /** The message was taken into a queue. */
  record Queued(String mailId, Instant timestamp, Optional<String> caller, Priority priority,
      Optional<Instant> sendAt) implements MailEvent {
    /** Checks the components. */
    public Queued {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(priority, "priority");
      Objects.requireNonNull(sendAt, "sendAt");
    }
  }

  /** An attempt to hand the message to a provider starts. */
  record Sending(String mailId, Instant timestamp, Optional<String> caller, String provider,
      int attempt) implements MailEvent {
    /** Checks the components. */
    public Sending {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(provider, "provider");
    }
  }

  /** One attempt failed; what follows depends on {@code kind}. */
  record AttemptFailed(String mailId, Instant timestamp, Optional<String> caller, String provider,
      int attempt, FailureKind kind, String reason) implements MailEvent {
    /** Checks the components. */
    public AttemptFailed {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** The message will be tried again after {@code delay}. */
  record RetryScheduled(String mailId, Instant timestamp, Optional<String> caller, String provider,
      int nextAttempt, Duration delay) implements MailEvent {
    /** Checks the components. */
    public RetryScheduled {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(delay, "delay");
    }
  }

  /** The message moves from one provider to the next, for {@code reason}. */
  record FailedOver(String mailId, Instant timestamp, Optional<String> caller, String fromProvider,
      String toProvider, String reason) implements MailEvent {
    /** Checks the components. */
    public FailedOver {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(fromProvider, "fromProvider");
      Objects.requireNonNull(toProvider, "toProvider");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** A provider accepted the message. */
  record Sent(String mailId, Instant timestamp, Optional<String> caller, String provider,
      String providerMessageId, int attempts, Duration duration) implements MailEvent {
    /** Checks the components. */
    public Sent {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(providerMessageId, "providerMessageId");
      Objects.requireNonNull(duration, "duration");
    }
  }

  /** The send ended without any provider accepting the message. */
  record Failed(String mailId, Instant timestamp, Optional<String> caller, String provider,
      FailureKind kind, int attempts, String reason) implements MailEvent {
    /** Checks the components. */
    public Failed {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** A queued message was moved to the dead letters, for {@code reason}. */
  record DeadLettered(String mailId, Instant timestamp, Optional<String> caller, FailureKind kind,
      int attempts, String reason) implements MailEvent {
    /** Checks the components. */
    public DeadLettered {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A message was dropped because one with the same idempotency key was submitted within the
   * window; {@code originalMailId} is the first one's id.
   */
  record DuplicateDropped(String mailId, Instant timestamp, Optional<String> caller,
      String originalMailId) implements MailEvent {
    /** Checks the components. */
    public DuplicateDropped {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(originalMailId, "originalMailId");
    }
  }

  /**
   * One recipient was left out of the message because the {@code Mailer}'s suppression list names
   * the address. The message goes on to its other recipients; when none is left, it ends in
   * {@link Failed} from provider {@code suppression-list} with kind
   * {@link FailureKind#RECIPIENTS_REJECTED}, and no provider is called.
   *
   * @param reason why the address is suppressed: {@code hard_bounce}, {@code soft_bounces},
   *     {@code complaint}, {@code unsubscribe} or {@code manual}
   * @param list the mailing list the entry applies to; empty for an entry on all mail
   */
  record Suppressed(String mailId, Instant timestamp, Optional<String> caller, String reason,
      Optional<String> list) implements MailEvent {
    /** Checks the components. */
    public Suppressed {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(list, "list");
    }
  }

  /**
   * What a provider later reported about the message for one of its recipients (a verified
   * webhook: delivered, bounced, complained, ...). It follows {@link Sent}: a message's story ends
   * in its delivery, not in the provider's acceptance.
   *
   * @param timestamp when the provider says it happened
   * @param provider the provider that reported it
   * @param status what happened
   * @param smtpStatus the SMTP status (an enhanced code such as {@code 5.1.1}, or the reply code),
   *     when reported
   */
  record Delivery(String mailId, Instant timestamp, Optional<String> caller, String provider, Status status,
      Optional<String> smtpStatus) implements MailEvent {

    /** What the provider reported for one recipient. */
    public enum Status {
      /** The receiving server accepted the message. */
      DELIVERED,
      /** Delivery was delayed; the provider is still trying. */
      DEFERRED,
      /** A permanent failure: the address does not take mail. */
      BOUNCED,
      /** A temporary failure the provider gave up on. */
      SOFT_BOUNCED,
      /** The recipient marked the message as spam. */
      COMPLAINED,
      /** The recipient unsubscribed. */
      UNSUBSCRIBED,
      /** The provider refused or dropped the message before sending it. */
      REJECTED,
      /** The recipient opened the message. */
      OPENED,
      /** The recipient clicked a tracked link. */
      CLICKED
    }

    /** Checks the components. */
    public Delivery {
      check(mailId, timestamp, caller);
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(smtpStatus, "smtpStatus");
    }
  }

  private static void check(String mailId, Instant timestamp, Optional<String> caller) {
    Objects.requireNonNull(mailId, "mailId");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(caller, "caller");
  }
}
