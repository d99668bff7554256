package io.postline.mail.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A local SMTP server that accepts every message and throws it away: just enough SMTP for the
 * contenders (EHLO advertising PIPELINING, 8BITMIME and SIZE; HELO, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT), one thread per connection. It counts what it accepted, so that a run can check
 * that every message arrived.
 *
 * <p>Replies are buffered and written when the sink is about to wait for more input, so a
 * pipelining client gets its replies in one write, and a lock-step client gets each at once.
 */
final class SmtpSink implements AutoCloseable {
  private static final byte[] GREETING = ascii("220 sink.local ESMTP ready\r\n");
  private static final byte[] EHLO = ascii("250-sink.local\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n");
  private static final byte[] HELO = ascii("250 sink.local\r\n");
  private static final byte[] OK = ascii("250 2.0.0 Ok\r\n");
  private static final byte[] SENDER_OK = ascii("250 2.1.0 Ok\r\n");
  private static final byte[] RECIPIENT_OK = ascii("250 2.1.5 Ok\r\n");
  private static final byte[] GO_AHEAD = ascii("354 End data with <CR><LF>.<CR><LF>\r\n");
  private static final byte[] QUEUED = ascii("250 2.0.0 Ok: queued\r\n");
  private static final byte[] BYE = ascii("221 2.0.0 Bye\r\n");
  private static final byte[] BAD_SEQUENCE = ascii("503 5.5.1 Bad sequence of commands\r\n");
  private static final byte[] UNKNOWN = ascii("502 5.5.2 Command not recognized\r\n");
  private static final byte[] TOO_LONG = ascii("500 5.5.2 Line too long\r\n");

  private final ServerSocket server;
  private final ExecutorService handlers;
  private final Thread acceptor;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final LongAdder messages = new LongAdder();
  private final LongAdder recipients = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  private SmtpSink(ServerSocket server) {
    this.server = server;
    AtomicInteger threads = new AtomicInteger();
    this.handlers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "smtp-sink-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.acceptor = new Thread(this::accept, "smtp-sink-accept");
    this.acceptor.setDaemon(true);
  }

  /** Starts a sink on a free port of the loopback address. */
  static SmtpSink start() throws IOException {
    ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
    SmtpSink sink = new SmtpSink(server);
    sink.acceptor.start();
    return sink;
  }

  int port() {
    return server.getLocalPort();
  }

  /** Messages accepted (the reply to the end of DATA was 250) since the sink started. */
  long messages() {
    return messages.sum();
  }

  /** Recipients accepted within those messages. */
  long recipients() {
    return recipients.sum();
  }

  /** Bytes of message content received, terminating dot excluded. */
  long bytes() {
    return bytes.sum();
  }

  /** Connections accepted since the sink started. */
  int connections() {
    return connections.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        connections.incrementAndGet();
        open.add(s);
        handlers.execute(() -> serve(s));
      } catch (IOException e) {
        if (!closed) {
          System.err.println("smtp sink: accept failed: " + e);
        }
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
      LineReader in = new LineReader(socket.getInputStream(), out);
      out.write(GREETING);
      boolean sender = false;
      int rcpts = 0;
      while (true) {
        int n = in.readLine();
        if (n < 0) {
          return;
        }
        if (n > 1000) {
          out.write(TOO_LONG);
          continue;
        }
        switch (in.verb()) {
          case "EHLO" -> {
            out.write(EHLO);
            sender = false;
            rcpts = 0;
          }
          case "HELO" -> out.write(HELO);
          case "MAIL" -> {
            if (sender) {
              out.write(BAD_SEQUENCE);
            } else {
              sender = true;
              out.write(SENDER_OK);
            }
          }
          case "RCPT" -> {
            if (!sender) {
              out.write(BAD_SEQUENCE);
            } else {
              rcpts++;
              out.write(RECIPIENT_OK);
            }
          }
          case "DATA" -> {
            if (rcpts == 0) {
              out.write(BAD_SEQUENCE);
              continue;
            }
            out.write(GO_AHEAD);
            long size = 0;
            while (true) {
              int len = in.readLine();
              if (len < 0) {
                return; // dropped mid-message: not counted
              }
              if (len == 1 && in.line[0] == '.') {
                break;
              }
              size += len + 2;
            }
            bytes.add(size);
            recipients.add(rcpts);
            messages.increment();
            out.write(QUEUED);
            sender = false;
            rcpts = 0;
          }
          case "RSET" -> {
            sender = false;
            rcpts = 0;
            out.write(OK);
          }
          case "NOOP" -> out.write(OK);
          case "QUIT" -> {
            out.write(BYE);
            out.flush();
            return;
          }
          default -> out.write(UNKNOWN);
        }
      }
    } catch (SocketException e) {
      // the client went away, or the sink is closing
    } catch (IOException e) {
      if (!closed) {
        System.err.println("smtp sink: connection failed: " + e);
      }
    } finally {
      open.remove(socket);
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : open) {
      s.close();
    }
    handlers.shutdown();
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(5));
      handlers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Reads CRLF-terminated lines into a reusable buffer. Before it blocks for more input it
   * flushes the replies written so far, which batches replies to pipelined commands.
   */
  private static final class LineReader {
    private final InputStream in;
    private final OutputStream replies;
    private final byte[] buf = new byte[64 * 1024];
    private final byte[] line = new byte[64 * 1024];
    private int pos;
    private int lim;
    private int length;

    LineReader(InputStream in, OutputStream socketOut) {
      this.in = in;
      this.replies = socketOut;
    }

    /** Reads one line, without its CRLF; its length (a longer line is cut), or -1 at the end of input. */
    int readLine() throws IOException {
      length = 0;
      int total = 0;
      while (true) {
        if (pos == lim) {
          replies.flush();
          int n = in.read(buf);
          if (n < 0) {
            return -1;
          }
          pos = 0;
          lim = n;
        }
        while (pos < lim) {
          byte b = buf[pos++];
          if (b == '\n') {
            if (length > 0 && line[length - 1] == '\r') {
              length--;
              total--;
            }
            return total;
          }
          if (length < line.length) {
            line[length++] = b;
          }
          total++;
        }
      }
    }

    /** The first four characters of the line, upper case. */
    String verb() {
      if (length < 4) {
        return "";
      }
      char[] v = new char[4];
      for (int i = 0; i < 4; i++) {
        v[i] = Character.toUpperCase((char) (line[i] & 0xFF));
      }
      return new String(v);
    }
  }
}
