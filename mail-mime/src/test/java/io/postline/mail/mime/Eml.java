package io.postline.mail.mime;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Test helpers: parse {@code .eml} bytes back with Jakarta Mail and look inside. */
final class Eml {
  static final Session SESSION = Session.getInstance(new Properties());

  private Eml() {}

  /** Parses the bytes as a fresh message, the way a receiving client would. */
  static MimeMessage parse(byte[] eml) {
    try {
      return new MimeMessage(SESSION, new ByteArrayInputStream(eml));
    } catch (MessagingException e) {
      throw new AssertionError("could not parse the .eml", e);
    }
  }

  /** The header section: everything before the first empty line, as ASCII text. */
  static String headerSection(byte[] eml) {
    String text = new String(eml, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    return end < 0 ? text : text.substring(0, end + 2);
  }

  /** A header's raw value, unfolded and RFC 2047 decoded. */
  static String decodedHeader(Part part, String name) throws MessagingException {
    String[] raw = part.getHeader(name);
    if (raw == null || raw.length != 1) {
      throw new AssertionError("expected one " + name + " header, found "
          + (raw == null ? 0 : raw.length));
    }
    try {
      return MimeUtility.decodeText(MimeUtility.unfold(raw[0]));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The base type, lower-case: {@code multipart/mixed}. */
  static String baseType(Part part) throws MessagingException {
    return new ContentType(part.getContentType()).getBaseType().toLowerCase(java.util.Locale.ROOT);
  }

  /** A content-type parameter. */
  static String parameter(Part part, String name) throws MessagingException {
    return new ContentType(part.getContentType()).getParameter(name);
  }

  /** The parts of a multipart part. */
  static List<BodyPart> children(Part part) throws MessagingException, IOException {
    Object content = part.getContent();
    if (!(content instanceof Multipart multipart)) {
      throw new AssertionError("expected a multipart, got " + part.getContentType());
    }
    List<BodyPart> parts = new ArrayList<>();
    for (int i = 0; i < multipart.getCount(); i++) {
      parts.add(multipart.getBodyPart(i));
    }
    return parts;
  }

  /** The decoded bytes of a part. */
  static byte[] bytes(Part part) throws MessagingException, IOException {
    try (InputStream in = part.getInputStream()) {
      return in.readAllBytes();
    }
  }

  /** The decoded text of a text part. */
  static String text(Part part) throws MessagingException, IOException {
    Object content = part.getContent();
    if (!(content instanceof String s)) {
      throw new AssertionError("expected text, got " + part.getContentType());
    }
    return s;
  }

  /**
   * A tree of the message's content types, such as
   * {@code multipart/mixed[multipart/alternative[text/plain,text/html],application/pdf]}.
   */
  static String structure(Part part) throws MessagingException, IOException {
    String type = baseType(part);
    if (!type.startsWith("multipart/")) {
      return type;
    }
    List<String> inner = new ArrayList<>();
    for (BodyPart child : children(part)) {
      inner.add(structure(child));
    }
    return type + "[" + String.join(",", inner) + "]";
  }
}
