package io.postline.mail.tck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on the loopback interface between a client and a server (Redis, PostgreSQL, an SMTP
 * or HTTP peer), for tests of lost replies. While a marker is set, a
 * request holding it is forwarded, and when the server's reply arrives the connection is
 * dropped instead of passing the reply on: the command ran, the client never hears of it.
 */
public final class DroppingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile byte[] marker;

  /** A proxy to {@code targetHost:targetPort} on a free loopback port. */
  public DroppingProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** The loopback port clients connect to. */
  public int port() {
    return server.getLocalPort();
  }

  /** From now on, drops the reply to every request that contains {@code text}. */
  public void dropRepliesTo(String text) {
    marker = text.getBytes(StandardCharsets.UTF_8);
  }

  /** Forwards everything again. */
  public void passThrough() {
    marker = null;
  }

  /** How many replies were dropped (each with its connection). */
  public int dropped() {
    return dropped.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket server = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(server);
        Connection c = new Connection(client, server);
        start(c::up, "proxy-up");
        start(c::down, "proxy-down");
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void start(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private final class Connection {
    private final Socket client;
    private final Socket server;
    private volatile boolean dropReply;

    Connection(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void up() {
      byte[] buf = new byte[64 * 1024];
      byte[] tail = new byte[0];
      try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          byte[] m = marker;
          if (m != null) {
            // Search across the chunk boundary too.
            byte[] window = new byte[tail.length + n];
            System.arraycopy(tail, 0, window, 0, tail.length);
            System.arraycopy(buf, 0, window, tail.length, n);
            if (indexOf(window, m) >= 0) {
              dropReply = true;
            }
            int keep = Math.min(window.length, m.length);
            tail = java.util.Arrays.copyOfRange(window, window.length - keep, window.length);
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // the connection went; close both sides below
      } finally {
        closeBoth();
      }
    }

    void down() {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          if (dropReply) {
            // The server has run the statement (its reply is here): the client never sees it.
            dropped.incrementAndGet();
            return;
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // the connection went; close both sides below
      } finally {
        closeBoth();
      }
    }

    private void closeBoth() {
      quietly(client);
      quietly(server);
    }
  }

  private static int indexOf(byte[] data, byte[] m) {
    outer:
    for (int i = 0; i + m.length <= data.length; i++) {
      for (int j = 0; j < m.length; j++) {
        if (data[i + j] != m[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static void quietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    sockets.forEach(DroppingProxy::quietly);
  }
}
