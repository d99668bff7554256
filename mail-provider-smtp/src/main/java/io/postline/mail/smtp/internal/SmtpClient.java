package io.postline.mail.smtp.internal;

import io.postline.mail.Address;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.mime.MimeChannel;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Postline's own SMTP protocol engine for one connection: EHLO (with its extensions), STARTTLS or
 * implicit TLS (certificates and host names verified unless turned off), AUTH PLAIN, LOGIN and
 * XOAUTH2, and for each message MAIL, every RCPT and DATA in one flight when the server offers
 * PIPELINING (RFC 2920), or the body as one {@code BDAT <size> LAST} chunk in that flight when it
 * offers CHUNKING (RFC 3030); several messages back to back with each envelope pipelined with the
 * end of the previous body ({@link #sendAll}); SIZE checked before sending, SMTPUTF8 for
 * internationalized addresses, BODY=8BITMIME for 8-bit content when offered, DSN parameters when
 * asked and offered, the DATA body dot-stuffed. Each recipient's reply is kept as the server gave
 * it; after a refused message the connection is reset with RSET and stays usable.
 */
public final class SmtpClient implements SmtpLink {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] END_OF_DATA = {'.', '\r', '\n'};
  private static final int MAX_LINE = 64 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger("io.postline.mail.smtp");

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
  public MimeChannel channel(boolean smtpUtf8) throws ProviderException {
    if (smtpUtf8) {
      if (!offers("SMTPUTF8")) {
        throw noSmtpUtf8();
      }
      return MimeChannel.UTF8;
    }
    return offers("8BITMIME") ? MimeChannel.EIGHT_BIT : MimeChannel.SEVEN_BIT;
  }

  private ProviderException noSmtpUtf8() {
    return failures.failure(FailureKind.PERMANENT, "SMTP server " + settings.address() + " does not offer "
        + "SMTPUTF8 (RFC 6531), which a message with an internationalized address (a non-ASCII local part) "
        + "needs; nothing was sent. Send it through a server that offers SMTPUTF8", null);
  }

  /** Why the message cannot go to this server at all, before anything is written; or null. */
  private @Nullable ProviderException refusedBeforeSending(Outgoing m) {
    if (m.smtpUtf8() && !offers("SMTPUTF8")) {
      return noSmtpUtf8();
    }
    long max = serverMaxSize();
    if (max > 0 && m.mime().length > max) {
      return failures.failure(FailureKind.PERMANENT, "the message of " + m.mime().length
          + " bytes is larger than the " + max + " bytes SMTP server " + settings.address() + " takes (SIZE)", null);
    }
    return null;
  }

  @Override
  public List<RecipientStatus> sendOne(Outgoing message) throws ProviderException {
    return sendAll(List.of(message)).get(0).orThrow();
  }

  /**
   * Sends the messages over this connection. With PIPELINING, each message's envelope goes in one
   * flight, and the next message's envelope goes with the end of the previous message's body:
   * with CHUNKING, {@code [RSET] MAIL RCPT... BDAT n LAST <bytes>} of message N+1 is written before
   * the replies of message N are read (RSET first, so that whatever became of N, N+1 starts a fresh
   * transaction); with DATA, {@code <body N> . [RSET] MAIL RCPT... DATA} is one flight (RSET only
   * when N's envelope failed: the end of DATA itself ends a transaction). Replies are matched to
   * their commands in order, so each message gets exactly its own. At most two messages' replies
   * are outstanding, well within the socket buffers, so neither side can block the other.
   */
  @Override
  public List<@Nullable SendAttempt> sendAll(List<Outgoing> messages) {
    SendAttempt[] attempts = new SendAttempt[messages.size()];
    List<Integer> inFlight = new ArrayList<>(2);
    reusable = false;
    resetRefused = false;
    try {
      if (!offers("PIPELINING")) {
        lockStep(messages, attempts, inFlight);
      } else if (offers("CHUNKING")) {
        pipelinedChunks(messages, attempts, inFlight);
      } else {
        pipelinedData(messages, attempts, inFlight);
      }
      reusable = !resetRefused;
    } catch (IOException | ConnectionLost e) {
      reusable = false;
      ProviderException lost = failures.lost(e instanceof IOException io ? io : null);
      for (int i : inFlight) {
        if (attempts[i] == null) {
          attempts[i] = SendAttempt.failed(lost);
        }
      }
    }
    if (attempts.length > 0 && attempts[0] == null) {
      // Never the case: the first message is always written, so it is in flight when the connection fails.
      attempts[0] = SendAttempt.failed(failures.lost(null));
    }
    return java.util.Arrays.asList(attempts);
  }

  /** Whether the server refused an RSET: the connection's state is then unknown, and it is not reused. */
  private boolean resetRefused;

  /** The index of the next message from {@code from} that may be written, refusing those that cannot. */
  private int next(List<Outgoing> messages, SendAttempt[] attempts, int from) {
    for (int i = from; i < messages.size(); i++) {
      ProviderException refused = refusedBeforeSending(messages.get(i));
      if (refused == null) {
        return i;
      }
      attempts[i] = SendAttempt.failed(refused);
    }
    return -1;
  }

  /** Without PIPELINING: every command waits for its reply. */
  private void lockStep(List<Outgoing> messages, SendAttempt[] attempts, List<Integer> inFlight)
      throws IOException, ConnectionLost {
    boolean chunking = offers("CHUNKING");
    for (int i = next(messages, attempts, 0); i >= 0 && !resetRefused; i = next(messages, attempts, i + 1)) {
      sendInLockStep(messages.get(i), i, attempts, inFlight, chunking);
      if (attempts[i].failure() != null) {
        reset();
      }
    }
  }

  private void sendInLockStep(Outgoing m, int i, SendAttempt[] attempts, List<Integer> inFlight, boolean chunking)
      throws IOException, ConnectionLost {
    {
      inFlight.clear();
      inFlight.add(i);
      command(mailCommand(m));
      SmtpReply mail = read();
      Map<Address, SmtpReply> replies = new LinkedHashMap<>();
      if (mail.code() == 250) {
        for (Address a : m.recipients()) {
          command(rcptCommand(m, a));
          replies.put(a, read());
        }
      }
      ProviderException refused = envelopeFailure(m, mail, replies);
      if (refused != null) {
        attempts[i] = SendAttempt.failed(refused);
        return;
      }
      if (chunking) {
        writeChunk(m);
        flush();
        attempts[i] = finish(m, replies, read(), "the message (BDAT)");
      } else {
        command("DATA");
        SmtpReply data = read();
        if (data.code() != 354) {
          attempts[i] = SendAttempt.failed(failures.replyFailure("the message (DATA)", data));
          return;
        }
        body(m.mime());
        flush();
        attempts[i] = finish(m, replies, read(), "the message (end of DATA)");
      }
    }
  }

  /** PIPELINING and CHUNKING: message N+1 is written before the replies of message N are read. */
  private void pipelinedChunks(List<Outgoing> messages, SendAttempt[] attempts, List<Integer> inFlight)
      throws IOException, ConnectionLost {
    int previous = -1;
    for (int i = next(messages, attempts, 0); i >= 0; i = next(messages, attempts, i + 1)) {
      Outgoing m = messages.get(i);
      if (previous >= 0) {
        write("RSET");
      }
      writeEnvelope(m);
      writeChunk(m);
      flush();
      inFlight.add(i);
      if (previous >= 0) {
        attempts[previous] = chunkReplies(messages.get(previous));
        inFlight.remove(Integer.valueOf(previous));
        read(); // RSET: whatever it says, message i's own replies say what became of it
      }
      previous = i;
    }
    if (previous >= 0) {
      attempts[previous] = chunkReplies(messages.get(previous));
      if (attempts[previous].failure() != null) {
        reset();
      }
    }
  }

  private SendAttempt chunkReplies(Outgoing m) throws IOException, ConnectionLost {
    SmtpReply mail = read();
    Map<Address, SmtpReply> replies = rcptReplies(m);
    SmtpReply bdat = read();
    ProviderException refused = envelopeFailure(m, mail, replies);
    if (refused != null) {
      return SendAttempt.failed(refused);
    }
    return finish(m, replies, bdat, "the message (BDAT)");
  }

  /** PIPELINING without CHUNKING: the body of message N goes with the envelope of message N+1. */
  private void pipelinedData(List<Outgoing> messages, SendAttempt[] attempts, List<Integer> inFlight)
      throws IOException, ConnectionLost {
    int i = next(messages, attempts, 0);
    if (i < 0) {
      return;
    }
    writeEnvelope(messages.get(i));
    write("DATA");
    flush();
    inFlight.add(i);
    while (i >= 0) {
      Outgoing m = messages.get(i);
      SmtpReply mail = read();
      Map<Address, SmtpReply> replies = rcptReplies(m);
      SmtpReply data = read();
      ProviderException refused = envelopeFailure(m, mail, replies);
      if (refused == null && data.code() != 354) {
        refused = failures.replyFailure("the message (DATA)", data);
      }
      boolean emptyData = refused != null && data.code() == 354;
      if (refused == null) {
        body(m.mime());
      } else if (emptyData) {
        // RFC 2920 3.1: DATA was accepted although nothing can be delivered; end it empty.
        write(".");
      }
      int j = next(messages, attempts, i + 1);
      if (j >= 0) {
        if (refused != null) {
          write("RSET");
        }
        writeEnvelope(messages.get(j));
        write("DATA");
        inFlight.add(j);
      }
      flush();
      if (refused == null) {
        attempts[i] = finish(m, replies, read(), "the message (end of DATA)");
      } else {
        if (emptyData) {
          read();
        }
        if (j >= 0) {
          read(); // RSET
        }
        attempts[i] = SendAttempt.failed(refused);
      }
      inFlight.remove(Integer.valueOf(i));
      if (j < 0 && attempts[i].failure() != null) {
        reset();
      }
      i = j;
    }
  }

  /** The failure of an envelope whose sender or every recipient was refused; null when it may go on. */
  private @Nullable ProviderException envelopeFailure(Outgoing m, SmtpReply mail, Map<Address, SmtpReply> replies) {
    if (mail.code() != 250) {
      return failures.replyFailure("the sender (MAIL FROM)", mail);
    }
    boolean anyAccepted = replies.values().stream().anyMatch(r -> r.code() == 250 || r.code() == 251);
    if (!anyAccepted) {
      Map<String, SmtpReply> refused = new LinkedHashMap<>();
      replies.forEach((a, r) -> refused.put(a.asciiEmail().toLowerCase(Locale.ROOT), r));
      return failures.everyRecipientRefused(refused, m.recipients());
    }
    return null;
  }

  /** The outcome once the final reply (end of DATA, or BDAT LAST) is in. */
  private SendAttempt finish(Outgoing m, Map<Address, SmtpReply> replies, SmtpReply end, String step) {
    if (end.code() != 250) {
      return SendAttempt.failed(failures.replyFailure(step, end));
    }
    List<RecipientStatus> statuses = new ArrayList<>(m.recipients().size());
    for (Address a : m.recipients()) {
      SmtpReply r = replies.get(a);
      statuses.add(r == null || r.code() == 250 || r.code() == 251 ? RecipientStatus.accepted(a)
          : RecipientStatus.rejected(a, failures.clean(r.toString())));
    }
    return SendAttempt.sent(statuses);
  }

  /** The replies to a pipelined envelope's RCPTs, in order, by recipient. */
  private Map<Address, SmtpReply> rcptReplies(Outgoing m) throws IOException, ConnectionLost {
    Map<Address, SmtpReply> replies = new LinkedHashMap<>();
    for (Address a : m.recipients()) {
      replies.put(a, read());
    }
    return replies;
  }

  /** One reply; a lost connection is thrown. */
  private SmtpReply read() throws IOException, ConnectionLost {
    SmtpReply r = reply(readLines());
    lostIfEof(r);
    return r;
  }

  private void writeEnvelope(Outgoing m) throws IOException {
    write(mailCommand(m));
    for (Address a : m.recipients()) {
      write(rcptCommand(m, a));
    }
  }

  private String mailCommand(Outgoing m) {
    StringBuilder mail = new StringBuilder("MAIL FROM:<").append(m.from().asciiEmail()).append('>');
    if (offers("SIZE")) {
      mail.append(" SIZE=").append(m.mime().length);
    }
    if (offers("8BITMIME") && !isAscii(m.mime())) {
      mail.append(" BODY=8BITMIME");
    }
    if (m.smtpUtf8()) {
      mail.append(" SMTPUTF8");
    }
    DsnRequest dsn = dsn();
    if (dsn != null) {
      mail.append(dsn.mailParameters(m.messageId()));
    }
    return mail.toString();
  }

  private String rcptCommand(Outgoing m, Address a) {
    DsnRequest dsn = dsn();
    return "RCPT TO:<" + a.asciiEmail() + ">" + (dsn == null ? "" : dsn.rcptParameters(a));
  }

  /** The DSN parameters to send: none when none were asked for or the server does not offer DSN. */
  private @Nullable DsnRequest dsn() {
    DsnRequest dsn = settings.dsn();
    if (dsn == null) {
      return null;
    }
    if (!offers("DSN")) {
      if (dsn.firstMissingDsn()) {
        LOG.warn("SMTP server {} of provider {} does not offer DSN (RFC 3461): deliveryNotify and deliveryReturn "
            + "are not sent, and its own notification defaults apply", settings.address(), settings.name());
      }
      return null;
    }
    return dsn;
  }

  /** {@code BDAT <size> LAST} and the message's bytes, as they are (RFC 3030: no dot-stuffing). */
  private void writeChunk(Outgoing m) throws IOException {
    write("BDAT " + m.mime().length + " LAST");
    out.write(m.mime());
    if (wire != null) {
      wire.println("<message content, " + m.mime().length + " bytes, not logged>");
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
  private void reset() throws IOException, ConnectionLost {
    command("RSET");
    if (read().code() != 250) {
      resetRefused = true;
    }
  }

  /**
   * Writes the body dot-stuffed (RFC 5321 4.5.2), ending with CRLF and the final dot. The wire log
   * gets one line in its place: its line count, never the content.
   */
  private void body(byte[] mime) throws IOException {
    boolean lineStart = true;
    int from = 0;
    long lines = 0;
    for (int i = 0; i < mime.length; i++) {
      if (lineStart && mime[i] == '.') {
        out.write(mime, from, i - from);
        out.write('.');
        from = i;
      }
      lineStart = mime[i] == '\n';
      if (lineStart) {
        lines++;
      }
    }
    out.write(mime, from, mime.length - from);
    if (mime.length < 2 || mime[mime.length - 2] != '\r' || mime[mime.length - 1] != '\n') {
      out.write(CRLF);
      lines++;
    }
    out.write(END_OF_DATA);
    if (wire != null) {
      wire.println("<message content, " + lines + " lines, not logged>");
      wire.println(".");
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
