package io.postline.mail.core.internal;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.DefaultMustacheVisitor;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheException;
import com.github.mustachejava.MustacheVisitor;
import com.github.mustachejava.TemplateContext;
import com.github.mustachejava.codes.ValueCode;
import io.postline.mail.core.RenderedTemplate;
import io.postline.mail.core.TemplateException;
import io.postline.mail.core.Templates;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** {@link Templates} on mustache.java, with compiled variants cached in Caffeine. */
public final class MustacheTemplates implements Templates {
  private static final String EXTENSION = ".mustache";

  private final Source source;
  private final boolean strict;
  private final DefaultMustacheFactory html;
  private final DefaultMustacheFactory plain;
  private final LoadingCache<String, Optional<Variant>> variants;

  /** Creates templates reading from {@code source}. */
  public MustacheTemplates(Source source, boolean strict, int cacheSize) {
    this.source = source;
    this.strict = strict;
    this.html = new Factory(source, strict, true);
    this.plain = new Factory(source, strict, false);
    this.variants = Caffeine.newBuilder().maximumSize(cacheSize).build(this::load);
  }

  @Override
  public RenderedTemplate render(String name, Locale locale, Map<String, ?> model) {
    List<String> tried = new ArrayList<>();
    for (String candidate : candidates(name, locale)) {
      tried.add(candidate);
      Optional<Variant> variant;
      try {
        variant = variants.get(candidate);
      } catch (UncheckedIOException | MustacheException e) {
        throw new TemplateException("template " + candidate + " in " + source
            + " could not be read or compiled: " + e.getMessage(), e);
      }
      if (variant.isPresent()) {
        return variant.get().render(model);
      }
    }
    throw new TemplateException("no template '" + name + "' for locale " + describe(locale)
        + " in " + source + ": looked for " + String.join(", ", tried)
        + " (files like " + name + ".subject" + EXTENSION + ", " + name + ".html" + EXTENSION
        + ", " + name + ".text" + EXTENSION + ")");
  }

  @Override
  public String toString() {
    return "MustacheTemplates[" + source + (strict ? ", strict" : ", lenient") + "]";
  }

  /** {@code welcome_de_CH}, {@code welcome_de}, {@code welcome} for locale de_CH. */
  static List<String> candidates(String name, Locale locale) {
    List<String> out = new ArrayList<>();
    String tag = locale.toString();
    while (!tag.isEmpty()) {
      out.add(name + "_" + tag);
      int cut = tag.lastIndexOf('_');
      tag = cut < 0 ? "" : tag.substring(0, cut);
    }
    out.add(name);
    return out;
  }

  private Optional<Variant> load(String variant) {
    @Nullable Mustache subject = compile(plain, variant + ".subject" + EXTENSION);
    @Nullable Mustache htmlPart = compile(html, variant + ".html" + EXTENSION);
    @Nullable Mustache textPart = compile(plain, variant + ".text" + EXTENSION);
    if (subject == null && htmlPart == null && textPart == null) {
      return Optional.empty();
    }
    if (subject == null) {
      throw new TemplateException("template " + variant + " in " + source + " has no subject part ("
          + variant + ".subject" + EXTENSION + ")");
    }
    if (htmlPart == null && textPart == null) {
      throw new TemplateException("template " + variant + " in " + source + " has a subject but no "
          + variant + ".html" + EXTENSION + " or " + variant + ".text" + EXTENSION);
    }
    int cut = variant.indexOf('_', variant.lastIndexOf('/') + 1);
    Locale locale = cut < 0 ? Locale.ROOT : parseLocale(variant.substring(cut + 1));
    return Optional.of(new Variant(variant, subject, htmlPart, textPart, locale));
  }

  private @Nullable Mustache compile(DefaultMustacheFactory factory, String path) {
    Reader reader = source.open(path);
    if (reader == null) {
      return null;
    }
    try (reader) {
      return factory.compile(reader, path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Locale parseLocale(String tag) {
    String[] parts = tag.split("_", 3);
    return switch (parts.length) {
      case 1 -> new Locale(parts[0]);
      case 2 -> new Locale(parts[0], parts[1]);
      default -> new Locale(parts[0], parts[1], parts[2]);
    };
  }

  private static String describe(Locale locale) {
    return locale.equals(Locale.ROOT) ? "(default)" : locale.toString();
  }

  private final class Variant {
    private final String name;
    private final Mustache subject;
    private final @Nullable Mustache html;
    private final @Nullable Mustache text;
    private final Locale locale;

    Variant(String name, Mustache subject, @Nullable Mustache html, @Nullable Mustache text, Locale locale) {
      this.name = name;
      this.subject = subject;
      this.html = html;
      this.text = text;
      this.locale = locale;
    }

    RenderedTemplate render(Map<String, ?> model) {
      String renderedSubject = execute(subject, "subject", model).strip();
      return new RenderedTemplate(
          renderedSubject,
          Optional.ofNullable(text).map(t -> execute(t, "text", model)),
          Optional.ofNullable(html).map(h -> execute(h, "html", model)),
          locale);
    }

    private String execute(Mustache mustache, String part, Map<String, ?> model) {
      StringWriter out = new StringWriter();
      try {
        mustache.execute(out, model).flush();
      } catch (MustacheException e) {
        MissingVariable missing = findMissing(e);
        if (missing != null) {
          throw new TemplateException("template " + name + " (" + part + " part) refers to '"
              + missing.variable + "' at " + missing.where + ", which the model does not have", e);
        }
        throw new TemplateException("template " + name + " (" + part + " part) failed to render: "
            + e.getMessage(), e);
      } catch (IOException e) {
        throw new TemplateException("template " + name + " failed to render", e);
      }
      return out.toString();
    }
  }

  private static @Nullable MissingVariable findMissing(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof MissingVariable m) {
        return m;
      }
    }
    return null;
  }

  /** Thrown inside mustache.java when a strict template meets a missing value. */
  private static final class MissingVariable extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String variable;
    final String where;

    MissingVariable(String variable, String where) {
      super("missing variable " + variable + " at " + where, null, false, false);
      this.variable = variable;
      this.where = where;
    }
  }

  /** A factory that reads partials from the source, escapes only HTML, and can be strict. */
  private static final class Factory extends DefaultMustacheFactory {
    private final boolean strict;
    private final boolean escapeHtml;

    Factory(Source source, boolean strict, boolean escapeHtml) {
      super(path -> source.open(path));
      this.strict = strict;
      this.escapeHtml = escapeHtml;
    }

    @Override
    public void encode(String value, Writer writer) {
      if (escapeHtml) {
        super.encode(value, writer);
      } else {
        try {
          writer.write(value);
        } catch (IOException e) {
          throw new MustacheException("failed to write a value", e);
        }
      }
    }

    @Override
    public MustacheVisitor createMustacheVisitor() {
      if (!strict) {
        return super.createMustacheVisitor();
      }
      return new DefaultMustacheVisitor(this) {
        @Override
        public void value(TemplateContext tc, String variable, boolean encoded) {
          list.add(new ValueCode(tc, df, variable, encoded) {
            @Override
            public Object get(List<Object> scopes) {
              Object value = super.get(scopes);
              if (value == null) {
                throw new MissingVariable(variable, tc.file() + " line " + tc.line());
              }
              return value;
            }
          });
        }
      };
    }
  }

  /** Where template files come from. */
  public abstract static class Source {
    /** Opens a file relative to the source, or returns null if it does not exist. */
    abstract @Nullable Reader open(String path);

    /** Files on the classpath under {@code prefix}. */
    public static Source classpath(String prefix, @Nullable ClassLoader loader) {
      String base = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
      String cleaned = base.startsWith("/") ? base.substring(1) : base;
      return new Source() {
        @Override
        @Nullable Reader open(String path) {
          ClassLoader cl = loader != null ? loader : MustacheTemplates.class.getClassLoader();
          InputStream in = cl.getResourceAsStream(cleaned + path);
          return in == null ? null : new InputStreamReader(in, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
          return "classpath:" + cleaned;
        }
      };
    }

    /** Files under {@code directory}; a path that would leave it is treated as missing. */
    public static Source directory(Path directory) {
      Path root = directory.toAbsolutePath().normalize();
      return new Source() {
        @Override
        @Nullable Reader open(String path) {
          Path file = root.resolve(path).normalize();
          if (!file.startsWith(root)) {
            return null;
          }
          try {
            return Files.newBufferedReader(file, StandardCharsets.UTF_8);
          } catch (NoSuchFileException e) {
            return null;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }

        @Override
        public String toString() {
          return "directory " + root;
        }
      };
    }
  }
}
