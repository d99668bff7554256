package io.postline.mail.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The ceiling of scenario 3: an SMTP client on a raw socket that does nothing but move bytes.
 * The message is written as MIME once, up front (only its Message-ID changes per message), and
 * commands are pipelined (RFC 2920) as far as SMTP allows: the end of one message's data goes
 * out together with the next message's MAIL, RCPT and DATA, so each message costs one round
 * trip instead of Angus Mail's four.
 */
final class RawSmtpClient {
  private static final byte[] ENVELOPE = ascii("MAIL FROM:<" + BenchMail.FROM + ">\r\nRCPT TO:<" + BenchMail.TO
      + ">\r\nDATA\r\n");
  private static final byte[] END = ascii(".\r\n");
  private static final String BOUNDARY = "----=_Part_bench_0";

  private final byte[] head;
  private final byte[] body;

  RawSmtpClient() {
    head = ascii("Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n"
        + "From: " + BenchMail.FROM_NAME + " <" + BenchMail.FROM + ">\r\n"
        + "To: " + BenchMail.TO_NAME + " <" + BenchMail.TO + ">\r\n"
        + "Subject: " + BenchMail.SUBJECT + "\r\n"
        + "Message-ID: <");
    body = ascii("@bench.example.org>\r\n"
        + "MIME-Version: 1.0\r\n"
        + "Content-Type: multipart/alternative; boundary=\"" + BOUNDARY + "\"\r\n"
        + "\r\n"
        + "--" + BOUNDARY + "\r\n"
        + "Content-Type: text/plain; charset=us-ascii\r\n"
        + "Content-Transfer-Encoding: 7bit\r\n"
        + "\r\n"
        + stuffed(BenchMail.TEXT)
        + "\r\n--" + BOUNDARY + "\r\n"
        + "Content-Type: text/html; charset=us-ascii\r\n"
        + "Content-Transfer-Encoding: 7bit\r\n"
        + "\r\n"
        + stuffed(BenchMail.HTML)
        + "\r\n--" + BOUNDARY + "--\r\n");
  }

  /** Bytes of one message as sent, terminating dot excluded. */
  int messageBytes() {
    return head.length + 12 + body.length;
  }

  /**
   * Opens one connection, sends {@code count} messages over it, and quits.
   *
   * @param first a number for the first message's Message-ID, so that ids are unique
   * @throws IOException on any reply other than the expected one
   */
  void send(int port, int count, long first) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
      socket.setSoTimeout(60_000);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      expect(in, 220);
      out.write(ascii("EHLO bench.example.org\r\n"));
      out.flush();
      if (!expect(in, 250).contains("PIPELINING")) {
        throw new IOException("the server does not offer PIPELINING");
      }
      if (count > 0) {
        out.write(ENVELOPE);
        out.flush();
      }
      for (int i = 0; i < count; i++) {
        expect(in, 250);
        expect(in, 250);
        expect(in, 354);
        out.write(head);
        out.write(ascii(String.format("%012d", first + i)));
        out.write(body);
        out.write(END);
        if (i + 1 < count) {
          out.write(ENVELOPE);
        }
        out.flush();
        expect(in, 250);
      }
      out.write(ascii("QUIT\r\n"));
      out.flush();
      expect(in, 221);
    }
  }

  /** Reads one reply (all its lines) and checks its code; returns its text. */
  private static String expect(InputStream in, int code) throws IOException {
    StringBuilder reply = new StringBuilder();
    while (true) {
      String line = readLine(in);
      reply.append(line).append('\n');
      if (line.length() < 4 || line.charAt(3) != '-') {
        if (!line.startsWith(Integer.toString(code))) {
          throw new IOException("expected " + code + ", server said: " + reply.toString().strip());
        }
        return reply.toString();
      }
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("the server closed the connection");
      }
      if (c == '\n') {
        int n = b.length();
        return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
      }
      b.append((char) c);
    }
  }

  /** Dot-stuffs lines that start with a dot (RFC 5321 4.5.2). */
  private static String stuffed(String text) {
    String s = text.startsWith(".") ? "." + text : text;
    return s.replace("\r\n.", "\r\n..");
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
