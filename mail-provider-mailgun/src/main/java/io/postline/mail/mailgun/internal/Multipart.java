package io.postline.mail.mailgun.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@code multipart/form-data} body (RFC 7578): text fields and files, in the order added. Field
 * values and file names are UTF-8; a file name's {@code "}, CR and LF are percent-encoded, as
 * browsers do.
 */
public final class Multipart {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String boundary;
  private final List<Part> parts = new ArrayList<>();

  /** A body with a random boundary. */
  public Multipart() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    this.boundary = "postline-" + HexFormat.of().formatHex(bytes);
  }

  /** Adds a text field. */
  public Multipart field(String name, String value) {
    parts.add(new Part(name, null, null, value.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  /** Adds a file. */
  public Multipart file(String name, String fileName, String contentType, byte[] content) {
    parts.add(new Part(name, Objects.requireNonNull(fileName), Objects.requireNonNull(contentType), content));
    return this;
  }

  /** The {@code Content-Type} header value, boundary included. */
  public String contentType() {
    return "multipart/form-data; boundary=" + boundary;
  }

  /** The encoded body. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Part p : parts) {
      write(out, "--" + boundary + "\r\n");
      write(out, "Content-Disposition: form-data; name=\"" + escape(p.name) + "\"");
      if (p.fileName != null) {
        write(out, "; filename=\"" + escape(p.fileName) + "\"\r\nContent-Type: " + p.contentType);
      }
      write(out, "\r\n\r\n");
      out.writeBytes(p.content);
      write(out, "\r\n");
    }
    write(out, "--" + boundary + "--\r\n");
    return out.toByteArray();
  }

  private static String escape(String s) {
    return s.replace("\"", "%22").replace("\r", "%0D").replace("\n", "%0A");
  }

  private static void write(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  private record Part(String name, @Nullable String fileName, @Nullable String contentType, byte[] content) {}
}
