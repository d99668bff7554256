package io.postline.mail;

/** Character checks shared by the values' validation. */
final class Texts {
  private Texts() {}

  /** CR, LF and the Unicode line separators a lenient parser might turn into a line break. */
  static boolean hasLineBreak(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
        return true;
      }
    }
    return false;
  }

  /** Any C0 or C1 control character, DEL, or a line separator; a TAB is allowed. */
  static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\t' && (c < 0x20 || c >= 0x7f && c <= 0x9f || c == '\u2028' || c == '\u2029')) {
        return true;
      }
    }
    return false;
  }

  /** An unpaired UTF-16 surrogate: text that cannot be encoded. */
  static boolean hasBrokenSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return true;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** A bidirectional embedding, override or isolate (U+202A to U+202E, U+2066 to U+2069). */
  static boolean hasBidiOverride(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '\u202A' && c <= '\u202E' || c >= '\u2066' && c <= '\u2069') {
        return true;
      }
    }
    return false;
  }
}
