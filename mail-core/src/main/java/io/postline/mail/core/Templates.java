package io.postline.mail.core;

import io.postline.mail.core.internal.MustacheTemplates;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Renders named templates into a subject and bodies, with
 * <a href="https://mustache.github.io/mustache.5.html">Mustache</a>.
 *
 * <p><b>File naming.</b> A template {@code welcome} is up to three files beside each other:
 * {@code welcome.subject.mustache} (required), {@code welcome.html.mustache} and
 * {@code welcome.text.mustache} (at least one of them). A localized variant adds the locale:
 * {@code welcome_de.subject.mustache}, {@code welcome_de_CH.html.mustache}.
 *
 * <p><b>Locale fallback.</b> For {@code de_CH} the variants {@code welcome_de_CH},
 * {@code welcome_de} and {@code welcome} are tried in that order; the first variant that has any
 * file is used whole, so one message never mixes languages.
 *
 * <p><b>Escaping.</b> Values are HTML-escaped in the HTML part ({@code {{name}}}; use
 * {@code {{{name}}}} for trusted markup) and written as they are in the subject and text part.
 *
 * <p><b>Strictness.</b> By default a variable the model lacks is a {@link TemplateException};
 * {@link TemplatesBuilder#strict(boolean) strict(false)} renders it as empty, as plain Mustache
 * does. Sections ({@code {{#items}}}) over a missing name render nothing in either mode.
 *
 * <p>Compiled templates are cached; implementations are thread-safe.
 */
public interface Templates {

  /**
   * Renders a template.
   *
   * @param name the template's name, such as {@code welcome} or {@code billing/invoice}
   * @param locale the wanted locale; {@link Locale#ROOT} for the default variant
   * @param model the values the template refers to
   * @throws TemplateException if the template is missing or incomplete, or a variable is missing
   *     in strict mode
   */
  RenderedTemplate render(String name, Locale locale, Map<String, ?> model);

  /** Strict templates from the classpath under {@code prefix}, such as {@code "mail/"}. */
  static Templates classpath(String prefix) {
    return builder().classpath(prefix).build();
  }

  /** Strict templates from files in {@code directory}. */
  static Templates directory(Path directory) {
    return builder().directory(directory).build();
  }

  /** Configures templates: where they come from, strictness, cache size. */
  static TemplatesBuilder builder() {
    return new TemplatesBuilder();
  }

  /** Builds {@link Templates}. */
  final class TemplatesBuilder {
    private MustacheTemplates.Source source = MustacheTemplates.Source.classpath("mail/", null);
    private boolean strict = true;
    private int cacheSize = 500;

    private TemplatesBuilder() {}

    /** Templates from the classpath under {@code prefix}, loaded with this class's class loader. */
    public TemplatesBuilder classpath(String prefix) {
      return classpath(prefix, Templates.class.getClassLoader());
    }

    /** Templates from the classpath under {@code prefix}, loaded with {@code loader}. */
    public TemplatesBuilder classpath(String prefix, ClassLoader loader) {
      Objects.requireNonNull(prefix, "prefix");
      Objects.requireNonNull(loader, "loader");
      this.source = MustacheTemplates.Source.classpath(prefix, loader);
      return this;
    }

    /** Templates from files under {@code directory}; names cannot leave it. */
    public TemplatesBuilder directory(Path directory) {
      Objects.requireNonNull(directory, "directory");
      this.source = MustacheTemplates.Source.directory(directory);
      return this;
    }

    /** Whether a missing variable is an error (the default) or renders as empty. */
    public TemplatesBuilder strict(boolean strict) {
      this.strict = strict;
      return this;
    }

    /** How many compiled template variants to keep; at least 1, default 500. */
    public TemplatesBuilder cacheSize(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("cacheSize must be at least 1, was " + size);
      }
      this.cacheSize = size;
      return this;
    }

    /** Builds the templates. */
    public Templates build() {
      return new MustacheTemplates(source, strict, cacheSize);
    }
  }
}
