package io.postline.samples.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A raw HTTP/1.1 POST over a socket that streams a large JSON body in chunks, as an attacker
 * would, while reading the answer on another thread; it counts the body bytes the server took
 * before it answered and stopped reading (the socket accepting no more, or closing).
 *
 * @param status the HTTP status of the (last, non-1xx) answer, or -1 if none came
 * @param headers the answer's header block
 * @param body the answer's body
 * @param bodyBytesWritten how many body bytes the client could write before the server stopped taking them
 */
record StreamingPost(int status, String headers, String body, long bodyBytesWritten) {
  private static final byte[] PREFIX =
      "{\"to\":[\"ann@example.org\"],\"subject\":\"big\",\"text\":\"".getBytes(StandardCharsets.US_ASCII);

  /** Posts a JSON body of about {@code bodySize} bytes to {@code path}. */
  static StreamingPost post(int port, String path, String token, long bodySize, boolean declareLength)
      throws Exception {
    return post(port, path, token, "application/json", bodySize, declareLength);
  }

  /**
   * Posts a chunked body of about {@code bodySize} bytes, said to be {@code contentType}, to {@code path}.
   *
   * @param declareLength whether to send {@code Content-Length} (and {@code Expect: 100-continue},
   *     waiting for the server's answer before sending any body) instead of a chunked body
   */
  static StreamingPost post(int port, String path, String token, String contentType, long bodySize,
      boolean declareLength) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      CompletableFuture<byte[]> answer = CompletableFuture.supplyAsync(() -> readAll(in));
      StringBuilder head = new StringBuilder()
          .append("POST ").append(path).append(" HTTP/1.1\r\n")
          .append("Host: 127.0.0.1:").append(port).append("\r\n")
          .append("Authorization: Bearer ").append(token).append("\r\n")
          .append("Content-Type: ").append(contentType).append("\r\n");
      if (declareLength) {
        head.append("Content-Length: ").append(bodySize).append("\r\nExpect: 100-continue\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] raw = answer.get(30, TimeUnit.SECONDS);
        return parse(raw, 0);
      }
      head.append("Transfer-Encoding: chunked\r\n\r\n");
      out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
      long written = 0;
      byte[] chunk = new byte[64 * 1024];
      Arrays.fill(chunk, (byte) 'A');
      try {
        writeChunk(out, PREFIX);
        written += PREFIX.length;
        while (written < bodySize && !answer.isDone()) {
          writeChunk(out, chunk);
          written += chunk.length;
        }
        writeChunk(out, "\"}".getBytes(StandardCharsets.US_ASCII));
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException refused) {
        // the server closed the connection: it stopped reading the body
      }
      return parse(answer.get(60, TimeUnit.SECONDS), written);
    }
  }

  /** Sends the headers of a chunked JSON post and the first part of its body, then hangs up. */
  static void abandon(int port, String path, String token, String bodyStart) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + token
          + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      writeChunk(out, bodyStart.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
  }

  private static void writeChunk(OutputStream out, byte[] data) throws IOException {
    out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  /** Reads until the server closes, or until one whole final answer (by its Content-Length) is in. */
  private static byte[] readAll(InputStream in) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    byte[] b = new byte[8192];
    try {
      int n;
      while ((n = in.read(b)) >= 0) {
        buffer.write(b, 0, n);
        if (complete(buffer.toByteArray())) {
          break;
        }
      }
    } catch (IOException closed) {
      // a reset after the answer: keep what came
    }
    return buffer.toByteArray();
  }

  private static boolean complete(byte[] raw) {
    StreamingPost p = parse(raw, 0);
    if (p.status < 0 || p.status < 200) {
      return false;
    }
    int length = contentLength(p.headers);
    return length >= 0 && p.body.getBytes(StandardCharsets.UTF_8).length >= length;
  }

  private static int contentLength(String headers) {
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring("content-length:".length()).strip());
      }
    }
    return -1;
  }

  private static StreamingPost parse(byte[] raw, long written) {
    String text = new String(raw, StandardCharsets.UTF_8);
    while (true) {
      int end = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || end < 0) {
        return new StreamingPost(-1, "", text, written);
      }
      int status = Integer.parseInt(text.substring(9, 12));
      if (status >= 100 && status < 200) {
        text = text.substring(end + 4);
        continue;
      }
      return new StreamingPost(status, text.substring(0, end), text.substring(end + 4), written);
    }
  }
}
