package io.postline.mail;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One recipient of a group notification: the address and the template values for this person,
 * which are laid over the email's own template model.
 *
 * @param address where this copy goes
 * @param model template values for this recipient only
 */
public record Recipient(Address address, Map<String, Object> model) {
  /** Checks and copies the components. */
  public Recipient {
    Objects.requireNonNull(address, "address");
    model = Collections.unmodifiableMap(new LinkedHashMap<>(model));
  }

  /**
   * A recipient with no values of its own.
   *
   * @throws InvalidEmailException if the address does not parse
   */
  public static Recipient of(String address) {
    return new Recipient(Address.parse(address), Map.of());
  }

  /**
   * A recipient with its own template values.
   *
   * @throws InvalidEmailException if the address does not parse
   */
  public static Recipient of(String address, Map<String, ?> model) {
    return new Recipient(Address.parse(address), Map.copyOf(model));
  }

  /** A recipient with its own template values. */
  public static Recipient of(Address address, Map<String, ?> model) {
    return new Recipient(address, Map.copyOf(model));
  }

  /** Masks the address and leaves out the values. */
  @Override
  public String toString() {
    return "Recipient[" + address.masked() + ", keys=" + model.keySet() + "]";
  }
}
