package io.postline.mail.mime;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.MailException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.ParameterList;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Writes one {@link Email} straight to MIME bytes: headers, then the tree of parts, each part's
 * transfer encoding chosen while it is written. No Jakarta Mail object is built on this path, so
 * nothing pays Jakarta Mail's per-part {@code StreamProvider} service lookup.
 */
final class MessageWriter {
  private static final byte[] CRLF = {'\r', '\n'};
  /** RFC 5322 3.3 date-time with a numeric zone. */
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);
  /** RFC 2045 6.7: encoded lines of quoted-printable are at most 76 characters. */
  private static final int QP_LINE = 76;
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final char[] BOUNDARY_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

  private final ByteArrayOutputStream out;
  private final MimeChannel channel;

  private MessageWriter(int sizeHint, MimeChannel channel) {
    this.out = new ByteArrayOutputStream(sizeHint);
    this.channel = channel;
  }

  /**
   * The email as MIME bytes (RFC 5322 and 2045-2049, CRLF line ends): ASCII only for
   * {@link MimeChannel#SEVEN_BIT}, 8-bit text parts for {@link MimeChannel#EIGHT_BIT}, and UTF-8
   * addresses in headers too for {@link MimeChannel#UTF8}.
   *
   * @throws MailException if a header address is internationalized and the channel is not UTF8
   */
  static byte[] write(Email email, String messageId, Instant now, ZoneId zone, MimeChannel channel) {
    if (channel != MimeChannel.UTF8 && (email.from().isInternationalized()
        || email.to().stream().anyMatch(Address::isInternationalized)
        || email.cc().stream().anyMatch(Address::isInternationalized)
        || email.replyTo().stream().anyMatch(Address::isInternationalized))) {
      throw new MailException("the message has an address with a non-ASCII local part in its From, To, Cc or "
          + "Reply-To header, which only a channel that speaks SMTPUTF8 (RFC 6531/6532) can carry; render it "
          + "with MimeChannel.UTF8 for such a server");
    }
    MessageWriter w = new MessageWriter((int) Math.min(Integer.MAX_VALUE - 8, email.approximateSize() * 4 / 3 + 1024),
        channel);
    w.header("From", HeaderEncoder.addressList(List.of(email.from()), "From".length() + 2));
    w.addresses("To", email.to());
    w.addresses("Cc", email.cc());
    w.addresses("Reply-To", email.replyTo());
    // Bcc is deliberately never written: bcc recipients are envelope recipients only.
    w.text("Subject", email.subject().orElse(""));
    w.header("Date", DATE.format(now.atZone(zone)));
    w.header("Message-ID", messageId);
    for (Map.Entry<String, String> header : email.headers().entrySet()) {
      w.text(header.getKey(), header.getValue());
    }
    w.header("MIME-Version", "1.0");
    body(email).writeTo(w);
    return w.out.toByteArray();
  }

  /** One node of the MIME tree: writes its own Content-* headers, the blank line and its body. */
  private interface Content {
    void writeTo(MessageWriter w);
  }

  private static Content body(Email email) {
    Optional<String> text = email.text().filter(t -> !t.isEmpty());
    Optional<String> html = email.html().filter(h -> !h.isEmpty());
    List<Attachment> inline = email.attachments().stream().filter(Attachment::isInline).toList();
    boolean related = html.isPresent() && !inline.isEmpty();

    @Nullable Content htmlContent = html.map(h -> textPart(h, "html")).orElse(null);
    if (related) {
      List<Content> parts = new ArrayList<>();
      parts.add(textPart(html.get(), "html"));
      inline.forEach(a -> parts.add(attachmentPart(a)));
      htmlContent = multipart("related", parts, "text/html");
    }
    Content main;
    if (text.isPresent() && htmlContent != null) {
      main = multipart("alternative", List.of(textPart(text.get(), "plain"), htmlContent), null);
    } else if (htmlContent != null) {
      main = htmlContent;
    } else {
      // Validation guarantees a body; an email with none gets an empty text part.
      main = textPart(text.orElse(""), "plain");
    }

    List<Content> mixed = new ArrayList<>();
    for (Attachment attachment : email.attachments()) {
      if (!attachment.isInline() || !related) {
        mixed.add(attachmentPart(attachment));
      }
    }
    if (mixed.isEmpty()) {
      return main;
    }
    mixed.add(0, main);
    return multipart("mixed", mixed, null);
  }

  /**
   * UTF-8 text: 7bit when it is short-lined ASCII; 8bit when the channel takes 8-bit data and its
   * lines are short (RFC 6152: at most 998 octets, no NUL, no bare CR or LF); else quoted-printable.
   */
  private static Content textPart(String body, String subtype) {
    byte[] bytes = canonicalLineBreaks(body).getBytes(StandardCharsets.UTF_8);
    return w -> {
      w.header("Content-Type", "text/" + subtype + "; charset=UTF-8");
      String encoding = isSevenBit(bytes) ? "7bit"
          : w.channel != MimeChannel.SEVEN_BIT && isEightBitClean(bytes) ? "8bit" : "quoted-printable";
      w.header("Content-Transfer-Encoding", encoding);
      w.crlf();
      if (encoding.equals("quoted-printable")) {
        w.quotedPrintable(bytes);
      } else {
        w.out.writeBytes(bytes);
      }
    };
  }

  private static Content multipart(String subtype, List<Content> children, @Nullable String type) {
    return w -> {
      String boundary = boundary();
      List<Map.Entry<String, String>> parameters = new ArrayList<>();
      parameters.add(Map.entry("boundary", boundary));
      if (type != null) {
        // RFC 2387: multipart/related names the type of its root part.
        parameters.add(Map.entry("type", type));
      }
      w.header("Content-Type", HeaderEncoder.withParameters("multipart/" + subtype, parameters,
          "Content-Type".length() + 2));
      w.crlf();
      for (Content child : children) {
        w.ascii("--" + boundary);
        w.crlf();
        child.writeTo(w);
        w.crlf();
      }
      w.ascii("--" + boundary + "--");
      w.crlf();
    };
  }

  private static Content attachmentPart(Attachment attachment) {
    return w -> {
      ContentType declared = contentType(attachment);
      List<Map.Entry<String, String>> parameters = new ArrayList<>();
      ParameterList declaredParameters = declared.getParameterList();
      if (declaredParameters != null) {
        for (Enumeration<String> names = declaredParameters.getNames(); names.hasMoreElements(); ) {
          String name = names.nextElement();
          if (!name.equalsIgnoreCase("name")) {
            parameters.add(Map.entry(name, declaredParameters.get(name)));
          }
        }
      }
      // The name parameter is not standard, but some mail clients still look only there.
      parameters.add(Map.entry("name", attachment.fileName()));
      w.header("Content-Type", HeaderEncoder.withParameters(declared.getBaseType(), parameters,
          "Content-Type".length() + 2));
      String encoding = transferEncoding(attachment, declared);
      w.header("Content-Transfer-Encoding", encoding);
      w.header("Content-Disposition", HeaderEncoder.withParameters(
          attachment.isInline() ? "inline" : "attachment",
          List.of(Map.entry("filename", attachment.fileName())),
          "Content-Disposition".length() + 2));
      if (attachment.contentId().isPresent()) {
        w.header("Content-ID", "<" + attachment.contentId().get() + ">");
      }
      w.crlf();
      byte[] content = attachment.content();
      if (encoding.equals("base64")) {
        w.out.writeBytes(Base64.getMimeEncoder(QP_LINE, CRLF).encode(content));
      } else {
        w.out.writeBytes(content);
      }
    };
  }

  /**
   * Base64 for every attachment, except composite types: RFC 2046 (5.1, 5.2.1) allows only 7bit,
   * 8bit or binary for {@code message/*} and {@code multipart/*}. Their content goes as it is, so
   * it must already be lines of at most 998 bytes ending in CRLF, without NUL; anything else
   * cannot be sent under that type and is refused rather than corrupted.
   */
  private static String transferEncoding(Attachment attachment, ContentType type) {
    if (!type.match("message/*") && !type.match("multipart/*")) {
      return "base64";
    }
    byte[] content = attachment.content();
    boolean eightBit = false;
    int line = 0;
    for (int i = 0; i < content.length; i++) {
      byte b = content[i];
      if (b == '\r' && i + 1 < content.length && content[i + 1] == '\n') {
        i++;
        line = 0;
        continue;
      }
      if (b == 0 || b == '\r' || b == '\n' || ++line > HeaderEncoder.HARD_LIMIT) {
        throw new MailException("attachment " + attachment.fileName() + " of composite type "
            + type.getBaseType() + " cannot be sent: RFC 2046 allows no base64 for it, and its "
            + "content is not lines of at most 998 bytes ending in CRLF; attach it as "
            + "application/octet-stream instead");
      }
      eightBit |= b < 0;
    }
    return eightBit ? "8bit" : "7bit";
  }

  /** The attachment's declared type, parsed by Jakarta Mail's parser (no encoding involved). */
  private static ContentType contentType(Attachment attachment) {
    try {
      return new ContentType(attachment.contentType());
    } catch (ParseException e) {
      throw new MailException("attachment " + attachment.fileName() + " has a content type that does not parse", e);
    }
  }

  /** ASCII without NUL, every line (CRLF-separated) at most 998 bytes. */
  private static boolean isSevenBit(byte[] bytes) {
    return shortLines(bytes, false);
  }

  /** RFC 6152 / 2045 2.8: no NUL, no CR or LF outside CRLF, every line at most 998 octets. */
  private static boolean isEightBitClean(byte[] bytes) {
    return shortLines(bytes, true);
  }

  private static boolean shortLines(byte[] bytes, boolean eightBit) {
    int line = 0;
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      if (b == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n') {
        i++;
        line = 0;
      } else if (b == 0 || b < 0 && !eightBit || b == '\r' || b == '\n' || ++line > HeaderEncoder.HARD_LIMIT) {
        return false;
      }
    }
    return true;
  }

  /** RFC 2045 6.7, CRLF kept as hard line breaks, white space before one encoded. */
  private void quotedPrintable(byte[] bytes) {
    int column = 0;
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean lineEnd = i + 1 >= bytes.length || (bytes[i + 1] == '\r' && i + 2 < bytes.length && bytes[i + 2] == '\n');
      if (b == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n') {
        out.writeBytes(CRLF);
        column = 0;
        i++;
        continue;
      }
      boolean literal = b >= 33 && b <= 126 && b != '=' || (b == ' ' || b == '\t') && !lineEnd;
      int width = literal ? 1 : 3;
      // Room for the '=' of a soft line break at the end of the line.
      if (column + width > QP_LINE - 1) {
        out.write('=');
        out.writeBytes(CRLF);
        column = 0;
      }
      if (literal) {
        out.write(b);
      } else {
        out.write('=');
        out.write(HEX[b >> 4]);
        out.write(HEX[b & 0xf]);
      }
      column += width;
    }
  }

  private static String boundary() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[24];
    for (int i = 0; i < id.length; i++) {
      id[i] = BOUNDARY_CHARS[random.nextInt(BOUNDARY_CHARS.length)];
    }
    return "postline-" + new String(id);
  }

  private void addresses(String name, List<Address> addresses) {
    if (!addresses.isEmpty()) {
      header(name, HeaderEncoder.addressList(addresses, name.length() + 2));
    }
  }

  private void text(String name, String value) {
    header(name, HeaderEncoder.text(value, name.length() + 2));
  }

  /**
   * Writes a header after checking that it is safe to write as it is: ASCII (or, on a
   * {@link MimeChannel#UTF8} channel, UTF-8 text without C1 controls, RFC 6532), lines folded with
   * CRLF and white space, none over 998 octets. A failure here is a bug, never user input.
   */
  private void header(String name, String value) {
    boolean utf8 = channel == MimeChannel.UTF8;
    int line = name.length() + 2;
    boolean nonAscii = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' && i + 2 < value.length() && value.charAt(i + 1) == '\n'
          && (value.charAt(i + 2) == ' ' || value.charAt(i + 2) == '\t')) {
        i++;
        line = 0;
        continue;
      }
      boolean allowed = c == '\t' || c >= 0x20 && c <= 0x7e || utf8 && c > 0x9f;
      // UTF-8 octets: 2 below U+0800, 3 up to U+FFFF, 4 for a surrogate pair (2 per half).
      line += c <= 0x7f ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
      nonAscii |= c > 0x7f;
      if (!allowed || line > HeaderEncoder.HARD_LIMIT) {
        throw new MailException("the " + name + " header cannot be written safely "
            + "(a control or non-ASCII character, or a line over "
            + HeaderEncoder.HARD_LIMIT + " octets)");
      }
    }
    ascii(name);
    ascii(": ");
    if (nonAscii) {
      out.writeBytes(value.getBytes(StandardCharsets.UTF_8));
    } else {
      ascii(value);
    }
    crlf();
  }

  private void ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      out.write(s.charAt(i));
    }
  }

  private void crlf() {
    out.writeBytes(CRLF);
  }

  /** Text bodies are sent in canonical form: every line break is CRLF (RFC 2046 4.1.1). */
  static String canonicalLineBreaks(String body) {
    if (body.indexOf('\r') < 0 && body.indexOf('\n') < 0) {
      return body;
    }
    StringBuilder out = new StringBuilder(body.length() + 64);
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\r') {
        if (i + 1 < body.length() && body.charAt(i + 1) == '\n') {
          i++;
        }
        out.append("\r\n");
      } else if (c == '\n') {
        out.append("\r\n");
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
