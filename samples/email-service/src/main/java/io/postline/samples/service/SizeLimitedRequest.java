package io.postline.samples.service;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request whose body can be read only up to a limit: the read that would go past it throws
 * {@link TooLargeException} instead, so a body of any size (chunked, or with a false length) costs
 * at most the limit. A declared {@code Content-Length} over the limit is refused before the body
 * is read at all, by {@link CallerAuthenticationFilter}.
 */
final class SizeLimitedRequest extends HttpServletRequestWrapper {
  private final long limit;
  private @Nullable ServletInputStream stream;

  SizeLimitedRequest(HttpServletRequest request, long limit) {
    super(request);
    this.limit = limit;
  }

  @Override
  public ServletInputStream getInputStream() throws IOException {
    if (stream == null) {
      stream = new Limited(super.getInputStream(), limit);
    }
    return stream;
  }

  @Override
  public BufferedReader getReader() throws IOException {
    String encoding = getCharacterEncoding();
    Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
    return new BufferedReader(new InputStreamReader(getInputStream(), charset));
  }

  /** The body went past the limit; nothing beyond it was read. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(long limit) {
      super("the request body is larger than " + limit + " bytes");
    }
  }

  private static final class Limited extends ServletInputStream {
    private final ServletInputStream in;
    private final long limit;
    private long read;

    Limited(ServletInputStream in, long limit) {
      this.in = Objects.requireNonNull(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        read++;
        check();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      // read at most one byte past the limit: that byte proves the body is too large
      long allowed = limit + 1 - read;
      int n = in.read(b, off, (int) Math.min(len, Math.max(allowed, 1)));
      if (n > 0) {
        read += n;
        check();
      }
      return n;
    }

    private void check() throws TooLargeException {
      if (read > limit) {
        throw new TooLargeException(limit);
      }
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }
  }
}
