package io.postline.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.testing.HostileInputs;
import jakarta.mail.BodyPart;
import jakarta.mail.Header;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Round trip through readers no one here wrote: random valid emails ({@link RandomEmails}) are
 * rendered to {@code .eml} and read back by Jakarta Mail and by Python's standard {@code email}
 * package, and both must give back exactly what the sender gave: subject, display names and
 * addresses, custom header values, bodies (line ends normalised), and each attachment's type,
 * disposition, file name, {@code name} parameter, content id and bytes. No {@code Bcc} header,
 * and no defect reported by Python. Python's reading is exact too, but for two things its
 * {@code email} package changes in any sender's message, its own included (see
 * {@link #pythonExpected}): white space in encoded display names, and around file names from
 * {@code get_filename()}.
 *
 * <p>A failure names the base seed; rerun the same emails with
 * {@code -Dpostline.hostile.seed=<seed>}, and another interpreter with
 * {@code -Dpostline.python=/usr/bin/python3}.
 */
class MimeRoundTripTest {
  private static final int EMAILS = 1000;
  private static final int REPORTED = 5;
  /** The headers every rendered message has; all others are the email's custom headers. */
  private static final Set<String> STANDARD = Set.of("from", "to", "cc", "reply-to", "subject",
      "date", "message-id", "mime-version", "content-type", "content-transfer-encoding");

  private final MimeRenderer renderer = MimeRenderer.defaults();

  private record Case(int index, long seed, Email email, byte[] eml) {}

  @Test
  void randomEmailsReadBackExactlyInJakartaMailAndPythonsEmailPackage() throws Exception {
    long base = HostileInputs.baseSeed();
    List<Case> cases = new ArrayList<>(EMAILS);
    for (int i = 0; i < EMAILS; i++) {
      long seed = HostileInputs.caseSeed(base, i);
      try {
        Email email = new RandomEmails(seed).email();
        cases.add(new Case(i, seed, email, renderer.toEml(email)));
      } catch (RuntimeException e) {
        throw new AssertionError("email " + i + " (case seed " + seed + ") could not be built or "
            + "rendered; " + rerun(base), e);
      }
    }
    // Python reads while Jakarta Mail does.
    CompletableFuture<List<Map<String, String>>> python =
        PythonEmailReader.read(cases.stream().map(Case::eml).toList());
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      compare("Jakarta Mail", c, expected(c.email()), jakarta(c.eml()), failures);
    }
    List<Map<String, String>> read = python.join();
    for (Case c : cases) {
      Map<String, String> expected = pythonExpected(c.email(), expected(c.email()));
      compare("Python email", c, expected, pythonView(c.email(), read.get(c.index())), failures);
    }
    assertThat(failures.size())
        .as("%d readings of %d emails differ from what was sent; %s; the first %d:%n%s",
            failures.size(), EMAILS, rerun(base), REPORTED,
            String.join("\n", failures.subList(0, Math.min(REPORTED, failures.size()))))
        .isZero();
  }

  private static String rerun(long base) {
    return "base seed " + base + " (rerun: -D" + HostileInputs.SEED_PROPERTY + "=" + base + ")";
  }

  /** What every reader must give back, keyed as python_readback.py keys it. */
  static Map<String, String> expected(Email email) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("subject", email.subject().orElseThrow());
    addresses(out, "from", List.of(email.from()));
    addresses(out, "to", email.to());
    addresses(out, "cc", email.cc());
    addresses(out, "reply-to", email.replyTo());
    email.headers().forEach((name, value) -> out.put("header." + name.toLowerCase(Locale.ROOT), value));
    email.text().filter(t -> !t.isEmpty()).ifPresent(t -> out.put("text.0", t));
    email.html().filter(h -> !h.isEmpty()).ifPresent(h -> out.put("html.0", h));

    boolean related = email.html().filter(h -> !h.isEmpty()).isPresent()
        && email.attachments().stream().anyMatch(Attachment::isInline);
    List<Attachment> files = new ArrayList<>();
    if (related) { // the inline parts sit in multipart/related, before the other attachments
      email.attachments().stream().filter(Attachment::isInline).forEach(files::add);
      email.attachments().stream().filter(a -> !a.isInline()).forEach(files::add);
    } else {
      files.addAll(email.attachments());
    }
    for (int i = 0; i < files.size(); i++) {
      Attachment a = files.get(i);
      String key = "part." + i + ".";
      out.put(key + "type", a.contentType().replaceFirst(";.*", "").strip().toLowerCase(Locale.ROOT));
      out.put(key + "disposition", a.isInline() ? Part.INLINE : Part.ATTACHMENT);
      out.put(key + "filename", a.fileName());
      out.put(key + "name", a.fileName());
      out.put(key + "cid", a.contentId().map(id -> "<" + id + ">").orElse("None"));
      out.put(key + "sha256", sha256(a.content()));
    }
    return out;
  }

  /**
   * What Python must give back: {@link #expected} with two differences that no sender can avoid,
   * both in Python's own round trip too. {@code get_filename()} strips white space from the name
   * (the {@code filename} parameter itself reads back exactly); and see {@link #pythonView}.
   */
  private static Map<String, String> pythonExpected(Email email, Map<String, String> expected) {
    Map<String, String> out = new LinkedHashMap<>(expected);
    expected.forEach((key, value) -> {
      if (key.endsWith(".filename")) {
        out.put(key.replace(".filename", ".get_filename"), pythonStrip(value));
      }
    });
    return pythonView(email, out);
  }

  /**
   * Python's header registry reads an encoded display name with each run of white space inside
   * an encoded-word as one space (a blank followed by a no-break space included), and a space
   * between adjacent encoded-words, which RFC 2047 (6.2) says to ignore: so a name that needs
   * encoded-words is compared without its white space, and exactly otherwise (atoms and quoted
   * strings read back exactly).
   */
  private static Map<String, String> pythonView(Email email, Map<String, String> read) {
    Map<String, String> out = new LinkedHashMap<>(read);
    out.replaceAll((key, value) -> key.endsWith(".name") && !key.startsWith("part.")
        && isEncoded(email, key) ? withoutSpaces(value) : value);
    return out;
  }

  private static boolean isEncoded(Email email, String key) {
    String[] path = key.split("\\.");
    List<Address> field = switch (path[0]) {
      case "from" -> List.of(email.from());
      case "to" -> email.to();
      case "cc" -> email.cc();
      default -> email.replyTo();
    };
    int index = Integer.parseInt(path[1]);
    return index < field.size() && field.get(index).name()
        .map(name -> String.join("", HeaderEncoder.phrase(name)).contains("=?")).orElse(false);
  }

  private static String withoutSpaces(String s) {
    StringBuilder out = new StringBuilder(s.length());
    s.chars().filter(c -> !isPythonSpace((char) c)).forEach(c -> out.append((char) c));
    return out.toString();
  }

  /** Python's {@code str.strip()}: Unicode white space, the no-break spaces included. */
  private static String pythonStrip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isPythonSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isPythonSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean isPythonSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c);
  }

  private static void addresses(Map<String, String> out, String field, List<Address> addresses) {
    for (int i = 0; i < addresses.size(); i++) {
      out.put(field + "." + i + ".name", addresses.get(i).name().orElse(""));
      out.put(field + "." + i + ".addr", addresses.get(i).asciiEmail());
    }
  }

  /** What Jakarta Mail reads from the message, keyed the same way. */
  static Map<String, String> jakarta(byte[] eml) throws Exception {
    MimeMessage m = Eml.parse(eml);
    Map<String, String> out = new LinkedHashMap<>();
    out.put("subject", String.valueOf(m.getSubject()));
    addresses(out, "from", m.getFrom());
    addresses(out, "to", m.getRecipients(RecipientType.TO));
    addresses(out, "cc", m.getRecipients(RecipientType.CC));
    addresses(out, "reply-to", m.getHeader("Reply-To") == null ? null : m.getReplyTo());
    if (m.getHeader("Bcc") != null) {
      out.put("bcc", m.getHeader("Bcc")[0]);
    }
    for (Enumeration<Header> headers = m.getAllHeaders(); headers.hasMoreElements(); ) {
      String name = headers.nextElement().getName();
      if (!STANDARD.contains(name.toLowerCase(Locale.ROOT))) {
        out.put("header." + name.toLowerCase(Locale.ROOT), Eml.decodedHeader(m, name));
      }
    }
    List<String> texts = new ArrayList<>();
    List<String> htmls = new ArrayList<>();
    List<Part> files = new ArrayList<>();
    collect(m, texts, htmls, files);
    for (int i = 0; i < texts.size(); i++) {
      out.put("text." + i, texts.get(i));
    }
    for (int i = 0; i < htmls.size(); i++) {
      out.put("html." + i, htmls.get(i));
    }
    for (int i = 0; i < files.size(); i++) {
      Part part = files.get(i);
      String key = "part." + i + ".";
      out.put(key + "type", Eml.baseType(part));
      out.put(key + "disposition", String.valueOf(part.getDisposition()));
      out.put(key + "filename", String.valueOf(part.getFileName()));
      out.put(key + "name", String.valueOf(Eml.parameter(part, "name")));
      String[] ids = part.getHeader("Content-ID");
      out.put(key + "cid", ids == null ? "None" : ids[0]);
      out.put(key + "sha256", sha256(Eml.bytes(part)));
    }
    return out;
  }

  private static void addresses(Map<String, String> out, String field, jakarta.mail.Address[] addresses) {
    for (int i = 0; addresses != null && i < addresses.length; i++) {
      InternetAddress address = (InternetAddress) addresses[i];
      out.put(field + "." + i + ".name", Objects.requireNonNullElse(address.getPersonal(), ""));
      out.put(field + "." + i + ".addr", address.getAddress());
    }
  }

  private static void collect(Part part, List<String> texts, List<String> htmls, List<Part> files)
      throws Exception {
    String type = Eml.baseType(part);
    if (type.startsWith("multipart/")) {
      for (BodyPart child : Eml.children(part)) {
        collect(child, texts, htmls, files);
      }
    } else if (part.getDisposition() == null && type.equals("text/plain")) {
      texts.add(Eml.text(part));
    } else if (part.getDisposition() == null && type.equals("text/html")) {
      htmls.add(Eml.text(part));
    } else {
      files.add(part);
    }
  }

  /** Bodies compare after line-end normalisation: MIME text travels with CRLF. */
  private static String normalised(String body) {
    return body.replace("\r\n", "\n").replace('\r', '\n');
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Adds one line per key that differs; bodies only by length and where they first differ. */
  private static void compare(String reader, Case c, Map<String, String> expected,
      Map<String, String> actual, List<String> failures) {
    Set<String> keys = new TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    StringBuilder diff = new StringBuilder();
    for (String key : keys) {
      String want = expected.get(key);
      String got = actual.get(key);
      if (key.startsWith("text.") || key.startsWith("html.")) {
        want = want == null ? null : normalised(want);
        got = got == null ? null : normalised(got);
      }
      if (!Objects.equals(want, got)) {
        diff.append("\n    ").append(key).append(": ");
        if (key.startsWith("text.") || key.startsWith("html.")) {
          diff.append(bodyDifference(want, got));
        } else {
          diff.append("sent ").append(want == null ? "nothing" : HostileInputs.describe(want))
              .append(", read ").append(got == null ? "nothing" : HostileInputs.describe(got));
        }
      }
    }
    if (diff.length() > 0) {
      failures.add("  " + reader + ", email " + c.index() + " (case seed " + c.seed() + "):" + diff);
    }
  }

  private static String bodyDifference(String want, String got) {
    if (want == null || got == null) {
      return want == null ? "a body that was not sent" : "the body is missing";
    }
    int at = 0;
    while (at < Math.min(want.length(), got.length()) && want.charAt(at) == got.charAt(at)) {
      at++;
    }
    return "sent " + want.length() + " chars, read " + got.length() + ", first difference at "
        + at + ": sent " + HostileInputs.describe(window(want, at)) + ", read "
        + HostileInputs.describe(window(got, at));
  }

  private static String window(String s, int at) {
    return s.substring(Math.max(0, at - 10), Math.min(s.length(), at + 20));
  }
}
