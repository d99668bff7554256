package io.postline.mail.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Unbuffered CRLF line I/O for the test servers, so that a socket can switch to TLS between lines. */
final class Lines {
  private Lines() {}

  /** One line without its CRLF, or null at the end of the stream. */
  static @Nullable String read(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
  }

  /** Writes the line and CRLF, and flushes. */
  static void write(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Reads one (possibly multi-line) SMTP reply, or null at the end of the stream. */
  static @Nullable String readReply(InputStream in) throws IOException {
    StringBuilder reply = new StringBuilder();
    while (true) {
      String line = read(in);
      if (line == null) {
        return reply.length() == 0 ? null : reply.toString();
      }
      reply.append(reply.length() == 0 ? "" : "\r\n").append(line);
      if (line.length() < 4 || line.charAt(3) != '-') {
        return reply.toString();
      }
    }
  }
}
