package io.postline.mail.core;

import io.postline.mail.Address;
import io.postline.mail.MailException;
import io.postline.mail.SendResult;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of a group notification: one {@link Item} per recipient, in the order given.
 *
 * @param items one per recipient
 */
public record BatchResult(List<Item> items) {

  /** Copies the items. */
  public BatchResult {
    items = List.copyOf(items);
  }

  /** The items whose message a provider accepted. */
  public List<Item> sent() {
    return items.stream().filter(Item::isSent).toList();
  }

  /** The items whose message failed. */
  public List<Item> failed() {
    return items.stream().filter(i -> !i.isSent()).toList();
  }

  /** Whether every recipient's message was accepted. */
  public boolean allSent() {
    return items.stream().allMatch(Item::isSent);
  }

  /**
   * One recipient's outcome.
   *
   * @param recipient the recipient
   * @param result what the provider said, when it accepted the message
   * @param failure why it failed, otherwise
   */
  public record Item(Address recipient, Optional<SendResult> result, Optional<MailException> failure) {
    /** Checks that exactly one of result and failure is present. */
    public Item {
      Objects.requireNonNull(recipient, "recipient");
      if (result.isPresent() == failure.isPresent()) {
        throw new IllegalArgumentException("an item has either a result or a failure");
      }
    }

    /** A recipient whose message was accepted. */
    public static Item sent(Address recipient, SendResult result) {
      return new Item(recipient, Optional.of(result), Optional.empty());
    }

    /** A recipient whose message failed. */
    public static Item failed(Address recipient, MailException failure) {
      return new Item(recipient, Optional.empty(), Optional.of(failure));
    }

    /** Whether a provider accepted this recipient's message. */
    public boolean isSent() {
      return result.isPresent();
    }

    /** Masks the address. */
    @Override
    public String toString() {
      @Nullable MailException f = failure.orElse(null);
      return "Item[" + recipient.masked() + ", "
          + (f == null ? "sent" : "failed: " + f.getClass().getSimpleName()) + "]";
    }
  }
}
