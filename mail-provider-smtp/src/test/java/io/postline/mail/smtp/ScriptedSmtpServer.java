package io.postline.mail.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * A small SMTP server for tests: a real {@link ServerSocket} speaking SMTP on 127.0.0.1, answering
 * what each test scripts. By default it accepts everything; a test replaces the reply of any step
 * ({@link #reply}), refuses chosen recipients ({@link #rcpt}), stays silent at a step (to provoke a
 * read timeout), drops the connection at a step, or holds the reply to the end of DATA until a
 * latch opens. It records connections, commands, QUITs and the messages it accepted.
 */
final class ScriptedSmtpServer implements AutoCloseable {
  /** The points of the conversation a test can script. */
  enum Step { GREETING, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, DATA_END, RSET, NOOP, QUIT }

  /** A message the server accepted. */
  record Received(int connection, String from, List<String> recipients, String data) {}

  private final ServerSocket server;
  private final @Nullable SSLContext tls;
  private final boolean implicitTls;
  private final Map<Step, Function<String, String>> replies = new ConcurrentHashMap<>();
  private final Set<Step> silent = ConcurrentHashMap.newKeySet();
  private final Set<Step> drop = ConcurrentHashMap.newKeySet();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger quits = new AtomicInteger();
  private final List<String> commands = Collections.synchronizedList(new ArrayList<>());
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile List<String> extensions = List.of("8BITMIME", "AUTH PLAIN LOGIN XOAUTH2");
  private volatile Function<String, String> rcpt = address -> "250 2.1.5 OK";
  private volatile Map<String, String> logins = Map.of("user", "secret");
  private volatile @Nullable CountDownLatch holdDataEnd;
  private final AtomicInteger dataEndsWaiting = new AtomicInteger();
  private volatile boolean closed;

  private ScriptedSmtpServer(@Nullable SSLContext tls, boolean implicitTls) throws IOException {
    this.tls = tls;
    this.implicitTls = implicitTls;
    this.server = implicitTls
        ? tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress())
        : new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "scripted-smtp-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A plain server that offers no STARTTLS. */
  static ScriptedSmtpServer plain() throws IOException {
    return new ScriptedSmtpServer(null, false);
  }

  /** A server that offers STARTTLS with this certificate. */
  static ScriptedSmtpServer startTls(SSLContext tls) throws IOException {
    return new ScriptedSmtpServer(tls, false);
  }

  /** A server that speaks TLS from the first byte. */
  static ScriptedSmtpServer implicitTls(SSLContext tls) throws IOException {
    return new ScriptedSmtpServer(tls, true);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Answers {@code step} with this reply (multi-line replies separated by CRLF). */
  ScriptedSmtpServer reply(Step step, String reply) {
    return reply(step, line -> reply);
  }

  /** Answers {@code step} with what the function makes of the client's line. */
  ScriptedSmtpServer reply(Step step, Function<String, String> reply) {
    replies.put(step, reply);
    return this;
  }

  /** Answers each RCPT with what the function makes of the address (without angle brackets). */
  ScriptedSmtpServer rcpt(Function<String, String> reply) {
    this.rcpt = reply;
    return this;
  }

  /** Reads but never answers at {@code step}, until the client gives up. */
  ScriptedSmtpServer silentAt(Step step) {
    silent.add(step);
    return this;
  }

  /** Closes the connection instead of answering at {@code step}. */
  ScriptedSmtpServer dropAt(Step step) {
    drop.add(step);
    return this;
  }

  /** Stops dropping or staying silent. */
  ScriptedSmtpServer behave() {
    silent.clear();
    drop.clear();
    replies.clear();
    return this;
  }

  /** The EHLO extensions, one per line, without STARTTLS (added when the server has TLS). */
  ScriptedSmtpServer extensions(String... extensions) {
    this.extensions = List.of(extensions);
    return this;
  }

  /** The logins AUTH accepts: user to password (or XOAUTH2 token). */
  ScriptedSmtpServer logins(Map<String, String> logins) {
    this.logins = Map.copyOf(logins);
    return this;
  }

  /** Holds every reply to the end of DATA until the latch opens. */
  ScriptedSmtpServer holdDataEnd(CountDownLatch latch) {
    this.holdDataEnd = latch;
    return this;
  }

  /** How many connections are waiting in {@link #holdDataEnd}. */
  int dataEndsWaiting() {
    return dataEndsWaiting.get();
  }

  /** How many connections the server accepted. */
  int connections() {
    return connections.get();
  }

  /** How many QUIT commands the server received. */
  int quits() {
    return quits.get();
  }

  /** Every command received, as {@code "<connection> <line>"}, AUTH payloads included. */
  List<String> commands() {
    synchronized (commands) {
      return List.copyOf(commands);
    }
  }

  /** The commands of one connection, without the connection number. */
  List<String> commands(int connection) {
    String prefix = connection + " ";
    return commands().stream().filter(c -> c.startsWith(prefix)).map(c -> c.substring(prefix.length())).toList();
  }

  /** The messages the server accepted. */
  List<Received> received() {
    return List.copyOf(received);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    CountDownLatch hold = holdDataEnd;
    if (hold != null) {
      while (hold.getCount() > 0) {
        hold.countDown();
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        int n = connections.incrementAndGet();
        Thread t = new Thread(() -> session(s, n), "scripted-smtp-conn-" + n);
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void session(Socket socket, int n) {
    Socket s = socket;
    try {
      s.setSoTimeout(30_000);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      if (!answer(Step.GREETING, "", "220 scripted.example ESMTP ready", s, in, out)) {
        return;
      }
      boolean secured = implicitTls;
      String from = null;
      List<String> rcpts = new ArrayList<>();
      String line;
      while ((line = Lines.read(in)) != null) {
        commands.add(n + " " + line);
        String verb = (line.contains(" ") ? line.substring(0, line.indexOf(' ')) : line).toUpperCase(Locale.ROOT);
        switch (verb) {
          case "EHLO", "HELO" -> {
            List<String> ext = new ArrayList<>(extensions);
            if (tls != null && !secured) {
              ext.add("STARTTLS");
            }
            StringBuilder r = new StringBuilder("250").append(ext.isEmpty() ? " " : "-").append("scripted.example");
            for (int i = 0; i < ext.size(); i++) {
              r.append("\r\n250").append(i == ext.size() - 1 ? " " : "-").append(ext.get(i));
            }
            if (!answer(Step.EHLO, line, r.toString(), s, in, out)) {
              return;
            }
          }
          case "STARTTLS" -> {
            if (tls == null || secured) {
              Lines.write(out, "502 5.5.1 not supported");
              continue;
            }
            if (!answer(Step.STARTTLS, line, "220 2.0.0 Ready to start TLS", s, in, out)) {
              return;
            }
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, null, s.getPort(), true);
            ssl.setUseClientMode(false);
            ssl.startHandshake();
            sockets.add(ssl);
            s = ssl;
            in = s.getInputStream();
            out = s.getOutputStream();
            secured = true;
          }
          case "AUTH" -> {
            if (!auth(line, n, s, in, out)) {
              return;
            }
          }
          case "MAIL" -> {
            if (!answer(Step.MAIL, line, "250 2.1.0 OK", s, in, out)) {
              return;
            }
            from = between(line);
            rcpts.clear();
          }
          case "RCPT" -> {
            String address = between(line);
            String reply = rcpt.apply(address);
            if (!answer(Step.RCPT, line, reply, s, in, out)) {
              return;
            }
            String sent = replies.containsKey(Step.RCPT) ? replies.get(Step.RCPT).apply(line) : reply;
            if (sent.startsWith("2")) {
              rcpts.add(address);
            }
          }
          case "DATA" -> {
            String dataReply = replies.containsKey(Step.DATA) ? replies.get(Step.DATA).apply(line) : "354 go ahead";
            if (!answer(Step.DATA, line, "354 go ahead", s, in, out)) {
              return;
            }
            if (!dataReply.startsWith("354")) {
              continue;
            }
            StringBuilder data = new StringBuilder();
            String d;
            while ((d = Lines.read(in)) != null && !d.equals(".")) {
              data.append(d.startsWith("..") ? d.substring(1) : d).append("\r\n");
            }
            if (d == null) {
              return;
            }
            CountDownLatch hold = holdDataEnd;
            if (hold != null) {
              dataEndsWaiting.incrementAndGet();
              try {
                hold.await(30, TimeUnit.SECONDS);
              } finally {
                dataEndsWaiting.decrementAndGet();
              }
            }
            String end = replies.containsKey(Step.DATA_END) ? replies.get(Step.DATA_END).apply(".") : "250 2.0.0 queued";
            if (end.startsWith("2") && !drop.contains(Step.DATA_END) && !silent.contains(Step.DATA_END)) {
              // recorded before the reply, so that a client that saw the reply finds the message here
              received.add(new Received(n, String.valueOf(from), List.copyOf(rcpts), data.toString()));
            }
            if (!answer(Step.DATA_END, ".", "250 2.0.0 queued", s, in, out)) {
              return;
            }
            rcpts.clear();
          }
          case "RSET" -> {
            if (!answer(Step.RSET, line, "250 2.0.0 OK", s, in, out)) {
              return;
            }
            rcpts.clear();
          }
          case "NOOP" -> {
            if (!answer(Step.NOOP, line, "250 2.0.0 OK", s, in, out)) {
              return;
            }
          }
          case "QUIT" -> {
            quits.incrementAndGet();
            answer(Step.QUIT, line, "221 2.0.0 bye", s, in, out);
            return;
          }
          default -> Lines.write(out, "500 5.5.2 unknown command");
        }
      }
    } catch (IOException | InterruptedException e) {
      // the client went away
    } finally {
      try {
        s.close();
      } catch (IOException e) {
        // closed anyway
      }
    }
  }

  private boolean auth(String line, int n, Socket s, InputStream in, OutputStream out) throws IOException, InterruptedException {
    String[] parts = line.split(" ");
    String mechanism = parts.length > 1 ? parts[1].toUpperCase(Locale.ROOT) : "";
    String user;
    String secret;
    switch (mechanism) {
      case "PLAIN" -> {
        String ir = parts.length > 2 ? parts[2] : null;
        if (ir == null) {
          Lines.write(out, "334 ");
          ir = Lines.read(in);
          commands.add(n + " " + ir);
        }
        String[] fields = decode(ir).split("\0", -1);
        user = fields.length > 1 ? fields[1] : "";
        secret = fields.length > 2 ? fields[2] : "";
      }
      case "LOGIN" -> {
        Lines.write(out, "334 VXNlcm5hbWU6");
        String u = Lines.read(in);
        commands.add(n + " " + u);
        Lines.write(out, "334 UGFzc3dvcmQ6");
        String p = Lines.read(in);
        commands.add(n + " " + p);
        user = decode(u);
        secret = decode(p);
      }
      case "XOAUTH2" -> {
        String decoded = parts.length > 2 ? decode(parts[2]) : "";
        user = "";
        secret = "";
        for (String field : decoded.split("\001")) {
          if (field.startsWith("user=")) {
            user = field.substring(5);
          } else if (field.startsWith("auth=Bearer ")) {
            secret = field.substring(12);
          }
        }
      }
      default -> {
        Lines.write(out, "504 5.5.4 unrecognized authentication type");
        return true;
      }
    }
    boolean ok = secret.equals(logins.get(user));
    return answer(Step.AUTH, line, ok ? "235 2.7.0 Authentication successful"
        : "535 5.7.8 Authentication credentials invalid", s, in, out);
  }

  /** Answers unless scripted to drop or stay silent; false when the session is over. */
  private boolean answer(Step step, String line, String normal, Socket s, InputStream in, OutputStream out)
      throws IOException {
    if (drop.contains(step)) {
      s.close();
      return false;
    }
    if (silent.contains(step)) {
      while (Lines.read(in) != null) {
        // swallow until the client gives up
      }
      return false;
    }
    Function<String, String> scripted = step == Step.RCPT ? null : replies.get(step);
    if (step == Step.RCPT && replies.containsKey(Step.RCPT)) {
      scripted = replies.get(Step.RCPT);
    }
    String reply = scripted != null ? scripted.apply(line) : normal;
    Lines.write(out, reply);
    if (reply.startsWith("421")) {
      s.close();
      return false;
    }
    return true;
  }

  private static String between(String line) {
    int open = line.indexOf('<');
    int close = line.indexOf('>', open + 1);
    return open >= 0 && close > open ? line.substring(open + 1, close) : line;
  }

  private static String decode(@Nullable String b64) {
    if (b64 == null) {
      return "";
    }
    try {
      return new String(Base64.getDecoder().decode(b64.strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }
}
