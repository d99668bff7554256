package io.postline.mail.core;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A rendered template: a subject and at least one body.
 *
 * @param subject the rendered subject, on one line
 * @param text the plain-text body, if the template has one
 * @param html the HTML body, if the template has one
 * @param locale the locale of the variant that was used ({@link Locale#ROOT} for the default)
 */
public record RenderedTemplate(String subject, Optional<String> text, Optional<String> html, Locale locale) {
  /** Checks the components. */
  public RenderedTemplate {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(html, "html");
    Objects.requireNonNull(locale, "locale");
    if (text.isEmpty() && html.isEmpty()) {
      throw new IllegalArgumentException("a rendered template needs a text or an html body");
    }
  }

  /** Leaves out the rendered content. */
  @Override
  public String toString() {
    return "RenderedTemplate[locale=" + locale + ", text=" + text.isPresent() + ", html=" + html.isPresent() + "]";
  }
}
