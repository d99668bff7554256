package io.postline.mail.smtp.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * Socket factories that switch Nagle's algorithm off (TCP_NODELAY). SMTP is a lock-step
 * conversation: with Nagle on, the short final {@code .} of a message can wait for the server's
 * delayed acknowledgement, some 40 ms per message. Angus Mail does not set it itself.
 */
public final class NoDelaySockets {
  private NoDelaySockets() {}

  /** Plain sockets with TCP_NODELAY. */
  public static SocketFactory plain() {
    return new Plain();
  }

  /** TLS sockets from {@code delegate}, their underlying socket with TCP_NODELAY. */
  public static SSLSocketFactory tls(SSLSocketFactory delegate) {
    return new Tls(delegate);
  }

  private static Socket noDelay(Socket s) throws IOException {
    s.setTcpNoDelay(true);
    return s;
  }

  private static final class Plain extends SocketFactory {
    @Override
    public Socket createSocket() throws IOException {
      return noDelay(new Socket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return noDelay(new Socket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return noDelay(new Socket(address, port, localAddress, localPort));
    }
  }

  private static final class Tls extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    Tls(SSLSocketFactory delegate) {
      this.delegate = delegate;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      return delegate.createSocket(noDelay(s), host, port, autoClose);
    }

    @Override
    public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) throws IOException {
      return delegate.createSocket(noDelay(s), consumed, autoClose);
    }

    @Override
    public Socket createSocket() throws IOException {
      return noDelay(delegate.createSocket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return noDelay(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return noDelay(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return noDelay(delegate.createSocket(address, port, localAddress, localPort));
    }
  }
}
