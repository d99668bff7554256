package io.postline.mail.mime;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.testing.HostileInputs;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A seeded generator of valid emails that are hard to write as MIME: every script, emoji,
 * quotes, encoded-word look-alikes glued to words or in parentheses, long lines, dots and
 * "From " at line starts, binary and forwarded-message attachments, odd file names, inline parts
 * and custom headers. The same seed gives the same email; every email it makes is valid (the
 * builder accepting it is part of what the round-trip test checks).
 */
final class RandomEmails {
  /** Text a lenient reader might decode: whole encoded-words, halves and broken ones. */
  static final List<String> LOOK_ALIKES = List.of(
      "=?UTF-8?Q?glued?=", "=?ISO-8859-1?Q?caf=E9?=", "=?utf-8?b?SGk=?=", "=?", "?=",
      "=?UTF-8?Q??=", "=?x?q?a_b?=", "=?UTF-8*en?Q?x?=", "=?UTF-8?B?", "=?US-ASCII?Q?a?==?US-ASCII?Q?b?=");
  private static final List<String> ODD_FILE_NAMES = List.of(
      "=?ISO-8859-1?Q?caf=E9?=.pdf", "UTF-8''x.pdf", "a \"b\".pdf", "semi;colon=.txt", "%41%42.txt",
      "name*=x", " lead.txt", "trail.txt ", "..hidden", "a  b.txt", "日本語の報告書.txt",
      "x".repeat(255), "é".repeat(255), "😀".repeat(127), "file.tar.gz", "'quoted'", "back`tick",
      "(=?UTF-8?Q?paren?=).pdf", "a,b.pdf", "<angle>.pdf", "q?.txt", "a\"b", "%");
  private static final List<String> TYPES = List.of(
      "application/pdf", "image/png", "application/octet-stream", "text/plain",
      "text/csv; charset=utf-8", "application/x-custom; a=\"b; c\"", "text/plain; x=\"Grüße\"",
      "application/x-odd; note=\"=?UTF-8?Q?x?=\"", "message/rfc822");
  private static final List<String> LINE_BREAKS = List.of("\n", "\r\n", "\r", "\n\n", "\r\n\r\n");

  private final HostileInputs g;

  RandomEmails(long seed) {
    this.g = new HostileInputs(seed, 0.0);
  }

  /** The next email; its fields come from the seed alone. */
  Email email() {
    Email.Builder b = Email.builder().from(address());
    for (int i = g.between(1, 3); i > 0; i--) {
      b.to(address());
    }
    for (int i = g.between(0, 2); i > 0; i--) {
      b.cc(address());
    }
    for (int i = g.between(0, 2); i > 0; i--) {
      b.bcc(address());
    }
    if (g.chance(0.3)) {
      b.replyTo(address());
    }
    b.subject(g.chance(0.1) ? g.trickyText(998) : hardText(200));
    boolean text = g.chance(0.8);
    if (text) {
      b.text(body());
    }
    if (!text || g.chance(0.6)) {
      b.html("<p>" + body() + "</p><img src=\"cid:logo\">");
    }
    Set<String> contentIds = new HashSet<>();
    for (int i = g.chance(0.5) ? g.between(1, 3) : 0; i > 0; i--) {
      b.attach(attachment(contentIds));
    }
    Set<String> headerNames = new HashSet<>();
    for (int i = g.between(0, 3); i > 0; i--) {
      String name = g.headerName();
      if (headerNames.add(name.toLowerCase(Locale.ROOT))) {
        b.header(name, g.chance(0.5) ? g.headerValue() : hardText(300));
      }
    }
    return b.build();
  }

  private Address address() {
    String name = switch (g.between(0, 4)) {
      case 0 -> "";
      case 1 -> g.displayName();
      case 2 -> g.chance(0.2) ? g.trickyText(998) : g.trickyText(120);
      default -> hardText(80);
    };
    return Address.of(g.validAddressSpec(), name.isBlank() ? g.pick(HostileInputs.WORDS) : name);
  }

  /** One line of awkward text: look-alikes glued to words or in parentheses, quotes, scripts. */
  private String hardText(int max) {
    StringBuilder out = new StringBuilder();
    for (int i = g.between(1, 6); i > 0; i--) {
      switch (g.between(0, 5)) {
        case 0 -> out.append(g.pick(HostileInputs.WORDS)).append(g.pick(LOOK_ALIKES));
        case 1 -> out.append('(').append(g.pick(LOOK_ALIKES)).append(')');
        case 2 -> out.append('"').append(g.trickyText(20)).append('"');
        case 3 -> out.append(g.pick(LOOK_ALIKES)).append(g.pick(HostileInputs.SCRIPTS));
        default -> out.append(g.trickyText(40));
      }
    }
    return cut(out.toString(), max);
  }

  /** Lines of every kind, joined by every kind of line break. */
  private String body() {
    StringBuilder out = new StringBuilder();
    for (int i = g.between(1, 20); i > 0; i--) {
      out.append(switch (g.between(0, 9)) {
        case 0 -> ".";
        case 1 -> ".." + g.trickyText(30);
        case 2 -> "From " + g.trickyText(30);
        case 3 -> g.trickyText(2000).replace(' ', 'x'); // a line too long for SMTP, no blank to break at
        case 4 -> "";
        case 5 -> hardText(100) + "  ";
        case 6 -> g.body();
        default -> g.trickyText(100);
      });
      out.append(g.pick(LINE_BREAKS));
    }
    return out.toString();
  }

  private Attachment attachment(Set<String> contentIds) {
    String type = g.pick(TYPES);
    byte[] content = type.startsWith("message/")
        ? ("Subject: Fwd: " + g.trickyText(60) + "\r\n\r\n" + g.trickyText(200) + "\r\n.\r\n")
            .getBytes(StandardCharsets.UTF_8) // a forwarded message: CRLF lines, sent as 8bit
        : g.bytes(g.chance(0.1) ? g.between(1000, 20_000) : g.between(0, 64));
    String name = fileName();
    if (!g.chance(0.3)) {
      return Attachment.of(name, content, type);
    }
    String id = g.contentId();
    if (!contentIds.add(id)) {
      id = "p" + contentIds.size() + "." + id.substring(0, Math.min(id.length(), 100));
      contentIds.add(id);
    }
    return g.chance(0.5) && id.indexOf('/') < 0 ? Attachment.inline(id, content, type)
        : Attachment.inline(id, name, content, type);
  }

  private String fileName() {
    String name = switch (g.between(0, 3)) {
      case 0 -> g.pick(ODD_FILE_NAMES);
      case 1 -> g.pick(HostileInputs.WORDS) + g.pick(LOOK_ALIKES) + ".pdf";
      default -> g.fileName();
    };
    // Bidirectional overrides are refused in file names (they disguise the extension).
    name = name.replaceAll("[\u202A-\u202E\u2066-\u2069]", "");
    return name.isBlank() || name.equals(".") || name.equals("..") ? "file.bin" : name;
  }

  private static String cut(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    return s.substring(0, Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max);
  }
}
