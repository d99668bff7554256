package io.postline.mail.spring;

import java.util.Objects;

/**
 * A {@code postline.mail.*} property has a value the {@link io.postline.mail.core.Mailer} cannot
 * be built with. Start-up stops, and a failure analysis names the property and what is wrong. The
 * message never contains a secret.
 */
public class InvalidPostlinePropertyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String property;
  private final String reason;

  /**
   * Creates the exception.
   *
   * @param property the full name of the property, such as {@code postline.mail.providers.primary.dsn}
   * @param reason what is wrong with its value, without secrets
   * @param cause what the value was rejected with, if anything
   */
  public InvalidPostlinePropertyException(String property, String reason, Throwable cause) {
    super("invalid property " + property + ": " + reason, cause);
    this.property = Objects.requireNonNull(property, "property");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /**
   * Creates the exception without a cause.
   *
   * @param property the full name of the property
   * @param reason what is wrong with its value, without secrets
   */
  public InvalidPostlinePropertyException(String property, String reason) {
    super("invalid property " + property + ": " + reason);
    this.property = Objects.requireNonNull(property, "property");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The full name of the property, such as {@code postline.mail.providers.primary.dsn}. */
  public String property() {
    return property;
  }

  /** What is wrong with its value. */
  public String reason() {
    return reason;
  }
}
