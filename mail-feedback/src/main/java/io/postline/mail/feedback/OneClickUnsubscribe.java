package io.postline.mail.feedback;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.core.AddressHash;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.core.SuppressionList;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * RFC 8058 one-click unsubscribe: {@link #apply(Email, String)} adds {@code List-Unsubscribe}
 * (an HTTPS URL, and optionally a mailto) and {@code List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click} to a message for one recipient on one list, and {@link
 * #unsubscribe(String, String)} turns the POST a mailbox provider sends to that URL into a
 * suppression entry for that list.
 *
 * <p>The URL carries a token {@code keyId.list.addressHash.mac}: the recipient's keyed hash from
 * the suppression list (never the address), the list, and an HMAC-SHA256 over both under the
 * signing key named by {@code keyId}. Keys rotate: sign with a new key and keep the old ones as
 * {@link Builder#acceptedKey accepted} until mail signed with them no longer matters.
 *
 * <p>Only mail the recipient may unsubscribe from gets these headers: transactional mail (receipts,
 * password resets) is simply not passed to {@code apply}.
 */
public final class OneClickUnsubscribe {
  /** The header naming where to unsubscribe. */
  public static final String LIST_UNSUBSCRIBE = "List-Unsubscribe";
  /** The RFC 8058 header asking for a one-click POST. */
  public static final String LIST_UNSUBSCRIBE_POST = "List-Unsubscribe-Post";
  /** The only value of {@link #LIST_UNSUBSCRIBE_POST}, and the body of the POST. */
  public static final String ONE_CLICK = "List-Unsubscribe=One-Click";

  private static final String NAME = "one-click";
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  private static final Pattern TOKEN = Pattern.compile(
      "([A-Za-z0-9_-]{1,32})\\.([A-Za-z0-9_-]{1,64})\\.([0-9a-f]{64})\\.([A-Za-z0-9_-]{43})");

  private final SuppressionList suppressions;
  private final URI endpoint;
  private final @Nullable Address mailto;
  private final String signingKeyId;
  private final Map<String, SecretKeySpec> keys;
  private final Clock clock;

  private OneClickUnsubscribe(Builder b) {
    this.suppressions = b.suppressions;
    this.endpoint = b.endpoint;
    this.mailto = b.mailto;
    this.signingKeyId = Objects.requireNonNull(b.signingKeyId, "a signing key is required");
    this.keys = Map.copyOf(b.keys);
    this.clock = b.clock;
  }

  /**
   * A builder for unsubscribes recorded in {@code suppressions}, with URLs under {@code endpoint}
   * (HTTPS, where the application routes the POST to {@link #unsubscribe}).
   */
  public static Builder builder(SuppressionList suppressions, URI endpoint) {
    return new Builder(suppressions, endpoint);
  }

  /**
   * {@code email} with the one-click headers for its single recipient on {@code list}, and the
   * list in its metadata (so suppressions for the list apply to it, and webhooks report it).
   *
   * @throws IllegalArgumentException if the email has other than exactly one recipient (a token
   *     is per recipient), or {@code list} is not a list id
   */
  public Email apply(Email email, String list) {
    SuppressionEntry.checkList(list);
    if (email.recipients().size() != 1) {
      throw new IllegalArgumentException("one-click unsubscribe needs an email with exactly one recipient");
    }
    String token = token(email.recipients().get(0), list);
    String separator = endpoint.getRawQuery() == null ? "?" : "&";
    StringBuilder value = new StringBuilder("<").append(endpoint).append(separator).append("t=").append(token).append('>');
    if (mailto != null) {
      value.append(", <mailto:").append(mailto.asciiEmail()).append("?subject=")
          .append(URLEncoder.encode("unsubscribe " + token, StandardCharsets.UTF_8).replace("+", "%20")).append('>');
    }
    return email.toBuilder()
        .header(LIST_UNSUBSCRIBE, value.toString())
        .header(LIST_UNSUBSCRIBE_POST, ONE_CLICK)
        .metadata(SuppressionList.LIST_METADATA_KEY, list)
        .build();
  }

  /** The token for {@code recipient} on {@code list}, signed with the current key. */
  public String token(Address recipient, String list) {
    SuppressionEntry.checkList(list);
    AddressHash hash = suppressions.hash(recipient);
    return signingKeyId + "." + list + "." + hash.hex() + "." + mac(keys.get(signingKeyId), signingKeyId, list, hash.hex());
  }

  /**
   * Records the unsubscribe a one-click POST asks for: {@code token} is the URL's {@code t}
   * parameter, {@code body} the form body the mail client sent.
   *
   * @return the suppression entry added (source {@code one-click}, reason unsubscribe, for the list)
   * @throws WebhookRejectedException if the body is not {@value #ONE_CLICK} or the token is not one
   *     this application signed with a key it still accepts; nothing is recorded then
   */
  public SuppressionEntry unsubscribe(String token, String body) {
    if (!oneClickBody(body)) {
      throw new WebhookRejectedException(NAME, WebhookRejectedException.Reason.MALFORMED,
          "the body is not " + ONE_CLICK);
    }
    var m = TOKEN.matcher(token);
    if (!m.matches()) {
      throw new WebhookRejectedException(NAME, WebhookRejectedException.Reason.MALFORMED, "the token is not well formed");
    }
    SecretKeySpec key = keys.get(m.group(1));
    byte[] given;
    try {
      given = Base64.getUrlDecoder().decode(m.group(4));
    } catch (IllegalArgumentException e) {
      given = new byte[0];
    }
    if (key == null || !MessageDigest.isEqual(
        Base64.getUrlDecoder().decode(mac(key, m.group(1), m.group(2), m.group(3))), given)) {
      throw new WebhookRejectedException(NAME, WebhookRejectedException.Reason.BAD_SIGNATURE,
          "the token was not signed with an accepted key");
    }
    SuppressionEntry entry = SuppressionEntry.of(new AddressHash(m.group(3)), Reason.UNSUBSCRIBE, NAME, clock.instant())
        .forList(m.group(2));
    suppressions.add(entry);
    return entry;
  }

  /** Whether a form body holds {@code List-Unsubscribe=One-Click}, as RFC 8058 requires. */
  private static boolean oneClickBody(String body) {
    if (body.length() > 4096) {
      return false;
    }
    for (String pair : body.split("&")) {
      try {
        if (URLDecoder.decode(pair, StandardCharsets.UTF_8).trim().equals(ONE_CLICK)) {
          return true;
        }
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    return false;
  }

  private static String mac(SecretKeySpec key, String keyId, String list, String hash) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      // Domain-separated, and the fields cannot run into each other ('\n' is in none of them).
      byte[] digest = mac.doFinal(("postline-unsubscribe-v1\n" + keyId + "\n" + list + "\n" + hash)
          .getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** Settings for {@link OneClickUnsubscribe}. */
  public static final class Builder {
    private final SuppressionList suppressions;
    private final URI endpoint;
    private @Nullable Address mailto;
    private @Nullable String signingKeyId;
    private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();

    private Builder(SuppressionList suppressions, URI endpoint) {
      this.suppressions = Objects.requireNonNull(suppressions, "suppressions");
      if (!"https".equals(endpoint.getScheme()) || endpoint.getHost() == null || endpoint.getRawFragment() != null) {
        throw new IllegalArgumentException("the unsubscribe endpoint must be an https URL without a fragment");
      }
      this.endpoint = endpoint;
    }

    /** The key new tokens are signed with (at least 32 bytes), named {@code keyId}; it is also accepted. */
    public Builder signingKey(String keyId, byte[] key) {
      acceptedKey(keyId, key);
      this.signingKeyId = keyId;
      return this;
    }

    /** A key whose tokens are still accepted (an older one, during rotation). */
    public Builder acceptedKey(String keyId, byte[] key) {
      if (!KEY_ID.matcher(keyId).matches()) {
        throw new IllegalArgumentException("a key id is 1 to 32 letters, digits, '_' or '-'");
      }
      if (key.length < 32) {
        throw new IllegalArgumentException("an unsubscribe key must be at least 32 bytes");
      }
      keys.put(keyId, new SecretKeySpec(key.clone(), "HmacSHA256"));
      return this;
    }

    /** Also offers unsubscribing by mail to {@code address} (the token in the subject). */
    public Builder mailto(Address address) {
      this.mailto = Objects.requireNonNull(address, "address");
      return this;
    }

    /** The clock for entries' times; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The unsubscriber. */
    public OneClickUnsubscribe build() {
      return new OneClickUnsubscribe(this);
    }
  }
}
