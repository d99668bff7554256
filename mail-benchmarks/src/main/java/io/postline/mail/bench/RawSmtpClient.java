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
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * The ceiling of scenario 3: an SMTP client on a raw socket that does nothing but move bytes.
 * The message is written as MIME once, up front (only its Message-ID changes per message), and
 * commands are pipelined (RFC 2920) as far as SMTP allows: the end of one message's data goes
 * out together with the next message's MAIL, RCPT and DATA, so each message costs one round
 * trip instead of Angus Mail's four.
 *
 * <p>Scenario 8 uses it as the ceiling over a real link too, with STARTTLS and AUTH PLAIN
 * ({@link Login}) once per connection, before the pipelined messages.
 */
final class RawSmtpClient {
  private static final byte[] END = ascii(".\r\n");
  private static final String BOUNDARY = "----=_Part_bench_0";

  /**
   * What a connection does before its messages: STARTTLS with {@code tls}, verifying the
   * certificate for {@code host}, then AUTH PLAIN.
   */
  record Login(SSLContext tls, String host, String username, String password) {}

  private final byte[] envelope;
  private final byte[] head;
  private final byte[] body;

  /** A client that sends to {@link BenchMail#TO}. */
  RawSmtpClient() {
    this(BenchMail.TO);
  }

  /** A client whose envelope recipient is {@code to} (the headers stay {@link BenchMail}'s). */
  RawSmtpClient(String to) {
    envelope = ascii("MAIL FROM:<" + BenchMail.FROM + ">\r\nRCPT TO:<" + to + ">\r\nDATA\r\n");
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
    send(port, count, first, null);
  }

  /**
   * Like {@link #send(int, int, long)}, after STARTTLS and AUTH when {@code login} is given.
   *
   * @throws IOException on any reply other than the expected one, or a certificate not trusted
   */
  void send(int port, int count, long first, @Nullable Login login) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
      socket.setSoTimeout(60_000);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      expect(in, 220);
      String ehlo = ehlo(in, out);
      if (login != null) {
        out.write(ascii("STARTTLS\r\n"));
        out.flush();
        expect(in, 220);
        SSLSocket tls = (SSLSocket) login.tls().getSocketFactory().createSocket(socket, login.host(), port, true);
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(parameters);
        tls.startHandshake();
        socket = tls;
        in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        ehlo = ehlo(in, out);
        String plain = "\0" + login.username() + "\0" + login.password();
        out.write(ascii("AUTH PLAIN " + Base64.getEncoder().encodeToString(plain.getBytes(StandardCharsets.UTF_8))
            + "\r\n"));
        out.flush();
        expect(in, 235);
      }
      if (!ehlo.contains("PIPELINING")) {
        throw new IOException("the server does not offer PIPELINING");
      }
      if (count > 0) {
        out.write(envelope);
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
          out.write(envelope);
        }
        out.flush();
        expect(in, 250);
      }
      out.write(ascii("QUIT\r\n"));
      out.flush();
      expect(in, 221);
    } finally {
      socket.close();
    }
  }

  private static String ehlo(InputStream in, OutputStream out) throws IOException {
    out.write(ascii("EHLO bench.example.org\r\n"));
    out.flush();
    return expect(in, 250);
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
