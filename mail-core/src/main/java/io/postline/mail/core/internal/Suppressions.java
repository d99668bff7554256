package io.postline.mail.core.internal;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.RecipientsSuppressedException;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.event.MailEvent;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's suppression check: each recipient of a message is looked up in the mailer's
 * {@link SuppressionList} (an entry for all mail, or for the list the message's
 * {@link SuppressionList#LIST_METADATA_KEY} metadata names), and the suppressed ones are left out,
 * each with a {@code Suppressed} event. Without a list ({@link #NONE}) nothing is hashed or looked
 * up. Fail-closed: a list that throws (an {@link Error} included) makes the check throw a
 * {@code TRANSIENT} {@link SendFailedException}, so no message goes out unchecked.
 */
public final class Suppressions {
  private static final Logger log = LoggerFactory.getLogger(Suppressions.class);

  /** No suppression list: every message passes as it is. */
  public static final Suppressions NONE = new Suppressions(null, null, Clock.systemUTC());

  private final @Nullable SuppressionList list;
  private final @Nullable EventPublisher events;
  private final Clock clock;

  private Suppressions(@Nullable SuppressionList list, @Nullable EventPublisher events, Clock clock) {
    this.list = list;
    this.events = events;
    this.clock = clock;
  }

  /** Checks messages against {@code list}, publishing to {@code events}; {@link #NONE} for a null list. */
  public static Suppressions of(@Nullable SuppressionList list, EventPublisher events, Clock clock) {
    return list == null ? NONE : new Suppressions(list, events, clock);
  }

  /**
   * A message after the check.
   *
   * @param email the message to send: the original without its suppressed recipients (it may have
   *     none left)
   * @param dropped the recipients left out, each {@link RecipientStatus.Status#SUPPRESSED}
   */
  record Verdict(Email email, List<RecipientStatus> dropped) {
    /** Whether every recipient was left out: nothing is to be sent. */
    boolean all() {
      return !dropped.isEmpty() && email.recipients().isEmpty();
    }

    /** The provider's result with the left-out recipients added. */
    SendResult merge(SendResult result) {
      if (dropped.isEmpty()) {
        return result;
      }
      List<RecipientStatus> all = new ArrayList<>(result.recipients().size() + dropped.size());
      all.addAll(result.recipients());
      all.addAll(dropped);
      return new SendResult(result.provider(), result.messageId(), all, result.attempts(), result.duration(),
          result.mailId());
    }

    /** The exception for a message every recipient of which was left out. */
    RecipientsSuppressedException exception(String mailId) {
      return new RecipientsSuppressedException(mailId, dropped);
    }
  }

  /**
   * Checks {@code email}, the message {@code mailId}, publishing a {@code Suppressed} event per
   * recipient left out.
   *
   * @throws SendFailedException ({@code TRANSIENT}, provider {@value RecipientsSuppressedException#PROVIDER})
   *     when the suppression list cannot answer
   */
  Verdict check(String mailId, Email email) {
    if (list == null) {
      return new Verdict(email, List.of());
    }
    String listId = email.metadata().get(SuppressionList.LIST_METADATA_KEY);
    List<RecipientStatus> dropped = null;
    List<SuppressionEntry> why = null;
    try {
      for (Address recipient : email.recipients()) {
        SuppressionEntry entry = list.find(list.hash(recipient), listId).orElse(null);
        if (entry != null) {
          if (dropped == null) {
            dropped = new ArrayList<>(2);
            why = new ArrayList<>(2);
          }
          dropped.add(RecipientStatus.suppressed(recipient, reason(entry)));
          why.add(entry);
        }
      }
    } catch (Throwable e) { // NOPMD: fail-closed; an Error from the plugin is reported and keeps the message unsent
      throw unavailable(mailId, e);
    }
    if (dropped == null) {
      return new Verdict(email, List.of());
    }
    for (SuppressionEntry entry : why) {
      events.publish(new MailEvent.Suppressed(mailId, clock.instant(), email.caller(), reason(entry), entry.list()));
    }
    List<Address> out = dropped.stream().map(RecipientStatus::address).toList();
    return new Verdict(email.withoutRecipients(out), List.copyOf(dropped));
  }

  /** Publishes the end of a message every recipient of which was left out, and makes its exception. */
  RecipientsSuppressedException droppedAll(String mailId, Email original, Verdict verdict) {
    RecipientsSuppressedException e = verdict.exception(mailId);
    events.publish(new MailEvent.Failed(mailId, clock.instant(), original.caller(), RecipientsSuppressedException.PROVIDER,
        FailureKind.RECIPIENTS_REJECTED, 0, e.getMessage()));
    return e;
  }

  /** The reason word of an entry: {@code hard_bounce}, {@code complaint}, ... */
  static String reason(SuppressionEntry entry) {
    return entry.reason().name().toLowerCase(Locale.ROOT);
  }

  private static SendFailedException unavailable(String mailId, Throwable e) {
    // The plugin's message could quote an address: its type says enough here; the cause keeps the rest.
    if (e instanceof Error) {
      log.error("The suppression list failed with {} while checking message {}; it is not sent unchecked",
          e.getClass().getName(), mailId);
    } else {
      log.warn("The suppression list failed with {} while checking message {}; it is not sent unchecked",
          e.getClass().getName(), mailId);
    }
    return new SendFailedException(FailureKind.TRANSIENT, RecipientsSuppressedException.PROVIDER,
        "not sent: the suppression list could not be checked (" + e.getClass().getName()
            + "); Postline sends no mail it could not check", null, 0, e, mailId);
  }
}
