package io.postline.mail.queue.redis.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/** The checks the builders share: key prefixes, hash-tag names and operation timeouts. */
public final class KeyNames {
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.:-]{0,100}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

  private KeyNames() {}

  /** A key prefix: up to 100 letters, digits, {@code _ . : -} (no braces: the name is the hash tag). */
  public static String keyPrefix(String keyPrefix) {
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    if (!PREFIX.matcher(keyPrefix).matches()) {
      throw new IllegalArgumentException("key prefix must be up to 100 letters, digits, '_', '.', ':' or '-', was '"
          + keyPrefix + "'");
    }
    return keyPrefix;
  }

  /** A name that becomes its keys' hash tag: 1 to 100 letters, digits, {@code _ . -}; {@code what} names it. */
  public static String hashTag(String what, String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " name must be 1 to 100 letters, digits, '_', '.' or '-', was '"
          + name + "'");
    }
    return name;
  }

  /** A positive operation timeout. */
  public static Duration operationTimeout(Duration operationTimeout) {
    Objects.requireNonNull(operationTimeout, "operationTimeout");
    if (operationTimeout.isNegative() || operationTimeout.isZero()) {
      throw new IllegalArgumentException("operationTimeout must be positive, was " + operationTimeout);
    }
    return operationTimeout;
  }
}
