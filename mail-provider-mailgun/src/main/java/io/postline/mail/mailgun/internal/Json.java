package io.postline.mail.mailgun.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The little JSON Mailgun needs without a JSON library: writing string maps (for
 * {@code recipient-variables}) and reading the top-level string members of an answer such as
 * {@code {"id": "...", "message": "Queued. Thank you."}}.
 */
public final class Json {
  private Json() {}

  /** A JSON string literal. */
  public static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** A JSON object of string members, in the map's order. */
  public static String object(Map<String, String> members) {
    StringBuilder out = new StringBuilder("{");
    for (Map.Entry<String, String> e : members.entrySet()) {
      if (out.length() > 1) {
        out.append(',');
      }
      out.append(quote(e.getKey())).append(':').append(quote(e.getValue()));
    }
    return out.append('}').toString();
  }

  /**
   * The top-level members of a JSON object whose values are strings, numbers, booleans or null
   * (as text); nested values are skipped. Empty when the text is not a JSON object.
   */
  public static Map<String, String> topLevelStrings(@Nullable String json) {
    Map<String, String> out = new LinkedHashMap<>();
    if (json == null) {
      return out;
    }
    Reader r = new Reader(json);
    try {
      r.skipSpace();
      if (!r.take('{')) {
        return out;
      }
      r.skipSpace();
      if (r.take('}')) {
        return out;
      }
      do {
        r.skipSpace();
        String key = r.string();
        r.skipSpace();
        r.expect(':');
        r.skipSpace();
        String value = r.value();
        if (value != null) {
          out.put(key, value);
        }
        r.skipSpace();
      } while (r.take(','));
      return out;
    } catch (IllegalStateException e) {
      return new LinkedHashMap<>();
    }
  }

  private static final class Reader {
    private final String s;
    private int i;

    Reader(String s) {
      this.s = s;
    }

    void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    boolean take(char c) {
      if (i < s.length() && s.charAt(i) == c) {
        i++;
        return true;
      }
      return false;
    }

    void expect(char c) {
      if (!take(c)) {
        throw new IllegalStateException("expected " + c);
      }
    }

    String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == '"') {
          return out.toString();
        }
        if (c == '\\') {
          if (i >= s.length()) {
            break;
          }
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'u' -> {
              if (i + 4 > s.length()) {
                throw new IllegalStateException("bad escape");
              }
              out.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> out.append(e);
          }
        } else {
          out.append(c);
        }
      }
      throw new IllegalStateException("unterminated string");
    }

    /** A scalar as text, or null after skipping an object or array. */
    @Nullable String value() {
      if (i >= s.length()) {
        throw new IllegalStateException("missing value");
      }
      char c = s.charAt(i);
      if (c == '"') {
        return string();
      }
      if (c == '{' || c == '[') {
        skipNested();
        return null;
      }
      int start = i;
      while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) {
        i++;
      }
      return s.substring(start, i);
    }

    private void skipNested() {
      int depth = 0;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '"') {
          string();
          continue;
        }
        i++;
        if (c == '{' || c == '[') {
          depth++;
        } else if (c == '}' || c == ']') {
          depth--;
          if (depth == 0) {
            return;
          }
        }
      }
      throw new IllegalStateException("unterminated value");
    }
  }
}
