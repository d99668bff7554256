package io.postline.mail.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * An SMTP server for pipelining tests that answers only when a pipelining client has nothing more
 * to say: replies are queued and written when the client must wait for them (after DATA, and after
 * the last expected message), and the reply to a message's end (the final {@code .}, or
 * {@code BDAT ... LAST}) is held until the next message's envelope has arrived (with BDAT: until
 * the next message's chunk). A client in lock
 * step therefore waits for a reply that never comes and fails on its read timeout.
 *
 * <p>It reads BDAT chunks by their byte count and records each message's bytes exactly as they
 * arrived (DATA bodies dot-unstuffed). Replies come from a function of (message number from 1,
 * command line); {@code null} means the normal reply.
 */
final class PipelineServer implements AutoCloseable {
  /** A message the server accepted: its envelope and its bytes as received. */
  record Received(String mail, List<String> rcpts, byte[] bytes) {
    String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private final ServerSocket server;
  private final List<String> extensions;
  private final int[] expectedBodies;
  private final BiFunction<Integer, String, String> script;
  private final List<String> commands = Collections.synchronizedList(new ArrayList<>());
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param expectedBodies how many message bodies (DATA bodies or BDAT chunks) the client will
   *     send; the reply to the last one is not held
   */
  PipelineServer(List<String> extensions, int expectedBodies, BiFunction<Integer, String, String> script)
      throws IOException {
    this(extensions, new int[] {expectedBodies}, script);
  }

  /**
   * @param expectedBodies per connection (the last value for every further one); a script reply
   *     of {@code DROP} closes the connection instead of answering
   */
  PipelineServer(List<String> extensions, int[] expectedBodies, BiFunction<Integer, String, String> script)
      throws IOException {
    this.extensions = List.copyOf(extensions);
    this.expectedBodies = expectedBodies;
    this.script = script;
    this.server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "pipeline-smtp-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Every command line, in the order it arrived. */
  List<String> commands() {
    synchronized (commands) {
      return List.copyOf(commands);
    }
  }

  List<Received> received() {
    return List.copyOf(received);
  }

  int connections() {
    return connections.get();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        int n = connections.incrementAndGet();
        int expected = expectedBodies[Math.min(n, expectedBodies.length) - 1];
        Thread t = new Thread(() -> session(s, expected), "pipeline-smtp-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void session(Socket s, int expectedBodies) {
    try (s) {
      s.setSoTimeout(20_000);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      Lines.write(out, "220 pipeline.example ESMTP");
      StringBuilder pending = new StringBuilder();
      int mark = 0; // where this message's replies start in pending
      int bodies = 0;
      int message = 1;
      String mail = null;
      List<String> rcpts = new ArrayList<>();
      String line;
      while ((line = Lines.read(in)) != null) {
        commands.add(line);
        String verb = (line.contains(" ") ? line.substring(0, line.indexOf(' ')) : line).toUpperCase(Locale.ROOT);
        String scripted = script.apply(message, line);
        if ("DROP".equals(scripted)) {
          return;
        }
        switch (verb) {
          case "EHLO" -> {
            StringBuilder r = new StringBuilder("250").append(extensions.isEmpty() ? " " : "-").append("pipeline.example");
            for (int i = 0; i < extensions.size(); i++) {
              r.append("\r\n250").append(i == extensions.size() - 1 ? " " : "-").append(extensions.get(i));
            }
            Lines.write(out, r.toString());
          }
          case "MAIL" -> {
            String r = scripted != null ? scripted : "250 2.1.0 OK";
            mail = r.startsWith("2") ? line : null;
            rcpts.clear();
            mark = pending.length();
            queue(pending, r);
          }
          case "RCPT" -> {
            String r = scripted != null ? scripted : "250 2.1.5 OK";
            if (r.startsWith("2")) {
              rcpts.add(line);
            }
            queue(pending, r);
          }
          case "RSET" -> {
            mail = null;
            rcpts.clear();
            queue(pending, "250 2.0.0 OK");
            if (in.available() == 0) {
              // Nothing follows yet: a client resetting after a failure waits for this reply.
              flush(out, pending);
            }
          }
          case "DATA" -> {
            boolean valid = mail != null && !rcpts.isEmpty();
            String r = scripted != null ? scripted : valid ? "354 go ahead" : "554 5.5.1 no valid recipients";
            queue(pending, r);
            flush(out, pending);
            if (!r.startsWith("354")) {
              message++;
              continue;
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            String d;
            while ((d = Lines.read(in)) != null && !d.equals(".")) {
              body.writeBytes((d.startsWith(".") ? d.substring(1) : d).getBytes(StandardCharsets.UTF_8));
              body.writeBytes(new byte[] {'\r', '\n'});
            }
            if (d == null) {
              return;
            }
            bodies++;
            String end = script.apply(message, ".");
            end = end != null ? end : valid ? "250 2.0.0 queued as " + message : "554 5.5.1 no valid recipients";
            ended(mail, rcpts, valid, body.toByteArray(), end, pending);
            message++;
            mail = null;
            rcpts.clear();
            if (bodies >= expectedBodies) {
              flush(out, pending);
            }
          }
          case "BDAT" -> {
            String[] parts = line.split(" ");
            int size = Integer.parseInt(parts[1]);
            byte[] chunk = in.readNBytes(size);
            if (chunk.length < size) {
              return;
            }
            bodies++;
            boolean valid = mail != null && !rcpts.isEmpty();
            String end = scripted != null ? scripted
                : mail == null ? "503 5.5.1 no MAIL command" : valid ? "250 2.0.0 queued as " + message
                : "554 5.5.1 no valid recipients";
            ended(mail, rcpts, valid, chunk, end, pending);
            message++;
            mail = null;
            rcpts.clear();
            if (bodies >= expectedBodies) {
              flush(out, pending);
            } else {
              // What came before this message goes out; this message's replies wait for the next one.
              out.write(pending.substring(0, mark).getBytes(StandardCharsets.UTF_8));
              out.flush();
              pending.delete(0, mark);
            }
            mark = 0;
          }
          case "QUIT" -> {
            queue(pending, "221 2.0.0 bye");
            flush(out, pending);
            return;
          }
          case "NOOP" -> {
            queue(pending, "250 2.0.0 OK");
            flush(out, pending);
          }
          default -> {
            queue(pending, "500 5.5.2 unknown command");
            flush(out, pending);
          }
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  /** Records an accepted message and queues the reply to its end. */
  private void ended(String mail, List<String> rcpts, boolean valid, byte[] bytes, String end, StringBuilder pending) {
    if (end.startsWith("2") && valid) {
      received.add(new Received(mail, List.copyOf(rcpts), bytes));
    }
    queue(pending, end);
  }

  private static void queue(StringBuilder pending, String reply) {
    pending.append(reply).append("\r\n");
  }

  private static void flush(OutputStream out, StringBuilder pending) throws IOException {
    out.write(pending.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
    pending.setLength(0);
  }

}
