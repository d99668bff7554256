package io.postline.samples.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Who a bearer token belongs to. Only SHA-256 hashes of tokens are configured (tokens made by
 * {@link TokenCommand} carry at least 160 random bits, so a fast unsalted hash is enough); the
 * presented token is hashed and compared with every known hash by {@link MessageDigest#isEqual},
 * without stopping at the first match, so neither the length nor the position of a match shows in
 * the time taken. A development token ({@value #DEV_PREFIX}, from {@code new-token --env dev}) is
 * accepted only where development tokens are (the {@code dev} and {@code demo} profiles): a dev
 * token's hash left in a production configuration lets no one in.
 */
final class CallerTokens {
  /** What a development token starts with. */
  static final String DEV_PREFIX = "st_dev_";
  private static final String PREFIX = "sha256:";
  private static final Pattern HASH = Pattern.compile("sha256:[0-9a-f]{64}");

  private record Entry(AuthenticatedCaller caller, byte[] digest) {}

  private final List<Entry> entries;
  private final boolean devTokens;

  private CallerTokens(List<Entry> entries, boolean devTokens) {
    this.entries = entries;
    this.devTokens = devTokens;
  }

  /**
   * The tokens of {@code callers}: each needs one hash or more ({@code sha256:} and 64 lower-case hex
   * digits), no hash shared by two callers.
   *
   * @param devTokens whether development tokens ({@value #DEV_PREFIX}) are accepted
   *
   * @throws IllegalStateException saying which caller's configuration is wrong (never the hash)
   */
  static CallerTokens of(Map<String, EmailServiceProperties.Caller> callers, String defaultFrom, boolean devTokens) {
    if (callers.isEmpty()) {
      throw new IllegalStateException("no caller is configured: run the new-token command and set the "
          + "EMAILSERVICE_CALLERS_<NAME>_TOKENHASHES (email-service.callers.<name>.token-hashes) it prints");
    }
    List<Entry> entries = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    callers.forEach((name, caller) -> {
      if (caller.getTokenHashes().isEmpty()) {
        throw new IllegalStateException("caller " + name + " has no token hash: set email-service.callers."
            + name + ".token-hashes to what the new-token command prints");
      }
      if (caller.getScopes().isEmpty()) {
        throw new IllegalStateException("caller " + name + " has no scope: set email-service.callers." + name
            + ".scopes to some of send, read, operate");
      }
      AuthenticatedCaller authenticated = AuthenticatedCaller.of(name, caller, defaultFrom);
      for (int i = 0; i < caller.getTokenHashes().size(); i++) {
        String hash = caller.getTokenHashes().get(i).strip();
        if (!HASH.matcher(hash).matches()) {
          throw new IllegalStateException("token hash " + (i + 1) + " of caller " + name + " is not sha256: and 64 "
              + "lower-case hex digits; configure the hash the new-token command prints, never the token");
        }
        if (!seen.add(hash)) {
          throw new IllegalStateException("token hash " + (i + 1) + " of caller " + name + " is also configured "
              + "for another caller or twice; every token must be unique");
        }
        entries.add(new Entry(authenticated, HexFormat.of().parseHex(hash.substring(PREFIX.length()))));
      }
    });
    return new CallerTokens(List.copyOf(entries), devTokens);
  }

  /** The caller {@code token} belongs to, if any. */
  Optional<AuthenticatedCaller> callerOf(@Nullable String token) {
    byte[] presented = sha256(token == null ? "" : token);
    AuthenticatedCaller match = null;
    for (Entry e : entries) {
      boolean equal = MessageDigest.isEqual(presented, e.digest());
      if (equal && match == null) {
        match = e.caller();
      }
    }
    return Optional.ofNullable(token == null || token.isEmpty() || refusesAsDevToken(token) ? null : match);
  }

  /** Whether {@code token} is a development token, and those are not accepted here. */
  boolean refusesAsDevToken(@Nullable String token) {
    return !devTokens && token != null && token.startsWith(DEV_PREFIX);
  }

  /** What is configured for {@code token}: {@code sha256:} and the hex of its SHA-256 digest. */
  static String hash(String token) {
    return PREFIX + HexFormat.of().formatHex(sha256(token));
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
