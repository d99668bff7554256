package io.postline.mail;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An email address with an optional display name, validated as an RFC 5322 {@code addr-spec}.
 *
 * <p>Internationalized domain names are accepted ({@code anna@bücher.example}) and sent in their
 * ASCII (IDNA A-label, punycode) form, see {@link #asciiEmail()}. Internationalized addresses
 * (RFC 6531/6532: a local part in UTF-8, {@code jürgen@example.org}, {@code 山田@example.jp}) are
 * accepted too, and {@link #isInternationalized()} says so: they can only be sent where the whole
 * path speaks SMTPUTF8, so a provider declares whether it takes them
 * ({@code Capabilities.internationalizedAddresses()}) and an SMTP server that does not offer
 * SMTPUTF8 fails such a message before anything is sent. Their local part must be in Unicode
 * normalization form NFC (RFC 6532 3.1) and may hold no control, format (other than the joiners
 * U+200C and U+200D), space, private-use or unassigned character; its length limit, 64, counts
 * UTF-8 octets, as RFC 5321 does. Domains compare case-insensitively; local parts exactly.
 *
 * <p>A display name is one line of at most 998 characters, in any script: it is written quoted,
 * RFC 2047 encoded and folded as needed, so it reads back exactly however long it is. 998 is not
 * an RFC limit for a name (RFC 5322 sets none) but the one bound Postline puts on every header
 * text (subject, header values, display names): the length of one RFC 5322 line.
 *
 * <p>{@link #toString()} prints the address itself; use {@link #masked()} wherever the text may
 * end up in a log.
 */
public final class Address {
  private static final int MAX_LOCAL_PART = 64;
  private static final int MAX_ADDRESS = 254;
  private static final int MAX_DOMAIN = 253;
  /**
   * RFC 5322 sets no length for a display name (it is folded and encoded as needed); this is
   * Postline's bound for every header text, the same as for a subject or a header value.
   */
  private static final int MAX_NAME = 998;

  private final String email;
  private final String localPart;
  private final String asciiDomain;
  private final @Nullable String name;

  private Address(String localPart, String domain, String asciiDomain, @Nullable String name) {
    this.email = localPart + "@" + domain;
    this.localPart = localPart;
    this.asciiDomain = asciiDomain;
    this.name = name;
  }

  /**
   * An address without a display name.
   *
   * @throws InvalidEmailException if {@code email} is not a valid addr-spec
   */
  public static Address of(String email) {
    return of(email, "");
  }

  /**
   * An address with a display name; an empty name means none.
   *
   * @throws InvalidEmailException if the address does not parse, or the name holds a line break
   *     or another control character, is blank or is longer than 998 characters
   */
  public static Address of(String email, String name) {
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(name, "name");
    String problem = nameProblem(name);
    if (problem != null) {
      throw new InvalidEmailException(problem);
    }
    return addrSpec(email, name.isEmpty() ? null : name);
  }

  /**
   * Parses {@code ann@example.org}, {@code <ann@example.org>}, {@code Ann <ann@example.org>} or
   * {@code "Doe, Ann" <ann@example.org>}: exactly one address.
   *
   * @throws InvalidEmailException if the text is not one valid address
   */
  public static Address parse(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.strip();
    if (hasLineBreak(s)) {
      throw new InvalidEmailException("address contains a line break");
    }
    if (!s.endsWith(">")) {
      return addrSpec(s, null);
    }
    int open = s.lastIndexOf('<');
    if (open < 0) {
      throw new InvalidEmailException("address has '>' without '<'");
    }
    String spec = s.substring(open + 1, s.length() - 1);
    String rawName = s.substring(0, open).strip();
    String name = rawName;
    if (rawName.length() >= 2 && rawName.startsWith("\"") && rawName.endsWith("\"")) {
      name = unquote(rawName.substring(1, rawName.length() - 1));
    } else if (rawName.indexOf('"') >= 0 || rawName.indexOf('<') >= 0 || rawName.indexOf('>') >= 0) {
      throw new InvalidEmailException("display name has unbalanced quotes or angle brackets");
    }
    String problem = nameProblem(name);
    if (problem != null) {
      throw new InvalidEmailException(problem);
    }
    return addrSpec(spec, name.isEmpty() ? null : name);
  }

  /** The address as given, domain in its Unicode form: {@code anna@bücher.example}. */
  public String email() {
    return email;
  }

  /**
   * The address with its domain in ASCII (punycode) form: {@code anna@xn--bcher-kva.example}, as
   * it goes into an SMTP envelope. The local part is as given, so this is ASCII exactly when the
   * address is not {@linkplain #isInternationalized() internationalized}.
   */
  public String asciiEmail() {
    return localPart + "@" + asciiDomain;
  }

  /**
   * Whether the local part holds non-ASCII characters (RFC 6531): such an address can only be
   * sent through an SMTP server that offers SMTPUTF8, or a provider whose capabilities say it
   * takes internationalized addresses.
   */
  public boolean isInternationalized() {
    for (int i = 0; i < localPart.length(); i++) {
      if (localPart.charAt(i) > 0x7e) {
        return true;
      }
    }
    return false;
  }

  /** The part before the {@code @}. */
  public String localPart() {
    return localPart;
  }

  /** The domain in lower-case ASCII (punycode) form. */
  public String domain() {
    return asciiDomain;
  }

  /** The display name, if any. */
  public Optional<String> name() {
    return Optional.ofNullable(name);
  }

  /** The address with most of its local part hidden, for logs: {@code a***@example.org}. */
  public String masked() {
    return new String(Character.toChars(localPart.codePointAt(0))) + "***@" + asciiDomain;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Address other
        && localPart.equals(other.localPart)
        && asciiDomain.equals(other.asciiDomain)
        && Objects.equals(name, other.name);
  }

  @Override
  public int hashCode() {
    return Objects.hash(localPart, asciiDomain, name);
  }

  /** {@code Ann <ann@example.org>}, or the bare address when there is no display name. */
  @Override
  public String toString() {
    return name == null ? email : name + " <" + email + ">";
  }

  private static Address addrSpec(String spec, @Nullable String name) {
    if (spec.isEmpty()) {
      throw new InvalidEmailException("address is empty");
    }
    if (hasLineBreak(spec)) {
      throw new InvalidEmailException("address contains a line break");
    }
    int at = spec.lastIndexOf('@');
    if (at < 0) {
      throw new InvalidEmailException("address has no '@'");
    }
    String local = spec.substring(0, at);
    String domain = spec.substring(at + 1);
    String problem = localPartProblem(local);
    if (problem != null) {
      throw new InvalidEmailException("address " + problem);
    }
    String ascii = asciiDomain(domain);
    if (octets(local) + 1 + ascii.length() > MAX_ADDRESS) {
      throw new InvalidEmailException("address is longer than " + MAX_ADDRESS + " octets");
    }
    return new Address(local, domain, ascii, name);
  }

  private static @Nullable String localPartProblem(String local) {
    if (local.isEmpty()) {
      return "has nothing before '@'";
    }
    if (octets(local) > MAX_LOCAL_PART) {
      return "has a local part longer than " + MAX_LOCAL_PART + " octets (UTF-8)";
    }
    boolean nonAscii = false;
    for (int i = 0; i < local.length(); i++) {
      nonAscii |= local.charAt(i) > 0x7e;
    }
    if (nonAscii) {
      String problem = internationalizedProblem(local);
      if (problem != null) {
        return problem;
      }
    }
    if (local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"")) {
      return quotedStringProblem(local.substring(1, local.length() - 1));
    }
    if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
      return "has a local part with a leading, trailing or double dot";
    }
    for (int i = 0; i < local.length(); i++) {
      char c = local.charAt(i);
      if (c != '.' && c <= 0x7e && !isAtext(c)) {
        return "has a character not allowed in a local part (quote it)";
      }
    }
    return null;
  }

  /**
   * The rules a non-ASCII local part must meet besides those of an ASCII one (RFC 6531 3.3 and
   * 6532 3.1): NFC, and only characters that print and mean the same everywhere.
   */
  private static @Nullable String internationalizedProblem(String local) {
    if (Texts.hasBrokenSurrogate(local)) {
      return "has a local part with an unpaired surrogate";
    }
    for (int i = 0; i < local.length(); ) {
      int cp = local.codePointAt(i);
      i += Character.charCount(cp);
      if (cp <= 0x7e) {
        continue;
      }
      int type = Character.getType(cp);
      boolean joiner = cp == 0x200c || cp == 0x200d;
      if (type == Character.CONTROL || type == Character.FORMAT && !joiner || type == Character.SPACE_SEPARATOR
          || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
          || type == Character.PRIVATE_USE || type == Character.UNASSIGNED || type == Character.SURROGATE) {
        return String.format("has a non-ASCII local part with character U+%04X, which is a control, format, "
            + "space, private-use or unassigned character", cp);
      }
    }
    if (!Normalizer.isNormalized(local, Normalizer.Form.NFC)) {
      return "has a non-ASCII local part that is not in Unicode normalization form NFC (RFC 6532 3.1); "
          + "normalize it with java.text.Normalizer.normalize(text, Normalizer.Form.NFC)";
    }
    return null;
  }

  private static int octets(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static @Nullable String quotedStringProblem(String content) {
    for (int i = 0; i < content.length(); i++) {
      char c = content.charAt(i);
      if (c == '\\') {
        if (i + 1 == content.length() || content.charAt(i + 1) < 0x20) {
          return "has a bad escape in a quoted local part";
        }
        i++;
      } else if (c == '"' || c < 0x20 || c >= 0x7f && c <= 0x9f) {
        return "has a character not allowed in a quoted local part";
      }
    }
    return null;
  }

  /**
   * What keeps {@code domain} from being an ASCII host name (labels of 1 to 63 letters, digits
   * and hyphens, none starting or ending with a hyphen), or null if nothing does.
   */
  private static @Nullable String hostNameProblem(String domain) {
    int start = 0;
    for (int i = 0; i <= domain.length(); i++) {
      if (i < domain.length() && domain.charAt(i) != '.') {
        continue;
      }
      int length = i - start;
      if (length == 0 || length > 63) {
        return "address has a domain with an empty or over-long label";
      }
      if (domain.charAt(start) == '-' || domain.charAt(i - 1) == '-') {
        return "address has a domain label starting or ending with '-'";
      }
      for (int j = start; j < i; j++) {
        char c = domain.charAt(j);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
          return "address has a character not allowed in a domain";
        }
      }
      start = i + 1;
    }
    return null;
  }

  private static String asciiDomain(String domain) {
    if (domain.isEmpty()) {
      throw new InvalidEmailException("address has nothing after '@'");
    }
    if (domain.startsWith("[") && domain.endsWith("]")) {
      return domainLiteral(domain);
    }
    // An ASCII host name is what IDN.toASCII would return unchanged: taken without its cost (a
    // few microseconds an address).
    boolean plain = hostNameProblem(domain) == null;
    String ascii;
    if (plain) {
      ascii = domain.toLowerCase(Locale.ROOT);
    } else {
      try {
        ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
      } catch (IllegalArgumentException e) {
        throw new InvalidEmailException("address has a domain that is not a valid host name");
      }
    }
    if (ascii.isEmpty() || ascii.length() > MAX_DOMAIN) {
      throw new InvalidEmailException("address has a domain that is empty or too long");
    }
    String problem = plain ? null : hostNameProblem(ascii);
    if (problem != null) {
      throw new InvalidEmailException(problem);
    }
    if (ascii.substring(ascii.lastIndexOf('.') + 1).chars().allMatch(Character::isDigit)) {
      throw new InvalidEmailException(
          "address has a numeric domain; write an IP address as a literal, like [192.0.2.1]");
    }
    return ascii;
  }

  private static String domainLiteral(String literal) {
    String inner = literal.substring(1, literal.length() - 1);
    boolean valid;
    if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
      String ip = inner.substring(5);
      valid = ip.matches("[0-9A-Fa-f:.]{2,45}") && ip.indexOf(":::") < 0;
    } else {
      valid = inner.matches(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    }
    if (!valid) {
      throw new InvalidEmailException("address has a domain literal that is not an IP address");
    }
    return literal.toLowerCase(Locale.ROOT);
  }

  private static boolean isAtext(char c) {
    return c >= 'a' && c <= 'z'
        || c >= 'A' && c <= 'Z'
        || c >= '0' && c <= '9'
        || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
  }

  private static String unquote(String quoted) {
    StringBuilder out = new StringBuilder(quoted.length());
    for (int i = 0; i < quoted.length(); i++) {
      char c = quoted.charAt(i);
      if (c == '\\') {
        if (i + 1 == quoted.length()) {
          throw new InvalidEmailException("display name ends in a backslash that escapes its closing quote");
        }
        c = quoted.charAt(++i);
      } else if (c == '"') {
        throw new InvalidEmailException("display name has an unescaped quote");
      }
      out.append(c);
    }
    return out.toString();
  }

  /** Why a display name cannot be used, or null when it can. */
  static @Nullable String nameProblem(String name) {
    if (hasLineBreak(name)) {
      return "display name contains a line break";
    }
    if (Texts.hasControl(name)) {
      return "display name contains a control character";
    }
    if (Texts.hasBrokenSurrogate(name)) {
      return "display name contains an unpaired surrogate";
    }
    if (name.length() > MAX_NAME) {
      return "display name is longer than " + MAX_NAME + " characters";
    }
    if (!name.isEmpty() && name.isBlank()) {
      return "display name is blank";
    }
    return null;
  }

  private static boolean hasLineBreak(String s) {
    return Texts.hasLineBreak(s);
  }
}
