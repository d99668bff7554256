package io.postline.mail.spring.console;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.io.support.ResourcePatternResolver;

/**
 * The templates under {@code postline.mail.templates.location}, with the locales each has, found
 * by their subject files ({@code welcome_de.subject.mustache}): what the preview offers to pick.
 * Listing is best effort (a custom {@code Templates} bean may render names it cannot see); the
 * preview renders any name typed.
 */
final class TemplateCatalog {
  private static final String SUFFIX = ".subject.mustache";
  private static final Pattern VARIANT = Pattern.compile("(.+?)(?:_([a-z]{2})(?:_([A-Z]{2}|[0-9]{3}))?)?");
  private static final Set<String> LANGUAGES = Set.of(Locale.getISOLanguages());

  private final ResourcePatternResolver resolver;
  private final String pattern;
  private final String base;

  TemplateCatalog(String location, ClassLoader classLoader) {
    this.resolver = new PathMatchingResourcePatternResolver(classLoader);
    String l = location.strip();
    if (l.startsWith("file:")) {
      String dir = l.substring("file:".length());
      Path root = Path.of(dir.startsWith("//") ? dir.substring(2) : dir).toAbsolutePath().normalize();
      this.base = root.toUri().toString();
      this.pattern = base + "**/*" + SUFFIX;
    } else {
      String prefix = l.startsWith("classpath:") ? l.substring("classpath:".length()) : l;
      while (prefix.startsWith("/")) {
        prefix = prefix.substring(1);
      }
      if (!prefix.isEmpty() && !prefix.endsWith("/")) {
        prefix = prefix + "/";
      }
      this.base = "/" + prefix;
      this.pattern = "classpath*:" + prefix + "**/*" + SUFFIX;
    }
  }

  /** Template names, sorted, each with its locales (the empty string for the default variant). */
  Map<String, List<String>> list() {
    Map<String, Set<String>> found = new TreeMap<>();
    Resource[] resources;
    try {
      resources = resolver.getResources(pattern);
    } catch (IOException e) {
      return Map.of();
    }
    for (Resource r : resources) {
      String url;
      try {
        url = r.getURL().toString();
      } catch (IOException e) {
        continue;
      }
      int at = url.lastIndexOf(base);
      if (at < 0 || !url.endsWith(SUFFIX)) {
        continue;
      }
      String variant = url.substring(at + base.length(), url.length() - SUFFIX.length());
      Matcher m = VARIANT.matcher(variant);
      if (m.matches() && m.group(2) != null && LANGUAGES.contains(m.group(2))) {
        String locale = m.group(3) == null ? m.group(2) : m.group(2) + "_" + m.group(3);
        found.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(locale);
      } else {
        found.computeIfAbsent(variant, k -> new TreeSet<>()).add("");
      }
    }
    Map<String, List<String>> out = new TreeMap<>();
    found.forEach((name, locales) -> out.put(name, new ArrayList<>(locales)));
    return out;
  }
}
