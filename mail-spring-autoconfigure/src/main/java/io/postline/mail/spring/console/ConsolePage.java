package io.postline.mail.spring.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The console's page: {@code console.html} with {@code console.css} and {@code console.js} (shipped
 * in this jar) inline, under a Content-Security-Policy that runs that one script (by its hash),
 * connects to this origin only and loads nothing else from anywhere. The operator's tokens go into
 * {@code <meta>} elements the script reads.
 */
final class ConsolePage {
  private static final String BASE = "/io/postline/mail/spring/console/";
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(\\w+)}}");

  private final String html;
  private final String css;
  private final String script;
  private final String policy;

  private ConsolePage(String html, String css, String script) {
    this.html = html;
    this.css = css;
    this.script = script;
    this.policy = "default-src 'none'; script-src 'sha256-" + sha256(script) + "'; style-src 'unsafe-inline';"
        + " connect-src 'self'; img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'none'";
  }

  /** Reads the page's parts from the classpath. */
  static ConsolePage load() {
    return new ConsolePage(resource("console.html"), resource("console.css"), resource("console.js"));
  }

  /** The page for {@code user}, with the tokens its actions send. */
  String render(String user, String consoleToken, @Nullable String csrfHeader, @Nullable String csrfToken,
      long refreshMillis) {
    Map<String, String> values = Map.of(
        "policy", escape(policy),
        "user", escape(user),
        "consoleToken", escape(consoleToken),
        "csrfHeader", escape(csrfHeader == null ? "" : csrfHeader),
        "csrfToken", escape(csrfToken == null ? "" : csrfToken),
        "refresh", Long.toString(Math.max(500, refreshMillis)),
        "style", css,
        "script", script);
    // One pass over the template: a value is never scanned for placeholders itself.
    Matcher m = PLACEHOLDER.matcher(html);
    StringBuilder out = new StringBuilder(html.length() + css.length() + script.length() + 512);
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalStateException("console.html names an unknown placeholder " + m.group(1));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A page that says why the console is refused. */
  static String refusal(String reason) {
    return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Postline console</title></head>"
        + "<body><h1>Postline console</h1><p id=\"refused\">" + escape(reason) + "</p></body></html>";
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static String resource(String name) {
    try (InputStream in = ConsolePage.class.getResourceAsStream(BASE + name)) {
      if (in == null) {
        throw new IllegalStateException("the console's " + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console's " + name, e);
    }
  }

  private static String sha256(String text) {
    try {
      return Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
