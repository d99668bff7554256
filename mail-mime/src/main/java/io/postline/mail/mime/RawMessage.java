package io.postline.mail.mime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A MIME message's bytes split into header fields and body, without decoding anything: signing
 * works on the exact bytes that are sent.
 */
final class RawMessage {
  /** One header field: its bytes from the name to the CRLF ending its last line, included. */
  record Field(String name, int start, int end) {
    boolean is(String other) {
      return name.equalsIgnoreCase(other);
    }
  }

  final byte[] bytes;
  final List<Field> fields;
  /** Where the body starts, after the blank line. */
  final int bodyStart;

  private RawMessage(byte[] bytes, List<Field> fields, int bodyStart) {
    this.bytes = bytes;
    this.fields = fields;
    this.bodyStart = bodyStart;
  }

  /** @throws SigningException if the bytes are not a message with CRLF line ends */
  static RawMessage parse(byte[] bytes) {
    List<Field> fields = new ArrayList<>();
    int i = 0;
    while (true) {
      if (i + 1 >= bytes.length) {
        throw new SigningException("the message has no end of its header (a blank line ending in CRLF)");
      }
      if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
        return new RawMessage(bytes, List.copyOf(fields), i + 2);
      }
      int start = i;
      int colon = -1;
      // A field runs to a CRLF not followed by white space (RFC 5322 2.2.3, folding).
      while (true) {
        if (i + 1 >= bytes.length) {
          throw new SigningException("the message has no end of its header (a blank line ending in CRLF)");
        }
        if (colon < 0 && bytes[i] == ':') {
          colon = i;
        }
        if (bytes[i] == '\r' && bytes[i + 1] == '\n'
            && !(i + 2 < bytes.length && (bytes[i + 2] == ' ' || bytes[i + 2] == '\t'))) {
          i += 2;
          break;
        }
        i++;
      }
      if (colon < 0) {
        throw new SigningException("the message has a header line without a colon");
      }
      String name = new String(bytes, start, colon - start, StandardCharsets.ISO_8859_1).strip();
      fields.add(new Field(name, start, i));
    }
  }

  /** The field's value, unfolded, as ISO-8859-1 text (header bytes are ASCII). */
  String value(Field field) {
    String raw = new String(bytes, field.start(), field.end() - field.start(), StandardCharsets.ISO_8859_1);
    return raw.substring(raw.indexOf(':') + 1).replace("\r\n", "").strip();
  }

  /** The first field of that name, or null. */
  @Nullable Field first(String name) {
    for (Field f : fields) {
      if (f.is(name)) {
        return f;
      }
    }
    return null;
  }

  /**
   * The domain of the single address in the From header, lower case: what DKIM's {@code d=}
   * must align with.
   */
  String fromDomain() {
    Field from = first("From");
    if (from == null) {
      throw new SigningException("the message has no From header");
    }
    String value = value(from);
    int lt = value.lastIndexOf('<');
    String address = lt >= 0 ? value.substring(lt + 1, Math.max(lt + 1, value.indexOf('>', lt))) : value;
    int at = address.lastIndexOf('@');
    if (at < 0) {
      throw new SigningException("the From header has no address with a domain");
    }
    return address.substring(at + 1).strip().toLowerCase(Locale.ROOT);
  }
}
