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
 * ({@link #caller()}). Events never carry bodies, subjects, addresses or secrets, so they can be
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

  private static void check(String mailId, Instant timestamp, Optional<String> caller) {
    Objects.requireNonNull(mailId, "mailId");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(caller, "caller");
  }
}
