package io.postline.mail.queue.codec.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The one {@link ObjectMapper} of the module (tree model only: no data binding, no polymorphic
 * typing, nothing that instantiates classes named by the input; the queued message itself is
 * streamed through its factory, see {@link QueuedMailJson}) and helpers to read fields strictly.
 * Every stored document carries {@code "v": 1}.
 */
public final class Json {
  /** The format version written into every document. */
  public static final int VERSION = 1;

  static final ObjectMapper MAPPER = JsonMapper.builder().build();
  /** The streaming factory of {@link #MAPPER} (same read constraints), for the hot-path codecs. */
  static final JsonFactory FACTORY = MAPPER.getFactory();

  static {
    // Attachments are base64 text inside the document: allow long strings (the payload size
    // limit bounds the document as a whole).
    MAPPER.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build());
  }

  private Json() {}

  /** Strings from this length on (bodies) are escaped by {@link #writeText} itself when ASCII. */
  private static final int TEXT_MIN = 256;
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  /** Eight bytes of an array at a time, the first byte lowest (so trailing zeros find it). */
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH_BITS = 0x8080808080808080L;
  /** The largest escaped text a thread keeps its array for (bodies; not large attachments). */
  private static final int SCRATCH_MAX = 256 * 1024;
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

  /**
   * Writes a string value byte for byte as {@code JsonGenerator.writeString} does (quote,
   * backslash and control characters escaped: a backslash and b, t, n, f or r for those that have
   * a short escape, a backslash and u00XX for the others; everything else as UTF-8), but a long
   * ASCII string (a text or HTML body) in one pass over its bytes that finds the next escape eight
   * bytes at a time and copies the runs between escapes whole: Jackson's character loop slows down
   * for the rest of a string after its first escape, and a body has line breaks throughout.
   */
  static void writeText(JsonGenerator g, String s) throws IOException {
    if (s.length() < TEXT_MIN) {
      g.writeString(s);
      return;
    }
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    if (in.length != s.length()) {
      g.writeString(s); // not ASCII: Jackson's own loop, as before
      return;
    }
    int e = nextEscape(in, 0);
    if (e == in.length) {
      g.writeRawUTF8String(in, 0, in.length);
      return;
    }
    // Room for a short escape every eight characters; grows if the text escapes more. The
    // generator copies what it is given, so the thread's scratch array serves every call.
    byte[] out = scratch(in.length + (in.length >> 3) + 16);
    int o = 0;
    int from = 0;
    while (true) {
      int run = e - from;
      if (o + run + 6 > out.length) {
        out = Arrays.copyOf(out, Math.max(2 * out.length, o + run + 6 + (in.length - e)));
      }
      System.arraycopy(in, from, out, o, run);
      o += run;
      if (e == in.length) {
        break;
      }
      byte b = in[e];
      out[o++] = '\\';
      byte letter = shortEscape(b);
      if (letter != 0) {
        out[o++] = letter;
      } else {
        out[o++] = 'u';
        out[o++] = '0';
        out[o++] = '0';
        out[o++] = HEX[b >> 4];
        out[o++] = HEX[b & 0xF];
      }
      from = e + 1;
      e = nextEscape(in, from);
    }
    g.writeRawUTF8String(out, 0, o);
    if (out.length <= SCRATCH_MAX) {
      SCRATCH.set(out);
    }
  }

  /** The thread's scratch array if it holds {@code size} bytes, else a new one. */
  private static byte[] scratch(int size) {
    byte[] kept = SCRATCH.get();
    return kept.length >= size ? kept : new byte[size];
  }

  /**
   * The index of the first byte from {@code i} on that JSON escapes (below 0x20, a quote or a
   * backslash), or {@code in.length}; {@code in} is ASCII. Eight bytes at a time: a byte flagged
   * by the word tests may be a false one only above a true one, so the lowest flag is exact.
   */
  static int nextEscape(byte[] in, int i) {
    for (; i + Long.BYTES <= in.length; i += Long.BYTES) {
      long x = (long) LONGS.get(in, i);
      long quote = x ^ (ONES * '"');
      long backslash = x ^ (ONES * '\\');
      long control = (x - ONES * 0x20) & ~x;
      long flags = (control | (quote - ONES) & ~quote | (backslash - ONES) & ~backslash) & HIGH_BITS;
      if (flags != 0) {
        return i + (Long.numberOfTrailingZeros(flags) >>> 3);
      }
    }
    for (; i < in.length; i++) {
      byte b = in[i];
      if (b < 0x20 || b == '"' || b == '\\') {
        return i;
      }
    }
    return in.length;
  }

  /** The letter of a character's two-character escape, or 0 if it has none (it is written as u00XX). */
  private static byte shortEscape(byte b) {
    return switch (b) {
      case '"' -> '"';
      case '\\' -> '\\';
      case '\b' -> 'b';
      case '\t' -> 't';
      case '\n' -> 'n';
      case '\f' -> 'f';
      case '\r' -> 'r';
      default -> 0;
    };
  }

  /** A new document with its version field. */
  public static ObjectNode document() {
    return MAPPER.createObjectNode().put("v", VERSION);
  }

  /** A new object without a version (for nested values). */
  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A new array. */
  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  /** The document as UTF-8 bytes. */
  public static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Parses a document and checks its version.
   *
   * @throws CorruptPayloadException if it is not JSON, not an object, or of an unknown version
   */
  public static ObjectNode read(byte[] bytes, String what) {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new CorruptPayloadException(what + " is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw new CorruptPayloadException(what + " is not a JSON object");
    }
    JsonNode v = node.get("v");
    if (v == null || !v.isInt()) {
      throw new CorruptPayloadException(what + " has no format version \"v\"");
    }
    if (v.intValue() != VERSION) {
      throw new CorruptPayloadException(what + " has format version " + v.intValue()
          + ", this Postline reads version " + VERSION);
    }
    return (ObjectNode) node;
  }

  /** The text field, required. */
  public static String text(JsonNode node, String field) {
    JsonNode f = node.get(field);
    if (f == null || !f.isTextual()) {
      throw new CorruptPayloadException("field \"" + field + "\" is missing or not text");
    }
    return f.textValue();
  }

  /** The text field, if present. */
  public static Optional<String> optionalText(JsonNode node, String field) {
    JsonNode f = node.get(field);
    if (f == null || f.isNull()) {
      return Optional.empty();
    }
    if (!f.isTextual()) {
      throw new CorruptPayloadException("field \"" + field + "\" is not text");
    }
    return Optional.of(f.textValue());
  }

  /** The integer field, required. */
  public static int integer(JsonNode node, String field) {
    JsonNode f = node.get(field);
    if (f == null || !f.canConvertToInt()) {
      throw new CorruptPayloadException("field \"" + field + "\" is missing or not an integer");
    }
    return f.intValue();
  }

  /** The ISO-8601 instant field, required. */
  public static Instant instant(JsonNode node, String field) {
    return parseInstant(text(node, field), field);
  }

  /** The ISO-8601 instant field, if present. */
  public static Optional<Instant> optionalInstant(JsonNode node, String field) {
    return optionalText(node, field).map(s -> parseInstant(s, field));
  }

  /** The ISO-8601 duration field, required. */
  public static Duration duration(JsonNode node, String field) {
    String s = text(node, field);
    try {
      return Duration.parse(s);
    } catch (RuntimeException e) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an ISO-8601 duration");
    }
  }

  /** The enum constant named by the field, required. */
  public static <E extends Enum<E>> E enumValue(JsonNode node, String field, Class<E> type) {
    return enumValue(text(node, field), field, type);
  }

  /** The enum constant named {@code s}, read from {@code field}. */
  static <E extends Enum<E>> E enumValue(String s, String field, Class<E> type) {
    try {
      return Enum.valueOf(type, s);
    } catch (IllegalArgumentException e) {
      throw new CorruptPayloadException("field \"" + field + "\" is not a " + type.getSimpleName());
    }
  }

  /** The field, or null when absent or JSON null. */
  public static @Nullable JsonNode field(JsonNode node, String field) {
    JsonNode f = node.get(field);
    return f == null || f.isNull() ? null : f;
  }

  static Instant parseInstant(String s, String field) {
    try {
      Instant fast = parseUtc(s);
      return fast != null ? fast : Instant.parse(s);
    } catch (RuntimeException e) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an ISO-8601 instant");
    }
  }

  /**
   * The shape {@code Instant.toString()} writes for years 1970 to 9999,
   * {@code 2026-11-30T10:15:30[.fraction]Z}, without a formatter (which {@code Instant.parse}
   * sets up on every call); null for anything else, which then goes to {@code Instant.parse}.
   */
  public static Instant parseUtc(String s) {
    int n = s.length();
    if (n < 20 || n > 30 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
        || s.charAt(16) != ':' || s.charAt(n - 1) != 'Z') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 7);
    int day = digits(s, 8, 10);
    int hour = digits(s, 11, 13);
    int minute = digits(s, 14, 16);
    int second = digits(s, 17, 19);
    int nanos = 0;
    if (n > 20) {
      if (s.charAt(19) != '.' || n - 21 > 9 || n == 21) {
        return null;
      }
      int fraction = digits(s, 20, n - 1);
      if (fraction < 0) {
        return null;
      }
      nanos = fraction;
      for (int i = n - 21; i < 9; i++) {
        nanos *= 10;
      }
    } else if (s.charAt(19) != 'Z') {
      return null;
    }
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0
        || minute > 59 || second < 0 || second > 59) {
      return null;
    }
    try {
      long days = java.time.LocalDate.of(year, month, day).toEpochDay();
      return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /**
   * What {@code Instant.toString()} writes ({@code 2026-11-30T10:15:30[.SSS|.SSSSSS|.SSSSSSSSS]Z}),
   * for years 1970 to 9999 without a formatter (which {@code toString} sets up on every call);
   * other years go to {@code toString}.
   */
  public static String formatUtc(Instant t) {
    long seconds = t.getEpochSecond();
    if (seconds < 0 || seconds >= 253_402_300_800L) { // 10000-01-01T00:00:00Z
      return t.toString();
    }
    long days = Math.floorDiv(seconds, 86_400);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400);
    java.time.LocalDate date = java.time.LocalDate.ofEpochDay(days);
    int nanos = t.getNano();
    char[] c = new char[30];
    put(c, 0, date.getYear(), 4);
    c[4] = '-';
    put(c, 5, date.getMonthValue(), 2);
    c[7] = '-';
    put(c, 8, date.getDayOfMonth(), 2);
    c[10] = 'T';
    put(c, 11, secondOfDay / 3_600, 2);
    c[13] = ':';
    put(c, 14, secondOfDay / 60 % 60, 2);
    c[16] = ':';
    put(c, 17, secondOfDay % 60, 2);
    int n = 19;
    if (nanos > 0) {
      c[n++] = '.';
      if (nanos % 1_000_000 == 0) {
        put(c, n, nanos / 1_000_000, 3);
        n += 3;
      } else if (nanos % 1_000 == 0) {
        put(c, n, nanos / 1_000, 6);
        n += 6;
      } else {
        put(c, n, nanos, 9);
        n += 9;
      }
    }
    c[n++] = 'Z';
    return new String(c, 0, n);
  }

  /** Writes {@code value} as {@code width} decimal digits, zero-padded, at {@code c[at]}. */
  private static void put(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** The decimal number in s[from, to), or -1 if a character is not a digit. */
  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
