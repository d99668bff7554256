package io.postline.mail.mime;

import io.postline.mail.Address;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes header values as folded, 7-bit text: plain where that is safe and exact, RFC 2047
 * encoded-words ({@code =?UTF-8?Q?...?=} or {@code =?UTF-8?B?...?=}) everywhere else.
 *
 * <p>Every value it returns is ready for {@code MimeMessage.setHeader}: lines are separated by
 * CRLF followed by a space or tab, no line is longer than 998 characters (78 wherever the text
 * allows it), and a parser that unfolds and decodes the value (RFC 5322 and 2047) gets the input
 * back exactly. It never lets a raw CR, LF or other control character through, whatever it is
 * given: those are encoded.
 */
final class HeaderEncoder {
  /** RFC 5322 2.1.1: lines SHOULD be no longer than this. */
  static final int SOFT_LIMIT = 78;
  /** RFC 5322 2.1.1: lines MUST be no longer than this. */
  static final int HARD_LIMIT = 998;
  /** RFC 2047 2: a line holding an encoded-word is at most 76 characters. */
  private static final int ENCODED_LINE = 76;
  /** RFC 2047 2: an encoded-word is at most 75 characters. */
  private static final int MAX_WORD = 75;
  /** Below this, starting a word on the first line is not worth it; it gets a full word. */
  private static final int MIN_FIRST_WORD = 24;
  /** Quoted display names and atoms longer than this are encoded, so that they can be folded. */
  private static final int MAX_QUOTED_NAME = 64;
  private static final String PREFIX_Q = "=?UTF-8?Q?";
  private static final String PREFIX_B = "=?UTF-8?B?";
  private static final String SUFFIX = "?=";
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";
  /** RFC 2231 attribute-char beyond letters and digits. */
  private static final String ATTRIBUTE_CHAR_SPECIALS = "!#$&+-.^_`|~";
  /** The longest quoted parameter value, and the longest section of an encoded one. */
  private static final int MAX_PARAMETER_SECTION = 60;

  private HeaderEncoder() {}

  /**
   * An unstructured value such as a subject or a custom header's value.
   *
   * @param value the decoded text
   * @param used how many characters the line already holds: the header name plus {@code ": "}
   */
  static String text(String value, int used) {
    if (isPlainText(value)) {
      List<String> segments = plainSegments(value);
      String folded = fold(used, segments);
      if (longestLine(folded, used) <= HARD_LIMIT) {
        return folded;
      }
    }
    return fold(used, encodedWords(value, firstWordRoom(used)));
  }

  /**
   * A comma-separated address list: display names as atoms, a quoted-string or encoded-words;
   * addresses in their ASCII (punycode) form.
   *
   * @param used how many characters the line already holds: the header name plus {@code ": "}
   */
  static String addressList(List<Address> addresses, int used) {
    List<String> segments = new ArrayList<>();
    for (Address address : addresses) {
      List<String> one = new ArrayList<>();
      String spec = address.asciiEmail();
      if (address.name().isPresent()) {
        one.addAll(phrase(address.name().get()));
        one.add(" <" + spec + ">");
      } else {
        one.add(spec);
      }
      if (!segments.isEmpty()) {
        int last = segments.size() - 1;
        segments.set(last, segments.get(last) + ",");
        one.set(0, " " + one.get(0));
      }
      segments.addAll(one);
    }
    return fold(used, segments);
  }

  /**
   * A value with parameters, like {@code attachment; filename="a.pdf"}: each parameter a quoted
   * string when it is short printable ASCII without {@code =?}, else RFC 2231 UTF-8 percent-encoding split into
   * numbered sections ({@code filename*0*=UTF-8''...; filename*1*=...}) so that lines stay short.
   *
   * @param value the value before the parameters, such as {@code attachment} or {@code image/png}
   * @param parameters names and decoded values, in order
   * @param used how many characters the line already holds: the header name plus {@code ": "}
   */
  static String withParameters(String value, List<Map.Entry<String, String>> parameters, int used) {
    List<String> segments = new ArrayList<>();
    segments.add(value);
    for (Map.Entry<String, String> parameter : parameters) {
      for (String section : parameter(parameter.getKey(), parameter.getValue())) {
        int last = segments.size() - 1;
        segments.set(last, segments.get(last) + ";");
        segments.add(" " + section);
      }
    }
    return fold(used, segments);
  }

  private static List<String> parameter(String name, String value) {
    // Readers decode encoded-words inside quoted parameters ("=?ISO-8859-1?Q?caf=E9?=.pdf" reads
    // as "café.pdf"), but never inside RFC 2231 values.
    if (value.length() <= MAX_PARAMETER_SECTION && isPrintableAscii(value) && !looksEncoded(value)) {
      return List.of(name + "=" + quote(value));
    }
    List<String> sections = new ArrayList<>();
    StringBuilder section = new StringBuilder("UTF-8''");
    int[] codePoints = value.codePoints().toArray();
    for (int cp : codePoints) {
      String encoded = percentEncode(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
      if (section.length() > 0 && section.length() + encoded.length() > MAX_PARAMETER_SECTION) {
        sections.add(section.toString());
        section.setLength(0);
      }
      section.append(encoded);
    }
    sections.add(section.toString());
    if (sections.size() == 1) {
      return List.of(name + "*=" + sections.get(0));
    }
    List<String> numbered = new ArrayList<>(sections.size());
    for (int i = 0; i < sections.size(); i++) {
      numbered.add(name + "*" + i + "*=" + sections.get(i));
    }
    return numbered;
  }

  private static String percentEncode(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length * 3);
    for (byte b : bytes) {
      if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
          || ATTRIBUTE_CHAR_SPECIALS.indexOf(b) >= 0) {
        out.append((char) b);
      } else {
        out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
      }
    }
    return out.toString();
  }

  private static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** A display name as segments: the first without, the others with a leading space. */
  static List<String> phrase(String name) {
    if (name.isEmpty()) {
      return List.of("\"\"");
    }
    if (isAtomPhrase(name)) {
      List<String> words = new ArrayList<>();
      for (String word : name.split(" ")) {
        words.add(words.isEmpty() ? word : " " + word);
      }
      return words;
    }
    if (isQuotablePhrase(name)) {
      return List.of(quote(name));
    }
    return encodedWords(name, MAX_WORD);
  }

  /** Plain text needs neither quoting nor encoding, and survives unfolding and decoding as is. */
  static boolean isPlainText(String value) {
    if (value.isEmpty()) {
      return true;
    }
    if (isWsp(value.charAt(0)) || isWsp(value.charAt(value.length() - 1))) {
      return false; // parsers drop leading white space, and folding may drop trailing
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c != '\t' && (c < 0x20 || c > 0x7e)) {
        return false;
      }
    }
    return !looksEncoded(value);
  }

  /**
   * Whether a reader might take part of the text for an encoded-word. RFC 2047 only decodes
   * words that stand alone, but Python's {@code email} and nodemailer decode {@code =?...?=}
   * glued to other text too ({@code word=?UTF-8?Q?x?=} reads as "wordx"), so any {@code =?}
   * is encoded; an encoded {@code =?} is {@code =3D=3F}, which no reader decodes twice.
   */
  static boolean looksEncoded(String value) {
    return value.contains("=?");
  }

  private static boolean isAtomPhrase(String name) {
    if (name.isEmpty() || name.startsWith(" ") || name.endsWith(" ") || name.contains("  ")) {
      return false;
    }
    if (looksEncoded(name)) {
      return false;
    }
    for (String word : name.split(" ")) {
      if (word.length() > MAX_QUOTED_NAME) {
        return false; // an atom too long to fold
      }
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c != ' ' && !isAtext(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isQuotablePhrase(String name) {
    if (name.isEmpty() || name.length() > MAX_QUOTED_NAME || looksEncoded(name)) {
      return false;
    }
    return isPrintableAscii(name);
  }

  private static String quote(String name) {
    StringBuilder out = new StringBuilder(name.length() + 4).append('"');
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  /** Splits plain text before each run of white space that may be folded. */
  private static List<String> plainSegments(String value) {
    List<String> segments = new ArrayList<>();
    int start = 0;
    for (int i = 1; i < value.length(); i++) {
      char previous = value.charAt(i - 1);
      // A fold after a backslash would read as a quoted line break to some parsers.
      if (isWsp(value.charAt(i)) && !isWsp(previous) && previous != '\\') {
        segments.add(value.substring(start, i));
        start = i;
      }
    }
    segments.add(value.substring(start));
    return segments;
  }

  /**
   * Joins segments, breaking the line (CRLF; the next segment starts with white space) before a
   * segment that would take it over {@link #SOFT_LIMIT}.
   */
  static String fold(int used, List<String> segments) {
    StringBuilder out = new StringBuilder();
    int line = used;
    for (int i = 0; i < segments.size(); i++) {
      String segment = segments.get(i);
      if (i > 0 && line + segment.length() > SOFT_LIMIT) {
        out.append("\r\n");
        line = 0;
      }
      out.append(segment);
      line += segment.length();
    }
    return out.toString();
  }

  private static int longestLine(String folded, int used) {
    int longest = 0;
    int line = used;
    for (int i = 0; i < folded.length(); i++) {
      if (folded.charAt(i) == '\r') {
        longest = Math.max(longest, line);
        line = -1; // the LF that follows
      } else {
        line++;
      }
    }
    return Math.max(longest, line);
  }

  private static int firstWordRoom(int used) {
    int room = Math.min(MAX_WORD, ENCODED_LINE - used);
    return room < MIN_FIRST_WORD ? MAX_WORD : room;
  }

  /**
   * The value as UTF-8 encoded-words, the first at most {@code firstRoom} characters, the others
   * preceded by a space and at most 75. Words never split a character, so each decodes alone.
   * Q or B, whichever is shorter; Q uses only the characters RFC 2047 allows in a phrase, so the
   * result fits every header.
   */
  static List<String> encodedWords(String value, int firstRoom) {
    if (value.isEmpty()) {
      return List.of(PREFIX_Q + SUFFIX);
    }
    int[] codePoints = value.codePoints().toArray();
    byte[][] utf8 = new byte[codePoints.length][];
    long qLength = 0;
    long bytes = 0;
    for (int i = 0; i < codePoints.length; i++) {
      utf8[i] = new String(Character.toChars(codePoints[i])).getBytes(StandardCharsets.UTF_8);
      bytes += utf8[i].length;
      for (byte b : utf8[i]) {
        qLength += isQSafe(b) ? 1 : 3;
      }
    }
    boolean useQ = qLength <= (bytes + 2) / 3 * 4;
    List<String> words = new ArrayList<>();
    int room = firstRoom;
    int i = 0;
    do {
      int payload = room - PREFIX_Q.length() - SUFFIX.length();
      StringBuilder word = new StringBuilder(room).append(useQ ? PREFIX_Q : PREFIX_B);
      if (useQ) {
        int length = 0;
        do {
          String q = qEncode(utf8[i]);
          if (length > 0 && length + q.length() > payload) {
            break;
          }
          word.append(q);
          length += q.length();
          i++;
        } while (i < codePoints.length);
      } else {
        int maxBytes = payload / 4 * 3;
        ByteArrayOutputStream chunk = new ByteArrayOutputStream(maxBytes);
        do {
          if (chunk.size() > 0 && chunk.size() + utf8[i].length > maxBytes) {
            break;
          }
          chunk.writeBytes(utf8[i]);
          i++;
        } while (i < codePoints.length);
        word.append(Base64.getEncoder().encodeToString(chunk.toByteArray()));
      }
      word.append(SUFFIX);
      words.add(words.isEmpty() ? word.toString() : " " + word);
      room = MAX_WORD;
    } while (i < codePoints.length);
    return words;
  }

  private static String qEncode(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length * 3);
    for (byte b : bytes) {
      if (b == ' ') {
        out.append('_');
      } else if (isQSafe(b)) {
        out.append((char) b);
      } else {
        out.append('=').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
      }
    }
    return out.toString();
  }

  /** RFC 2047 5 (3): the characters an encoded-word in a phrase may carry as themselves. */
  private static boolean isQSafe(byte b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
        || b == '!' || b == '*' || b == '+' || b == '-' || b == '/' || b == ' ';
  }

  private static boolean isAtext(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
        || ATEXT_SPECIALS.indexOf(c) >= 0;
  }

  private static boolean isWsp(char c) {
    return c == ' ' || c == '\t';
  }
}
