package io.postline.mail.smtp.internal;

import io.postline.mail.Address;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.smtp.TlsMode;
import io.postline.mail.spi.ProviderException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Postline's own SMTP protocol engine for one connection: EHLO (with its extensions), STARTTLS or
 * implicit TLS (certificates and host names verified unless turned off), AUTH PLAIN, LOGIN and
 * XOAUTH2, and for each message MAIL, every RCPT and DATA in one flight when the server offers
 * PIPELINING (RFC 2920), SIZE checked before sending, SMTPUTF8 for non-ASCII addresses, BODY=8BITMIME
 * for 8-bit content when offered, the body dot-stuffed. Each recipient's reply is kept as the
 * server gave it; after a refused message the connection is reset with RSET and stays usable.
 */
public final class SmtpClient implements SmtpLink {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] END_OF_DATA = {'.', '\r', '\n'};
  private static final int MAX_LINE = 64 * 1024;

  private final SmtpSettings settings;
  private final SmtpFailures failures;
  private final ScheduledExecutorService scheduler;
  private final @Nullable PrintStream wire;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private Map<String, String> extensions = Map.of();
  private boolean reusable = true;

  private SmtpClient(SmtpSettings settings, SmtpFailures failures, ScheduledExecutorService scheduler,
      @Nullable PrintStream wire, Socket socket) throws IOException {
    this.settings = settings;
    this.failures = failures;
    this.scheduler = scheduler;
    this.wire = wire;
    attach(socket);
  }

  /** A refused AUTH, so that the caller may ask for a fresh OAuth2 token and try once more. */
  static final class AuthRefused extends Exception {
    private static final long serialVersionUID = 1L;
    final transient SmtpReply reply;

    AuthRefused(SmtpReply reply) {
      super(null, null, false, false);
      this.reply = reply;
    }
  }

  /**
   * Connects, reads the greeting, says EHLO, starts TLS as configured and logs in.
   *
   * @param secret the password or OAuth2 token, or null without credentials
   * @param wire where the conversation goes for the DEBUG log, or null
   * @throws AuthRefused when the server refused the credentials with a 5xx
   */
  static SmtpClient open(SmtpSettings settings, SmtpFailures failures, ScheduledExecutorService scheduler,
      SocketFactory plainSockets, SSLSocketFactory tlsSockets, String ehloName, @Nullable String secret,
      @Nullable PrintStream wire, Duration connectTimeout, Duration readTimeout) throws ProviderException, AuthRefused {
    Socket socket = null;
    SmtpClient client = null;
    try {
      socket = plainSockets.createSocket();
      socket.connect(new InetSocketAddress(settings.host(), settings.port()), millis(connectTimeout));
      if (settings.tls() == TlsMode.IMPLICIT) {
        socket = handshake(settings, tlsSockets, socket, connectTimeout);
      }
      socket.setSoTimeout(millis(readTimeout));
      client = new SmtpClient(settings, failures, scheduler, wire, socket);
      client.greet(ehloName, tlsSockets, connectTimeout, readTimeout);
      if (settings.authenticates()) {
        client.login(java.util.Objects.requireNonNull(secret, "secret"));
      }
      return client;
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      throw failures.connectFailure(e, null);
    } catch (ProviderException | AuthRefused e) {
      if (client != null) {
        client.close();
      } else {
        closeQuietly(socket);
      }
      throw e;
    }
  }

  private static SSLSocket handshake(SmtpSettings settings, SSLSocketFactory tlsSockets, Socket plain,
      Duration connectTimeout) throws IOException {
    SSLSocket tls = (SSLSocket) tlsSockets.createSocket(plain, settings.host(), settings.port(), true);
    SSLParameters parameters = tls.getSSLParameters();
    parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    if (settings.tlsVerify()) {
      // The JDK's host name check for the name the provider was configured with (RFC 6125).
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
    }
    tls.setSSLParameters(parameters);
    tls.setSoTimeout(millis(connectTimeout));
    tls.startHandshake();
    return tls;
  }

  private void attach(Socket s) throws IOException {
    this.socket = s;
    this.in = new BufferedInputStream(s.getInputStream(), 8 * 1024);
    this.out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
  }

  private void greet(String ehloName, SSLSocketFactory tlsSockets, Duration connectTimeout, Duration readTimeout)
      throws IOException, ProviderException {
    List<String> greeting = readLines();
    SmtpReply r = reply(greeting);
    if (r.code() != 220) {
      throw failures.sessionRefused(r);
    }
    ehlo(ehloName);
    if (settings.tls() == TlsMode.STARTTLS) {
      if (extensions.containsKey("STARTTLS")) {
        command("STARTTLS");
        SmtpReply started = reply(readLines());
        if (started.code() != 220) {
          throw failures.sessionRefused(started);
        }
        Socket tls = handshake(settings, tlsSockets, socket, connectTimeout);
        tls.setSoTimeout(millis(readTimeout));
        attach(tls);
        ehlo(ehloName);
      } else if (settings.tlsRequired()) {
        throw failures.startTlsNotOffered();
      }
    }
  }

  private void ehlo(String name) throws IOException, ProviderException {
    command("EHLO " + name);
    List<String> lines = readLines();
    SmtpReply r = reply(lines);
    if (r.code() == 250) {
      Map<String, String> ext = new HashMap<>();
      for (int i = 1; i < lines.size(); i++) {
        String line = lines.get(i).length() > 4 ? lines.get(i).substring(4).strip() : "";
        int space = line.indexOf(' ');
        String keyword = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        ext.put(keyword, space < 0 ? "" : line.substring(space + 1).strip());
      }
      extensions = ext;
      return;
    }
    if (r.isPermanent() && r.code() != 421) {
      // RFC 5321 4.1.4: a server that does not know EHLO still knows HELO.
      command("HELO " + name);
      SmtpReply helo = reply(readLines());
      if (helo.code() == 250) {
        extensions = Map.of();
        return;
      }
      throw failures.sessionRefused(helo);
    }
    throw failures.sessionRefused(r);
  }

  private void login(String secret) throws IOException, ProviderException, AuthRefused {
    String offered = extensions.get("AUTH");
    if (offered == null) {
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "SMTP server " + settings.address()
          + " offers no AUTH, so the configured credentials could not be used", null);
    }
    List<String> mechanisms = List.of(offered.toUpperCase(Locale.ROOT).split("\\s+"));
    String user = java.util.Objects.requireNonNull(settings.username(), "username");
    SmtpReply r;
    if (settings.oauth2() != null) {
      command("AUTH XOAUTH2 " + base64("user=" + user + "\u0001auth=Bearer " + secret + "\u0001\u0001"));
      r = reply(readLines());
      if (r.code() == 334) {
        // The server's error details come as a challenge; an empty answer gets the final reply.
        command("");
        r = reply(readLines());
      }
    } else if (mechanisms.contains("PLAIN")) {
      command("AUTH PLAIN " + base64("\0" + user + "\0" + secret));
      r = reply(readLines());
    } else if (mechanisms.contains("LOGIN")) {
      command("AUTH LOGIN");
      r = reply(readLines());
      if (r.code() == 334) {
        command(base64(user));
        r = reply(readLines());
      }
      if (r.code() == 334) {
        command(base64(secret));
        r = reply(readLines());
      }
    } else {
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "SMTP server " + settings.address()
          + " offers AUTH " + offered + " but neither PLAIN nor LOGIN", null);
    }
    if (r.code() == 235) {
      return;
    }
    if (r.isTransient() || r.isConnectionLost()) {
      throw failures.authFailure(r);
    }
    throw new AuthRefused(r);
  }

  /** The largest message the server takes (SIZE), or -1 when it gave none. */
  long serverMaxSize() {
    String size = extensions.get("SIZE");
    if (size == null || size.isBlank()) {
      return -1;
    }
    try {
      long n = Long.parseLong(size.strip());
      return n > 0 ? n : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Whether the server offered an extension, such as {@code PIPELINING}. */
  boolean offers(String extension) {
    return extensions.containsKey(extension);
  }

  @Override
  public List<RecipientStatus> send(Address from, List<Address> recipients, byte[] mime) throws ProviderException {
    boolean utf8 = !isAscii(from.asciiEmail()) || recipients.stream().anyMatch(a -> !isAscii(a.asciiEmail()));
    if (utf8 && !offers("SMTPUTF8")) {
      throw failures.failure(FailureKind.PERMANENT, "SMTP server " + settings.address()
          + " does not offer SMTPUTF8, which an address with a non-ASCII local part needs", null);
    }
    long max = serverMaxSize();
    if (max > 0 && mime.length > max) {
      throw failures.failure(FailureKind.PERMANENT, "the message of " + mime.length
          + " bytes is larger than the " + max + " bytes SMTP server " + settings.address() + " takes (SIZE)", null);
    }
    reusable = false;
    try {
      StringBuilder mail = new StringBuilder("MAIL FROM:<").append(from.asciiEmail()).append('>');
      if (offers("SIZE")) {
        mail.append(" SIZE=").append(mime.length);
      }
      if (offers("8BITMIME") && !isAscii(mime)) {
        mail.append(" BODY=8BITMIME");
      }
      if (utf8) {
        mail.append(" SMTPUTF8");
      }
      boolean pipelining = offers("PIPELINING");
      Map<Address, SmtpReply> replies = new LinkedHashMap<>();
      SmtpReply mailReply;
      SmtpReply dataReply = null;
      if (pipelining) {
        write(mail.toString());
        for (Address a : recipients) {
          write("RCPT TO:<" + a.asciiEmail() + ">");
        }
        write("DATA");
        flush();
        mailReply = reply(readLines());
        for (Address a : recipients) {
          replies.put(a, reply(readLines()));
        }
        dataReply = reply(readLines());
      } else {
        command(mail.toString());
        mailReply = reply(readLines());
        if (mailReply.code() == 250) {
          for (Address a : recipients) {
            command("RCPT TO:<" + a.asciiEmail() + ">");
            replies.put(a, reply(readLines()));
          }
        }
      }
      lostIfEof(mailReply);
      for (SmtpReply r : replies.values()) {
        lostIfEof(r);
      }
      boolean anyAccepted = replies.values().stream().anyMatch(r -> r.code() == 250 || r.code() == 251);
      if (!pipelining && mailReply.code() == 250 && anyAccepted) {
        command("DATA");
        dataReply = reply(readLines());
      }
      if (dataReply != null) {
        lostIfEof(dataReply);
      }
      if (dataReply != null && dataReply.code() == 354 && (mailReply.code() != 250 || !anyAccepted)) {
        // RFC 2920 3.1: DATA was accepted although nothing can be delivered; end it empty.
        out.write(END_OF_DATA);
        flush();
        lostIfEof(reply(readLines()));
      }
      if (mailReply.code() != 250) {
        reset();
        throw failures.replyFailure("the sender (MAIL FROM)", mailReply);
      }
      if (!anyAccepted) {
        reset();
        Map<String, SmtpReply> refused = new LinkedHashMap<>();
        replies.forEach((a, r) -> refused.put(a.asciiEmail().toLowerCase(Locale.ROOT), r));
        throw failures.everyRecipientRefused(refused, recipients);
      }
      SmtpReply data = java.util.Objects.requireNonNull(dataReply, "dataReply");
      if (data.code() != 354) {
        reset();
        throw failures.replyFailure("the message (DATA)", data);
      }
      body(mime);
      SmtpReply end = reply(readLines());
      lostIfEof(end);
      if (end.code() != 250) {
        reset();
        throw failures.replyFailure("the message (end of DATA)", end);
      }
      reusable = true;
      List<RecipientStatus> statuses = new ArrayList<>(recipients.size());
      for (Address a : recipients) {
        SmtpReply r = replies.get(a);
        statuses.add(r == null || r.code() == 250 || r.code() == 251 ? RecipientStatus.accepted(a)
            : RecipientStatus.rejected(a, failures.clean(r.toString())));
      }
      return statuses;
    } catch (IOException | ConnectionLost e) {
      reusable = false;
      throw failures.lost(e instanceof IOException io ? io : null);
    }
  }

  /** A reply that says the connection ended. */
  private static final class ConnectionLost extends Exception {
    private static final long serialVersionUID = 1L;

    ConnectionLost() {
      super(null, null, false, false);
    }
  }

  private void lostIfEof(SmtpReply r) throws ConnectionLost {
    if (r.isConnectionLost()) {
      throw new ConnectionLost();
    }
  }

  /** RSET after a refused message, so that the connection can carry the next one. */
  private void reset() throws IOException {
    command("RSET");
    reusable = reply(readLines()).code() == 250;
  }

  /** Writes the body dot-stuffed (RFC 5321 4.5.2), ending with CRLF and the final dot. */
  private void body(byte[] mime) throws IOException {
    boolean lineStart = true;
    int from = 0;
    for (int i = 0; i < mime.length; i++) {
      if (lineStart && mime[i] == '.') {
        bodyBytes(mime, from, i - from);
        bodyBytes(END_OF_DATA, 0, 1);
        from = i;
      }
      lineStart = mime[i] == '\n';
    }
    bodyBytes(mime, from, mime.length - from);
    if (mime.length < 2 || mime[mime.length - 2] != '\r' || mime[mime.length - 1] != '\n') {
      bodyBytes(CRLF, 0, CRLF.length);
    }
    bodyBytes(END_OF_DATA, 0, END_OF_DATA.length);
    flush();
  }

  /** Body bytes as they go on the wire, dot-stuffed; the wire log counts their lines, never logs them. */
  private void bodyBytes(byte[] b, int offset, int length) throws IOException {
    out.write(b, offset, length);
    if (wire != null) {
      wire.write(b, offset, length);
    }
  }

  @Override
  public boolean reusable() {
    return reusable && !socket.isClosed();
  }

  @Override
  public boolean check() {
    try {
      command("RSET");
      return reply(readLines()).code() == 250;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void noop() throws ProviderException {
    SmtpReply r;
    try {
      command("NOOP");
      r = reply(readLines());
    } catch (IOException e) {
      throw failures.lost(e);
    }
    if (r.code() != 250) {
      throw failures.sessionRefused(r);
    }
  }

  @Override
  public void close() {
    try {
      if (!socket.isClosed()) {
        write("QUIT");
        flush();
      }
    } catch (IOException | RuntimeException e) {
      // closing either way (a RuntimeException: the write-timeout scheduler is already shut down)
    }
    closeQuietly(socket);
  }

  private void command(String line) throws IOException {
    write(line);
    flush();
  }

  private void write(String line) throws IOException {
    if (wire != null) {
      wire.println(line);
    }
    out.write(line.getBytes(StandardCharsets.UTF_8));
    out.write(CRLF);
  }

  /** Flushes, closing the socket if the server does not take the bytes within the write timeout. */
  private void flush() throws IOException {
    ScheduledFuture<?> watchdog = scheduler.schedule(() -> closeQuietly(socket),
        settings.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    try {
      out.flush();
    } finally {
      watchdog.cancel(false);
    }
  }

  /** One reply's lines; a single line {@code "-1"} stands for a connection that ended. */
  private List<String> readLines() throws IOException {
    List<String> lines = new ArrayList<>(1);
    while (true) {
      String line = readLine();
      if (line == null) {
        return List.of();
      }
      if (wire != null) {
        wire.println(line);
      }
      lines.add(line);
      if (line.length() < 4 || line.charAt(3) != '-') {
        return lines;
      }
    }
  }

  private static SmtpReply reply(List<String> lines) {
    if (lines.isEmpty()) {
      return SmtpReply.connectionLost();
    }
    return SmtpReply.parse(String.join("\n", lines))
        .orElse(new SmtpReply(0, null, "unreadable reply"));
  }

  private @Nullable String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
      }
      if (line.size() < MAX_LINE) {
        line.write(b);
      }
    }
    return null;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static int millis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }

  private static void closeQuietly(@Nullable Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // closed either way
      }
    }
  }
}
