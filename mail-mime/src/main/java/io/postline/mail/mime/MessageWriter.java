package io.postline.mail.mime;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.MailException;
import jakarta.activation.DataHandler;
import jakarta.activation.DataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.ParameterList;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Builds the {@link MimeMessage} for one {@link Email}: headers, then the tree of parts. */
final class MessageWriter {
  private static final String UTF_8 = "UTF-8";
  /** RFC 5322 3.3 date-time with a numeric zone. */
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

  private MessageWriter() {}

  /** One node of the MIME tree, written into the part (message or body part) that holds it. */
  private interface Content {
    void writeTo(MimePart part) throws MessagingException;
  }

  static MimeMessage write(Email email, Session session, String messageId, Instant now, ZoneId zone)
      throws MessagingException {
    RenderedMessage message = new RenderedMessage(session);
    setHeader(message, "From", HeaderEncoder.addressList(List.of(email.from()), "From".length() + 2));
    setAddresses(message, "To", email.to());
    setAddresses(message, "Cc", email.cc());
    setAddresses(message, "Reply-To", email.replyTo());
    // Bcc is deliberately never written: bcc recipients are envelope recipients only.
    setText(message, "Subject", email.subject().orElse(""));
    setHeader(message, "Date", DATE.format(now.atZone(zone)));
    setHeader(message, "Message-ID", messageId);
    for (Map.Entry<String, String> header : email.headers().entrySet()) {
      setText(message, header.getKey(), header.getValue());
    }
    body(email).writeTo(message);
    message.saveChanges();
    return message;
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

  private static Content textPart(String body, String subtype) {
    String canonical = canonicalLineBreaks(body);
    return part -> part.setText(canonical, UTF_8, subtype);
  }

  private static Content multipart(String subtype, List<Content> children, @Nullable String type) {
    return part -> {
      MimeMultipart multipart = new MimeMultipart(subtype);
      for (Content child : children) {
        MimeBodyPart bodyPart = new MimeBodyPart();
        child.writeTo(bodyPart);
        multipart.addBodyPart(bodyPart);
      }
      part.setContent(multipart);
      if (type != null) {
        // RFC 2387: multipart/related names the type of its root part.
        ContentType contentType = new ContentType(multipart.getContentType());
        contentType.setParameter("type", type);
        part.setHeader("Content-Type", contentType.toString());
      }
    };
  }

  private static Content attachmentPart(Attachment attachment) {
    return part -> {
      part.setDataHandler(new DataHandler(new AttachmentSource(attachment)));
      ContentType declared = new ContentType(attachment.contentType());
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
      setHeader(part, "Content-Type", HeaderEncoder.withParameters(
          declared.getBaseType(), parameters, "Content-Type".length() + 2));
      setHeader(part, "Content-Transfer-Encoding", transferEncoding(attachment, declared));
      setHeader(part, "Content-Disposition", HeaderEncoder.withParameters(
          attachment.isInline() ? Part.INLINE : Part.ATTACHMENT,
          List.of(Map.entry("filename", attachment.fileName())),
          "Content-Disposition".length() + 2));
      if (attachment.contentId().isPresent()) {
        setHeader(part, "Content-ID", "<" + attachment.contentId().get() + ">");
      }
    };
  }

  /**
   * Base64 for every attachment, except composite types: RFC 2046 (5.1, 5.2.1) allows only 7bit,
   * 8bit or binary for {@code message/*} and {@code multipart/*}, and Jakarta Mail would write
   * such a part unencoded under a base64 header. Their content goes as it is, so it must already
   * be lines of at most 998 bytes ending in CRLF, without NUL; anything else cannot be sent under
   * that type and is refused rather than corrupted.
   */
  private static String transferEncoding(Attachment attachment, ContentType type)
      throws MessagingException {
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

  private static void setAddresses(MimePart part, String name, List<Address> addresses)
      throws MessagingException {
    if (!addresses.isEmpty()) {
      setHeader(part, name, HeaderEncoder.addressList(addresses, name.length() + 2));
    }
  }

  private static void setText(MimePart part, String name, String value) throws MessagingException {
    setHeader(part, name, HeaderEncoder.text(value, name.length() + 2));
  }

  /**
   * Sets a header after checking that it is safe to write as it is: ASCII, lines folded with
   * CRLF and white space, none over 998 characters. A failure here is a bug, never user input.
   */
  private static void setHeader(MimePart part, String name, String value) throws MessagingException {
    int line = name.length() + 2;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' && i + 2 < value.length() && value.charAt(i + 1) == '\n'
          && (value.charAt(i + 2) == ' ' || value.charAt(i + 2) == '\t')) {
        i++;
        line = 0;
      } else if (c != '\t' && (c < 0x20 || c > 0x7e) || ++line > HeaderEncoder.HARD_LIMIT) {
        throw new MailException("the " + name + " header cannot be written safely "
            + "(a control or non-ASCII character, or a line over "
            + HeaderEncoder.HARD_LIMIT + " characters)");
      }
    }
    part.setHeader(name, value);
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

  /** Serves an attachment's bytes without copying them. */
  private record AttachmentSource(Attachment attachment) implements DataSource {
    @Override
    public InputStream getInputStream() {
      return attachment.openStream();
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      throw new IOException("attachments are read-only");
    }

    @Override
    public String getContentType() {
      return attachment.contentType();
    }

    @Override
    public String getName() {
      return attachment.fileName();
    }
  }
}
