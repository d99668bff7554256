package io.postline.mail.testing;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.Priority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * A seeded, reproducible generator of hostile inputs for property-based tests: control
 * characters, CR, LF and CRLF sequences, NUL, the Unicode line separators U+0085, U+2028 and
 * U+2029, very long strings, mixed scripts, emoji, lone surrogates, malformed addresses, quotes and
 * angle brackets, and text that merely looks like MIME syntax ({@code =?UTF-8?B?...?=}).
 *
 * <p>Every value comes from the seed alone: {@code new HostileInputs(seed)} gives the same values
 * in the same order on every run and machine. A test runs many cases, each with its own
 * {@link #caseSeed(long, int) case seed}, and prints that seed with the inputs when a case fails,
 * so the one failing case can be replayed. The base seed is {@link #DEFAULT_SEED} unless the
 * system property {@value #SEED_PROPERTY} gives another one.
 *
 * <p>Values are either <em>tricky</em> (legal but awkward: emoji, CJK, quotes, angle brackets,
 * runs of white space, tabs, encoded-word look-alikes, lengths at the limits) or <em>hostile</em>
 * (what validation must reject: line breaks, control characters, lone surrogates, over-long or
 * malformed values). {@link #hostility()} is the chance that a field is hostile.
 *
 * <p>{@link #email(Map)} fills every field of an {@link Email.Builder} and builds it; shared by
 * mail-api's own tests and, through mail-api's test-jar, by other modules'.
 */
public final class HostileInputs {
  /** The base seed when {@value #SEED_PROPERTY} is not set. */
  public static final long DEFAULT_SEED = 0x5EED_2025_0001L;
  /** System property overriding the base seed, such as {@code -Dpostline.hostile.seed=42}. */
  public static final String SEED_PROPERTY = "postline.hostile.seed";

  /** Line breaks and the sequences an attacker would use to smuggle a header in. */
  public static final List<String> LINE_BREAKS = List.of(
      "\r", "\n", "\r\n", "\n\r", "\r\r\n", "\r\n\r\n", "\u0085", "\u2028", "\u2029",
      " \r\n ", "\r\n\t", "\r\nBcc: evil@example.net", "\nX-Injected: yes", "\r\n.\r\n");
  /** C0 and C1 control characters and DEL (TAB is in {@link #WHITESPACE}). */
  public static final List<String> CONTROLS = List.of(
      "\u0000", "\u0001", "\u0007", "\b", "\u000B", "\f", "\u000E", "\u001B", "\u001F",
      "\u007F", "\u0080", "\u008D", "\u009B", "\u009F");
  /** Unpaired or reversed UTF-16 surrogates: text that has no UTF-8 form. */
  public static final List<String> LONE_SURROGATES = List.of(
      "\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uDC00\uD800", "a\uD83D", "\uDE00b");
  /** Emoji: astral code points, modifiers, ZWJ sequences, flags, variation selectors. */
  public static final List<String> EMOJI = List.of(
      "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇩🇪", "❤️", "🏳️‍🌈", "📧", "🧑🏿‍💻", "\uD83D\uDE00\uD83D\uDE01");
  /** Words in many scripts, with combining marks, bidi controls and invisible characters. */
  public static final List<String> SCRIPTS = List.of(
      "Grüße", "Ünïcödé", "Straße", "İstanbul", "日本語", "漢字テスト", "中文邮件", "한국어",
      "Привет", "مرحبا", "שלום", "Ελληνικά", "हिन्दी", "ไทย", "e\u0301", "\u202Eevil", "\u200B",
      "\u200D", "\uFEFF", "\u00A0", "ﬁ", "Ꭰ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ẞ");
  /** Characters with a meaning in headers, addresses, MIME or templates. */
  public static final List<String> SYNTAX = List.of(
      "\"", "\\", "<", ">", "<>", "\"\"", ",", ";", ":", "@", "(", ")", "[", "]", "=?", "?=",
      "=?UTF-8?B?SGk=?=", "=?utf-8?q?hi_there?=", "=?ISO-8859-1?Q?=E9?=", "%0D%0A", "&#13;&#10;",
      "cid:logo", "'", "`", ".", "..", "/", "%", "*", "$", "{{name}}", "_", "=", "?", "\\\"",
      "--boundary", "Bcc:");
  /** Blanks, including runs, tabs and a non-breaking space. */
  public static final List<String> WHITESPACE = List.of(" ", "  ", "\t", " \t ", "     ", "\u00A0");
  /** Ordinary words. */
  public static final List<String> WORDS = List.of(
      "hello", "Ann", "Doe", "order", "Re:", "Fwd:", "X", "a", "invoice", "2025", "report",
      "Your", "password", "reset", "O'Brien", "Smith-Jones", "Q3", "ok", "test");

  private static final List<String> LOCAL_PARTS = List.of(
      "ann", "a.b", "first.last+tag", "o'brien", "x_y-z", "ANN", "\"quoted local\"",
      "\"a\\\"b\"", "\"a@b\"", "#!$%&'*+-/=?^_`{|}~", "a".repeat(64), "1", "user+mailbox");
  private static final List<String> DOMAINS = List.of(
      "example.org", "sub.example.co.uk", "bücher.example", "例え.テスト", "xn--bcher-kva.example",
      "EXAMPLE.ORG", "[192.0.2.1]", "[IPv6:2001:db8::1]", "a-b.example", "müller.de",
      "ex\u3002ample.org", "ΕΛΛΑΔΑ.example", "москва.рф", "x".repeat(63) + ".example",
      "a.b.c.d.e.f.example");
  private static final List<String> MALFORMED_ADDRESSES = List.of(
      "", " ", "@", "ann", "ann@", "@example.org", "ann@@example.org", "ann@example..org",
      "ann@-example.org", "ann@example-.org", ".ann@example.org", "ann.@example.org",
      "an..n@example.org", "ann @example.org", "ann@exa mple.org", "ann@example.org>",
      "<ann@example.org", "Ann <ann@example.org", "Ann ann@example.org>", "ann@example.123",
      "ann@[300.1.1.1]", "ann@[IPv6:zz::1]", "ännä@example.org", "a".repeat(65) + "@example.org",
      "ann@" + "x".repeat(64) + ".org", "ann@" + "abc.".repeat(70) + "org",
      "ann@example.org,bob@example.org", "\"unterminated@example.org", "ann@exam_ple.org",
      "Ann \"Doe\" <ann@example.org>", "\"Ann\" \"Doe\" <ann@example.org>", "<>", "< >",
      "ann@example.org\r\nBcc: evil@example.net", "ann@example.org\n", "ann\u0000@example.org",
      "ann@exa\u2028mple.org", "ann@\uD800.org", "\"a\\\u0001\"@example.org", "\"a\\\u007F\"@example.org", "\"a\u007F\"@example.org",
      "\"a\\\u00E9\"@example.org", "\"a\\\"@example.org",
      "ann@.", "ann@example.org.", "=?UTF-8?B?YQ==?=@example.org", "ann@xn--.org",
      "ann@xn--zzzzz-zzz.example");
  private static final List<String> CONTENT_TYPES = List.of(
      "application/pdf", "image/png", "text/plain", "text/csv; charset=utf-8",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "text/plain; charset=\"iso-8859-1\"; format=flowed", "application/octet-stream",
      "image/svg+xml", "message/rfc822", "application/x-custom; a=\"b; c\"",
      "text/plain; x=\"Grüße\"");
  private static final List<String> BAD_CONTENT_TYPES = List.of(
      "", "pdf", "application/", "/pdf", "application/pdf;", "text/plain; charset=utf-8\r\nX: y",
      "text/plain; a=\"b", "image/png\u0000", "text/плейн", "a/b; c", "multipart/mixed; boundary=\"");
  private static final List<String> HEADER_NAMES = List.of(
      "X-Campaign", "X-Mailer", "List-Unsubscribe", "List-Unsubscribe-Post", "X-Priority",
      "Precedence", "Auto-Submitted", "X-Entity-Ref-ID", "Importance", "Keywords", "Comments",
      "X-" + "A".repeat(74), "X-!#$%&'*+-.^_`|~", "In-Reply-To", "References", "Content-Language");
  private static final List<String> BAD_HEADER_NAMES = List.of(
      "", "X Campaign", "X-Campaign:", "Bcc", "bcc", "BCC", "Content-Type", "content-type", "To",
      "From", "Subject", "Message-ID", "MIME-Version", "Date", "Received", "Return-Path", "Sender",
      "Cc", "Reply-To", "Content-Transfer-Encoding", "X-Ü", "X-\r\nBcc", "X-" + "A".repeat(75),
      "X-Tab\tName", "X-\u0000", ":");
  private static final List<String> CONTENT_IDS = List.of(
      "logo", "logo@example.org", "part1.abc$def", "a", "x".repeat(128), "img-1_2.png",
      "!#$%&'*+/=?^_`{|}~");
  private static final List<String> BAD_CONTENT_IDS = List.of(
      "", "has space", "<logo>", "x".repeat(129), "logo\r\n", "lögo", "a\"b");

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final String HOSTILITY_KEY = "(hostility)";

  private final long seed;
  private final SplittableRandom random;
  private final double hostility;

  /** A generator whose every value follows from {@code seed}; its hostility follows too. */
  public HostileInputs(long seed) {
    this.seed = seed;
    this.random = new SplittableRandom(seed);
    double[] levels = {0.0, 0.02, 0.05, 0.15, 0.4, 0.8};
    this.hostility = levels[random.nextInt(levels.length)];
  }

  /** A generator with the given chance (0 to 1) that a field gets a hostile value. */
  public HostileInputs(long seed, double hostility) {
    if (hostility < 0 || hostility > 1) {
      throw new IllegalArgumentException("hostility must be between 0 and 1, was " + hostility);
    }
    this.seed = seed;
    this.random = new SplittableRandom(seed);
    this.hostility = hostility;
  }

  /** The base seed of a run: {@value #SEED_PROPERTY} if set, else {@link #DEFAULT_SEED}. */
  public static long baseSeed() {
    String property = System.getProperty(SEED_PROPERTY);
    if (property == null || property.isBlank()) {
      return DEFAULT_SEED;
    }
    try {
      return Long.decode(property.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(SEED_PROPERTY + " is not a number: '" + property + "'", e);
    }
  }

  /** The seed of case {@code index} in a run with this base seed: well spread, reproducible. */
  public static long caseSeed(long baseSeed, int index) {
    long z = baseSeed + 0x9E3779B97F4A7C15L * (index + 1L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The seed this generator was made from. */
  public long seed() {
    return seed;
  }

  /** The chance that a field gets a hostile value. */
  public double hostility() {
    return hostility;
  }

  // ---- primitives -------------------------------------------------------------------------

  /** True with probability {@code p}. */
  public boolean chance(double p) {
    return random.nextDouble() < p;
  }

  /** A number from {@code min} to {@code max}, both included. */
  public int between(int min, int max) {
    return min + random.nextInt(max - min + 1);
  }

  /** One element of the list. */
  public <T> T pick(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  /** Bytes of the given length, random. */
  public byte[] bytes(int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) random.nextInt(256);
    }
    return bytes;
  }

  private boolean hostile() {
    return chance(hostility);
  }

  // ---- text -------------------------------------------------------------------------------

  /**
   * Legal but awkward one-line text: words, emoji, many scripts, MIME and address syntax, runs
   * of blanks and tabs; now and then at or near {@code maxLength}. Never a line break, control
   * character other than TAB, or lone surrogate; may be empty or blank.
   */
  public String trickyText(int maxLength) {
    StringBuilder out = new StringBuilder();
    int target = chance(0.1) ? between(maxLength * 3 / 4, maxLength) : between(0, Math.min(40, maxLength));
    while (out.length() < target) {
      int kind = random.nextInt(10);
      String piece = switch (kind) {
        case 0, 1, 2 -> pick(WORDS);
        case 3 -> pick(EMOJI);
        case 4, 5 -> pick(SCRIPTS);
        case 6 -> pick(SYNTAX);
        case 7, 8 -> pick(WHITESPACE);
        default -> randomCodePoint();
      };
      out.append(piece);
    }
    return cut(out.toString(), maxLength);
  }

  /**
   * Text validation must reject somewhere: tricky text with line breaks, control characters or
   * lone surrogates mixed in, or text far over any limit.
   */
  public String hostileText() {
    if (chance(0.1)) {
      return (chance(0.5) ? pick(WORDS) : pick(SCRIPTS)).repeat(between(300, 1500));
    }
    StringBuilder out = new StringBuilder(trickyText(60));
    int insertions = between(1, 3);
    for (int i = 0; i < insertions; i++) {
      String bad = switch (random.nextInt(3)) {
        case 0 -> pick(LINE_BREAKS);
        case 1 -> pick(CONTROLS);
        default -> pick(LONE_SURROGATES);
      };
      int at = out.length() == 0 ? 0 : random.nextInt(out.length() + 1);
      // Inserting between the halves of a pair would only add another lone surrogate: fine.
      out.insert(at, bad);
    }
    return out.toString();
  }

  /** Tricky text, or with probability {@link #hostility()} hostile text. */
  public String text(int maxLength) {
    return hostile() ? hostileText() : trickyText(maxLength);
  }

  /** Tricky or hostile text that is also never blank, unless hostile. */
  public String nonBlankText(int maxLength) {
    if (hostile()) {
      return chance(0.2) ? pick(List.of("", " ", "\t", "  \t ")) : hostileText();
    }
    String s = trickyText(maxLength);
    return s.isBlank() ? cut(pick(WORDS) + s, maxLength) : s;
  }

  /** A body: long multi-line text with every kind of line break; bodies may hold them. */
  public String body() {
    StringBuilder out = new StringBuilder();
    int lines = between(0, 30);
    for (int i = 0; i < lines; i++) {
      out.append(trickyText(chance(0.05) ? 2000 : 100));
      out.append(pick(List.of("\n", "\r\n", "\r", "\n\n", "")));
      if (chance(0.05)) {
        out.append(pick(CONTROLS));
      }
    }
    if (out.length() == 0 || chance(0.2)) {
      out.append(pick(WORDS));
    }
    return out.toString();
  }

  // ---- addresses --------------------------------------------------------------------------

  /** A valid addr-spec in many shapes: quoted local parts, IDN, punycode, domain literals. */
  public String validAddressSpec() {
    String local = chance(0.7) ? pick(LOCAL_PARTS.subList(0, 6)) : pick(LOCAL_PARTS);
    return local + "@" + pick(DOMAINS);
  }

  /** An addr-spec that may be malformed (with probability {@link #hostility()}). */
  public String addressSpec() {
    if (!hostile()) {
      return validAddressSpec();
    }
    if (chance(0.6)) {
      return pick(MALFORMED_ADDRESSES);
    }
    // Random text around an '@': stresses the local-part rules and IDNA conversion.
    String local = chance(0.5) ? pick(LOCAL_PARTS) : trickyText(20);
    String domain = chance(0.3) ? hostileText() : trickyText(30) + "." + trickyText(6);
    return local + "@" + domain;
  }

  /** A display name: tricky (quotes, commas, brackets, encoded-word look-alikes) or hostile. */
  public String displayName() {
    if (hostile()) {
      return chance(0.3) ? "Ann " + "x".repeat(between(990, 1400)) : hostileText();
    }
    return switch (random.nextInt(8)) {
      case 0 -> pick(WORDS) + " " + pick(WORDS);
      case 1 -> "Doe, Ann";
      case 2 -> pick(List.of("Ann <evil@example.net>", "\"Ann\"", "a\\b", "=?UTF-8?B?SGk=?=",
          "Bücher & Co.", "张伟", "😀 Smile", "  spaced  ", "tab\tname", "O'Brien (Sales)",
          "a \"quoted\" name", "x".repeat(998), "日本".repeat(499)));
      default -> {
        String name = trickyText(chance(0.1) ? 998 : 40);
        yield name.isBlank() ? pick(WORDS) : name;
      }
    };
  }

  /**
   * An address as text for {@code Email.Builder#to(String...)} and friends: a bare addr-spec,
   * {@code Name <spec>}, {@code "Quoted, Name" <spec>}, {@code <spec>}, or a malformed one.
   */
  public String addressText() {
    String spec = addressSpec();
    return switch (random.nextInt(5)) {
      case 0 -> spec;
      case 1 -> "<" + spec + ">";
      case 2 -> quote(displayName()) + " <" + spec + ">";
      case 3 -> {
        String name = hostile() ? displayName() : pick(WORDS) + " " + pick(WORDS);
        yield name + " <" + spec + ">";
      }
      default -> hostile() ? pick(MALFORMED_ADDRESSES) : spec;
    };
  }

  private static String quote(String name) {
    return "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  // ---- headers, attachments, the rest -----------------------------------------------------

  /** A custom header name: usually a legal one, sometimes reserved or malformed. */
  public String headerName() {
    return hostile() ? pick(BAD_HEADER_NAMES) : pick(HEADER_NAMES);
  }

  /** A custom header value: structured-looking, tricky, up to the 998 limit, or hostile. */
  public String headerValue() {
    if (hostile()) {
      return chance(0.2) ? "v".repeat(between(999, 3000)) : hostileText();
    }
    return switch (random.nextInt(6)) {
      case 0 -> "<https://example.org/unsubscribe?u=" + "a1".repeat(between(1, 400)) + ">";
      case 1 -> "<" + between(1, 1_000_000) + "." + pick(WORDS) + "@example.org>";
      case 2 -> "x".repeat(between(900, 998));
      default -> trickyText(chance(0.1) ? 998 : 80);
    };
  }

  /** An attachment file name: tricky (non-ASCII, spaces, quotes, long) or hostile. */
  public String fileName() {
    if (hostile()) {
      return pick(List.of("", " ", "..", ".", "a/b.pdf", "..\\evil.exe", "/etc/passwd",
          "x".repeat(256), "report\r\n.pdf", "bad\u0000.pdf", "lone\uD800.pdf", hostileText()));
    }
    String stem = trickyText(chance(0.1) ? 250 : 30)
        .replace('/', '_').replace('\\', '_').replace('\t', ' ');
    String name = (stem.isBlank() ? pick(WORDS) : stem) + pick(List.of(".pdf", ".png", ".txt", "", ".tar.gz"));
    return cut(name, 255);
  }

  /** A MIME content type for an attachment, sometimes malformed. */
  public String contentType() {
    return hostile() ? pick(BAD_CONTENT_TYPES) : pick(CONTENT_TYPES);
  }

  /** An inline part's content id, sometimes malformed. */
  public String contentId() {
    if (hostile()) {
      return pick(BAD_CONTENT_IDS);
    }
    String id = pick(CONTENT_IDS);
    return id.length() < 126 && chance(0.5) ? id + between(0, 99) : id;
  }

  /** A metadata key, sometimes malformed. */
  public String metadataKey() {
    return hostile()
        ? pick(List.of("", "has space", "ü", "k".repeat(129), "a:b", "line\nbreak"))
        : pick(List.of("userId", "order.id", "tenant_id", "a-b", "K".repeat(128)));
  }

  // ---- a whole email ----------------------------------------------------------------------

  /**
   * Fills every field of a new {@link Email.Builder} with generated values and builds it:
   * sender and recipients (as text and as {@link Address#of(String, String)}), subject, bodies,
   * attachments and inline parts, custom headers, tags, metadata, idempotency key, caller,
   * priority, schedule, locale and now and then a template.
   *
   * <p>Building {@link Address} and {@link Attachment} values may itself throw; that, too, is
   * an outcome the caller judges.
   *
   * @param inputs receives every input (field name to raw value, null for null), in order, for
   *     {@link #failureReport}
   * @return the email, if everything was valid
   * @throws io.postline.mail.InvalidEmailException if something was not
   */
  public Email email(Map<String, @Nullable String> inputs) {
    Email.Builder builder = Email.builder();
    Recorder r = new Recorder(inputs);
    inputs.put(HOSTILITY_KEY, Double.toString(hostility));

    if (chance(0.7)) {
      String from = r.note("from", addressText());
      builder.from(from);
    } else if (!hostile() || chance(0.5)) {
      String spec = r.note("from.email", addressSpec());
      String name = r.note("from.name", displayName());
      builder.from(Address.of(spec, name));
    }
    addRecipients(r, "to", between(chance(hostility) ? 0 : 1, 3), builder::to, builder::to);
    addRecipients(r, "cc", between(0, 2), builder::cc, builder::cc);
    addRecipients(r, "bcc", between(0, 2), builder::bcc, builder::bcc);
    addRecipients(r, "replyTo", between(0, 1), builder::replyTo, builder::replyTo);

    boolean template = chance(0.03);
    if (template) {
      String name = hostile() ? pick(List.of("bad name", "", "../x", "a//b", "x".repeat(101)))
          : pick(List.of("welcome", "billing/invoice", "a_b-c"));
      builder.template(r.note("template", name), Map.of("name", "Ann"));
    }
    if (!template || hostile()) {
      builder.subject(r.note("subject", hostile() && chance(0.1) ? null : text(chance(0.1) ? 998 : 120)));
      boolean text = chance(0.8);
      boolean html = !text || chance(0.6);
      if (text) {
        builder.text(r.note("text", body()));
      }
      if (html) {
        builder.html(r.note("html", "<p>" + body() + "</p><img src=\"cid:logo\">"));
      }
    }

    int attachments = chance(0.4) ? between(1, 3) : 0;
    Set<String> contentIds = new HashSet<>();
    for (int i = 0; i < attachments; i++) {
      String type = r.note("attachment[" + i + "].type", contentType());
      byte[] content = type.startsWith("message/") && chance(0.5)
          ? ("Subject: " + trickyText(60) + "\r\n\r\n" + trickyText(200) + "\r\n")
              .getBytes(StandardCharsets.UTF_8) // a forwarded message: CRLF lines
          : bytes(chance(0.1) ? between(1000, 20_000) : between(0, 64));
      String name = r.note("attachment[" + i + "].name", fileName());
      if (chance(0.3)) {
        String id = contentId();
        if (!contentIds.add(id) && !hostile()) {
          id = "part" + i + "." + id.substring(0, Math.min(id.length(), 100));
        }
        r.note("attachment[" + i + "].contentId", id);
        builder.attach(chance(0.5) && id.indexOf('/') < 0 ? Attachment.inline(id, content, type)
            : Attachment.inline(id, name, content, type));
      } else {
        builder.attach(Attachment.of(name, content, type));
      }
    }

    int headers = between(0, 3);
    Set<String> headerNames = new HashSet<>();
    for (int i = 0; i < headers; i++) {
      String name = headerName();
      if (!headerNames.add(name.toLowerCase(Locale.ROOT)) && !hostile()) {
        continue; // a repeated name is a problem; only hostile cases may have one
      }
      builder.header(r.note("header[" + i + "].name", name),
          r.note("header[" + i + "].value", headerValue()));
    }
    int tags = between(0, 2);
    for (int i = 0; i < tags; i++) {
      builder.tag(r.note("tag[" + i + "]", nonBlankText(chance(0.1) ? 256 : 30)));
    }
    int metadata = between(0, 2);
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < metadata; i++) {
      String key = metadataKey();
      if (!keys.add(key) && !hostile()) {
        continue;
      }
      builder.metadata(r.note("metadata[" + i + "].key", key),
          r.note("metadata[" + i + "].value", text(chance(0.1) ? 1024 : 40)));
    }
    if (chance(0.3)) {
      builder.idempotencyKey(r.note("idempotencyKey", nonBlankText(chance(0.1) ? 256 : 40)));
    }
    if (chance(0.3)) {
      builder.caller(r.note("caller", nonBlankText(chance(0.1) ? 256 : 30)));
    }
    if (chance(0.2)) {
      builder.priority(pick(List.of(Priority.values())));
    }
    if (chance(0.1)) {
      Duration offset = hostile()
          ? pick(List.of(Duration.ofDays(400), Duration.ofDays(-40), Duration.ofDays(100_000)))
          : Duration.ofMinutes(between(1, 60 * 24 * 300));
      // From the start of today, so that the same seed gives the same email all day long.
      inputs.put("sendAt", "today 00:00 UTC + " + offset);
      builder.sendAt(Instant.now().truncatedTo(ChronoUnit.DAYS).plus(offset));
    }
    if (chance(0.1)) {
      builder.locale(pick(List.of(Locale.GERMAN, Locale.JAPANESE, Locale.ROOT,
          Locale.forLanguageTag("de-CH"))));
    }
    return builder.build();
  }

  private interface StringsAdder {
    void add(String... addresses);
  }

  private interface AddressesAdder {
    void add(Address... addresses);
  }

  private void addRecipients(Recorder r, String field, int count, StringsAdder asText,
      AddressesAdder asAddress) {
    for (int i = 0; i < count; i++) {
      String key = field + "[" + i + "]";
      if (chance(0.6)) {
        asText.add(r.note(key, addressText()));
      } else {
        String spec = r.note(key + ".email", addressSpec());
        String name = r.note(key + ".name", chance(0.3) ? "" : displayName());
        asAddress.add(Address.of(spec, name));
      }
    }
  }

  /** Writes each input, raw, into the map as it is generated; described only on failure. */
  private static final class Recorder {
    private final Map<String, @Nullable String> inputs;

    Recorder(Map<String, @Nullable String> inputs) {
      this.inputs = inputs;
    }

    <T extends @Nullable Object> T note(String field, T value) {
      inputs.put(field, value == null ? null : value.toString());
      return value;
    }
  }

  /** A fresh map for {@link #email(Map)}'s input description, in generation order. */
  public static Map<String, @Nullable String> newInputLog() {
    return new LinkedHashMap<>();
  }

  /** A failure report: the seed to replay, every input escaped, and what went wrong. */
  public static String failureReport(
      long caseSeed, Map<String, @Nullable String> inputs, Throwable problem) {
    StringBuilder out = new StringBuilder()
        .append("property failed for case seed ").append(caseSeed)
        .append(" (replay: new HostileInputs(").append(caseSeed).append("L")
        .append(inputs.containsKey(HOSTILITY_KEY) ? ", " + inputs.get(HOSTILITY_KEY) : "")
        .append(").email(...))")
        .append(", base seed ").append(baseSeed())
        .append(" (-D").append(SEED_PROPERTY).append("=...)\n")
        .append("problem: ").append(problem).append('\n')
        .append("inputs:\n");
    for (Map.Entry<String, @Nullable String> input : inputs.entrySet()) {
      if (input.getKey().equals(HOSTILITY_KEY)) {
        continue;
      }
      String value = input.getValue();
      out.append("  ").append(input.getKey()).append(" = ")
          .append(value == null ? "null" : describe(value)).append('\n');
    }
    return out.toString();
  }

  /**
   * A Java-escaped, quoted form of {@code s} in which every non-printable or non-ASCII character
   * is visible as {@code \}{@code uXXXX}; long strings are cut in the middle, with their length.
   */
  public static String describe(String s) {
    if (s.length() > 300) {
      return escape(s.substring(0, 150)) + "…" + escape(s.substring(s.length() - 100))
          + " (" + s.length() + " chars)";
    }
    return escape(s);
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\r' -> out.append("\\r");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  private String randomCodePoint() {
    int cp;
    do {
      cp = switch (random.nextInt(4)) {
        case 0 -> between(0x20, 0x7e);
        case 1 -> between(0xa0, 0x2fff);
        case 2 -> between(0x3000, 0xd7ff);
        default -> between(0x10000, 0x10ffff);
      };
    } while (!Character.isDefined(cp) || Character.getType(cp) == Character.CONTROL
        || Character.getType(cp) == Character.PRIVATE_USE || cp == 0x85 || cp == 0x2028 || cp == 0x2029);
    return new String(Character.toChars(cp));
  }

  /** Cuts to at most {@code max} chars without leaving half a surrogate pair. */
  private static String cut(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = max;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }
}
