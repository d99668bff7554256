package io.postline.mail.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * A front for GreenMail: a real socket that relays SMTP, command by command, to an upstream server
 * (GreenMail on 127.0.0.1), and on the way
 * <ul>
 *   <li>counts connections: how many were accepted, the most open at once, the messages (DATA)
 *       each carried, the QUITs;
 *   <li>optionally offers STARTTLS itself (GreenMail has none) and terminates TLS, so that the
 *       client speaks STARTTLS with a real certificate while GreenMail receives the message;
 *   <li>answers chosen commands itself ({@link #inject}) or drops the connection at a chosen
 *       command ({@link #dropWhen}), for failure tests against a real server.
 * </ul>
 */
final class SmtpFront implements AutoCloseable {
  private final ServerSocket server;
  private final int upstreamPort;
  private final @Nullable SSLContext startTls;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger maxOpen = new AtomicInteger();
  private final AtomicInteger quits = new AtomicInteger();
  private final AtomicInteger upgrades = new AtomicInteger();
  private final ConcurrentLinkedQueue<Integer> messagesPerConnection = new ConcurrentLinkedQueue<>();
  private volatile Function<String, @Nullable String> inject = line -> null;
  private volatile Predicate<String> drop = line -> false;
  private volatile List<String> extraExtensions = List.of();
  private volatile boolean closed;

  private SmtpFront(int upstreamPort, @Nullable SSLContext startTls) throws IOException {
    this.upstreamPort = upstreamPort;
    this.startTls = startTls;
    this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "smtp-front-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** A plain relay to {@code upstreamPort}. */
  static SmtpFront plain(int upstreamPort) throws IOException {
    return new SmtpFront(upstreamPort, null);
  }

  /** A relay that offers STARTTLS with this certificate. */
  static SmtpFront startTls(int upstreamPort, SSLContext tls) throws IOException {
    return new SmtpFront(upstreamPort, tls);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Answers a client line itself when the function returns a reply; null relays it. */
  void inject(Function<String, @Nullable String> inject) {
    this.inject = inject;
  }

  /** Closes both sides of a connection when a client line matches, instead of relaying it. */
  void dropWhen(Predicate<String> drop) {
    this.drop = drop;
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  /** The most connections open at the same time. */
  int maxOpen() {
    return maxOpen.get();
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }

  /** QUIT commands relayed. */
  int quits() {
    return quits.get();
  }

  /** Connections upgraded with STARTTLS. */
  int upgrades() {
    return upgrades.get();
  }

  /** Messages (DATA commands) of each closed connection. */
  List<Integer> messagesPerConnection() {
    return List.copyOf(messagesPerConnection);
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
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        sockets.add(client);
        accepted.incrementAndGet();
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        Thread t = new Thread(() -> relay(client), "smtp-front-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void relay(Socket clientSocket) {
    Socket client = clientSocket;
    int messages = 0;
    try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
      sockets.add(upstream);
      client.setSoTimeout(30_000);
      upstream.setSoTimeout(30_000);
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      InputStream cin = client.getInputStream();
      OutputStream cout = client.getOutputStream();
      InputStream uin = upstream.getInputStream();
      OutputStream uout = upstream.getOutputStream();
      String greeting = Lines.readReply(uin);
      if (greeting == null) {
        return;
      }
      Lines.write(cout, greeting);
      boolean secured = false;
      String line;
      while ((line = Lines.read(cin)) != null) {
        if (drop.test(line)) {
          return;
        }
        String injected = inject.apply(line);
        if (injected != null) {
          Lines.write(cout, injected);
          continue;
        }
        String verb = (line.contains(" ") ? line.substring(0, line.indexOf(' ')) : line).toUpperCase(Locale.ROOT);
        if (verb.equals("STARTTLS") && startTls != null && !secured) {
          Lines.write(cout, "220 2.0.0 Ready to start TLS");
          SSLSocket ssl = (SSLSocket) startTls.getSocketFactory().createSocket(client, null, client.getPort(), true);
          ssl.setUseClientMode(false);
          ssl.startHandshake();
          sockets.add(ssl);
          client = ssl;
          cin = client.getInputStream();
          cout = client.getOutputStream();
          secured = true;
          upgrades.incrementAndGet();
          continue;
        }
        if (verb.equals("QUIT")) {
          quits.incrementAndGet();
        }
        Lines.write(uout, line);
        String reply = Lines.readReply(uin);
        if (reply == null) {
          return;
        }
        if (verb.equals("EHLO") && !extraExtensions.isEmpty() && reply.startsWith("250")) {
          reply = withExtensions(reply, extraExtensions);
        }
        if ((verb.equals("EHLO")) && startTls != null && !secured) {
          int crlf = reply.lastIndexOf("\r\n");
          int last = crlf < 0 ? 0 : crlf + 2;
          reply = reply.substring(0, last) + reply.substring(last, last + 3) + "-" + reply.substring(last + 4)
              + "\r\n250 STARTTLS";
        }
        Lines.write(cout, reply);
        if (verb.equals("DATA") && reply.startsWith("354")) {
          String d;
          while ((d = Lines.read(cin)) != null) {
            Lines.write(uout, d);
            if (d.equals(".")) {
              break;
            }
          }
          if (d == null) {
            return;
          }
          String end = Lines.readReply(uin);
          if (end == null) {
            return;
          }
          Lines.write(cout, end);
          messages++;
        }
        if (verb.equals("QUIT")) {
          return;
        }
      }
    } catch (IOException e) {
      // either side went away
    } finally {
      messagesPerConnection.add(messages);
      open.decrementAndGet();
      try {
        client.close();
      } catch (IOException e) {
        // closed anyway
      }
    }
  }

  /** Adds these EHLO extensions to the upstream's (which must handle what they announce). */
  SmtpFront extensions(String... extensions) {
    this.extraExtensions = List.of(extensions);
    return this;
  }

  private static String withExtensions(String reply, List<String> extensions) {
    StringBuilder b = new StringBuilder();
    String[] lines = reply.split("\r\n");
    for (String line : lines) {
      b.append("250-").append(line.substring(4)).append("\r\n");
    }
    for (int i = 0; i < extensions.size(); i++) {
      b.append(i == extensions.size() - 1 ? "250 " : "250-").append(extensions.get(i));
      if (i < extensions.size() - 1) {
        b.append("\r\n");
      }
    }
    return b.toString();
  }
}
