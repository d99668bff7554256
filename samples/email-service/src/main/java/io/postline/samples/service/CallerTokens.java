package io.postline.samples.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Who a bearer token belongs to. Tokens are kept only as SHA-256 digests and compared in constant
 * time: the presented token is hashed and compared with every known digest by
 * {@link MessageDigest#isEqual}, without stopping at the first match, so neither the length nor
 * the position of a match shows in the time taken.
 */
final class CallerTokens {
  static final int MIN_TOKEN_LENGTH = 32;

  private record Entry(String caller, byte[] digest) {}

  private final List<Entry> entries;

  private CallerTokens(List<Entry> entries) {
    this.entries = entries;
  }

  /**
   * The tokens of {@code callers}: each needs a primary token and may have a secondary one, both
   * at least {@value #MIN_TOKEN_LENGTH} characters, no token shared by two entries.
   *
   * @throws IllegalStateException saying which caller's configuration is wrong (never the token)
   */
  static CallerTokens of(Map<String, EmailServiceProperties.Caller> callers) {
    if (callers.isEmpty()) {
      throw new IllegalStateException("no caller is configured: set EMAILSERVICE_CALLERS_<NAME>_PRIMARYTOKEN "
          + "(email-service.callers.<name>.primary-token) to a random token of at least " + MIN_TOKEN_LENGTH
          + " characters");
    }
    List<Entry> entries = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    callers.forEach((name, caller) -> {
      String primary = caller.getPrimaryToken();
      if (primary == null) {
        throw new IllegalStateException("caller " + name + " has no primary token: set email-service.callers."
            + name + ".primary-token");
      }
      add(entries, seen, name, "primary-token", primary);
      if (caller.getSecondaryToken() != null && !caller.getSecondaryToken().isBlank()) {
        add(entries, seen, name, "secondary-token", caller.getSecondaryToken());
      }
    });
    return new CallerTokens(List.copyOf(entries));
  }

  private static void add(List<Entry> entries, Set<String> seen, String caller, String which, String token) {
    if (token.strip().length() < MIN_TOKEN_LENGTH) {
      throw new IllegalStateException("the " + which + " of caller " + caller + " is shorter than "
          + MIN_TOKEN_LENGTH + " characters; use a long random token");
    }
    if (!seen.add(token.strip())) {
      throw new IllegalStateException("the " + which + " of caller " + caller + " is also used by another "
          + "caller or token; every token must be unique");
    }
    entries.add(new Entry(caller, sha256(token.strip())));
  }

  /** The caller {@code token} belongs to, if any. */
  Optional<String> callerOf(@Nullable String token) {
    byte[] presented = sha256(token == null ? "" : token);
    String match = null;
    for (Entry e : entries) {
      boolean equal = MessageDigest.isEqual(presented, e.digest());
      if (equal && match == null) {
        match = e.caller();
      }
    }
    return Optional.ofNullable(token == null || token.isEmpty() ? null : match);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
