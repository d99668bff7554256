package io.postline.mail.core;

import io.postline.mail.Address;
import io.postline.mail.core.internal.InMemorySuppressionList;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Addresses Postline must not send to, stored as keyed hashes ({@link AddressHash}) with a reason,
 * a source, a time and an optional expiry. An entry applies to all mail to the address, or to one
 * mailing list only (a message's list is its {@link #LIST_METADATA_KEY} metadata).
 *
 * <p>A mailer given one with {@link MailerBuilder#suppressionList} enforces it (see there): a
 * suppressed recipient is dropped before any provider sees the message. Fed by mail-feedback's
 * {@code DeliveryFeedback} (bounces, complaints, unsubscribes) and {@code OneClickUnsubscribe};
 * listed, added to, removed from and counted through the instance itself. Implementation: {@link #inMemory(AddressHasher, Clock)} for one JVM.
 * Implementations are thread-safe.
 */
public interface SuppressionList {
  /** The metadata key naming the mailing list a message belongs to. */
  String LIST_METADATA_KEY = "postline_list";

  /** A suppression list held in this JVM's memory. */
  static SuppressionList inMemory(AddressHasher hasher, Clock clock) {
    return new InMemorySuppressionList(hasher, clock);
  }

  /** The keyed hash under which this list stores {@code address}. */
  AddressHash hash(Address address);

  /** Adds {@code entry}, replacing an entry for the same address and list. */
  void add(SuppressionEntry entry);

  /**
   * The entry that stops mail to {@code address} on {@code list} (null: mail on no list) now: one
   * for all mail, else one for that list. Expired entries do not count.
   */
  Optional<SuppressionEntry> find(AddressHash address, @Nullable String list);

  /** Removes every entry for {@code address} (all lists) and its soft-bounce count; how many entries went. */
  int remove(AddressHash address);

  /**
   * Counts one soft bounce for {@code address}; the count so far, counting from the first bounce
   * of a {@code window} that starts at it (a later bounce after the window starts a new count).
   */
  int recordSoftBounce(AddressHash address, Duration window);

  /** The entries that apply now. */
  List<SuppressionEntry> list();

  /** How many entries apply now. */
  long count();
}
