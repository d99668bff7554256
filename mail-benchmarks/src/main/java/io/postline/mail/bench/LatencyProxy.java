package io.postline.mail.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenario 8's "real link": a TCP proxy on the loopback interface that delays every byte by a
 * fixed time in each direction, like a network path (5 ms each way: a 10 ms round trip), without
 * limiting bandwidth: what arrives is read at once, stamped, and written out when its time has come,
 * so bytes in flight overlap as they would on a wire.
 *
 * <p>It runs in a process of its own ({@link #main}), so that the client's CPU, measured for the
 * harness's process, does not include the proxy's. Each connection has a reader and a writer
 * thread per direction; a close on either side closes both.
 */
final class LatencyProxy {
  private static final byte[] EOF = new byte[0];

  private record Chunk(byte[] bytes, long due) {}

  private LatencyProxy() {}

  /**
   * {@code LatencyProxy TARGET_PORT DELAY_MICROS}: listens on an ephemeral loopback port, prints
   * {@code port=N} on standard output, and forwards to 127.0.0.1:TARGET_PORT until standard input
   * closes (the harness ending or dying).
   */
  public static void main(String[] args) throws IOException {
    int target = Integer.parseInt(args[0]);
    long delayNanos = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(args[1]));
    ServerSocket server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
    System.out.println("port=" + server.getLocalPort());
    System.out.flush();
    Thread acceptor = new Thread(() -> accept(server, target, delayNanos), "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    // The parent holds our standard input: when it goes away, so do we.
    while (System.in.read() >= 0) {
      // nothing to read; wait for the end
    }
    System.exit(0);
  }

  private static void accept(ServerSocket server, int target, long delayNanos) {
    while (true) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        System.err.println("latency proxy: accept failed: " + e);
        return;
      }
      Thread connect = new Thread(() -> connect(client, target, delayNanos), "proxy-connect");
      connect.setDaemon(true);
      connect.start();
    }
  }

  /**
   * Connects upstream a round trip after the client connected, as a TCP handshake over the link
   * would make the server see it, then pipes both ways. (The client's connect returns at once,
   * so the greeting reaches it one and a half round trips after it connected, where a real link
   * takes two: a little in the favour of clients that connect per message.)
   */
  private static void connect(Socket client, int target, long delayNanos) {
    LockSupport.parkNanos(2 * delayNanos);
    Socket upstream = new Socket();
    try {
      upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 10_000);
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      pipe(client, upstream, delayNanos, "up");
      pipe(upstream, client, delayNanos, "down");
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  /** Copies {@code from} to {@code to}, each chunk written {@code delayNanos} after it was read. */
  private static void pipe(Socket from, Socket to, long delayNanos, String direction) throws IOException {
    BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    Thread reader = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          queue.add(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime() + delayNanos));
        }
      } catch (IOException e) {
        // the connection is gone; the writer closes both sides
      }
      queue.add(new Chunk(EOF, System.nanoTime() + delayNanos));
    }, "proxy-read-" + direction);
    Thread writer = new Thread(() -> {
      try {
        while (true) {
          Chunk c = queue.take();
          long wait;
          while ((wait = c.due() - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          if (c.bytes() == EOF) {
            break;
          }
          out.write(c.bytes());
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the other side is gone
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "proxy-write-" + direction);
    reader.setDaemon(true);
    writer.setDaemon(true);
    reader.start();
    writer.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
