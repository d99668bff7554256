package io.postline.mail.smtp.internal;

import io.postline.mail.Email;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Tags and metadata as headers, for SMTP, which has no place of its own for them:
 * {@code X-Postline-Tags: welcome, onboarding} (a {@code ,} or {@code %} inside a tag written as
 * {@code %2C} or {@code %25}) and {@code X-Postline-Meta-userId: 42}.
 */
public final class TagHeaders {
  /** The header that carries the tags. */
  public static final String TAGS = "X-Postline-Tags";
  /** What each metadata header's name starts with. */
  public static final String META_PREFIX = "X-Postline-Meta-";

  private TagHeaders() {}

  /**
   * The email with its tags and metadata added as headers.
   *
   * @throws io.postline.mail.InvalidEmailException if a header would clash with one the email
   *     sets itself, or a metadata key is too long for a header name
   */
  public static Email apply(Email email) {
    if (email.tags().isEmpty() && email.metadata().isEmpty()) {
      return email;
    }
    Email.Builder b = email.toBuilder();
    if (!email.tags().isEmpty()) {
      b.header(TAGS, email.tags().stream().map(TagHeaders::escape).collect(Collectors.joining(", ")));
    }
    for (Map.Entry<String, String> e : email.metadata().entrySet()) {
      b.header(META_PREFIX + e.getKey(), e.getValue());
    }
    return b.build();
  }

  private static String escape(String tag) {
    return tag.replace("%", "%25").replace(",", "%2C");
  }
}
