package io.postline.mail.smtp.internal;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Angus Mail's debug output ({@code Session.setDebugOut}) turned into SLF4J lines, so that the
 * SMTP conversation never goes to {@code System.out}.
 *
 * <p>The conversation is logged at DEBUG on {@value #LOGGER}, one line per command ({@code C:})
 * or reply ({@code S:}), prefixed with the provider and connection. Angus's own diagnostics
 * ({@code DEBUG SMTP: ...}) go to TRACE. Every line is cleaned by the {@link Redactor}: secrets are
 * removed and addresses masked. AUTH exchanges are reduced to the mechanism (Angus suppresses them
 * too; this is the second lock), and the message content between {@code DATA} and the final
 * {@code .} is never logged, only its line count.
 */
public final class WireLog extends OutputStream {
  /** The logger the conversation goes to. */
  public static final String LOGGER = "io.postline.mail.smtp.wire";
  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
  private static final Pattern REPLY = Pattern.compile("\\d{3}([ -].*)?");
  /** Stack frames Angus prints after a diagnostic ("THROW:"); dropped. */
  private static final Pattern STACK_FRAME = Pattern.compile("\\s+(at |\\.\\.\\. \\d+ more).*");
  /** The headlines of such a stack trace; kept as diagnostics. */
  private static final Pattern TRACE_LINE = Pattern.compile(
      "\\s*(Caused by: |Suppressed: |[\\w.$]+(Exception|Error)(: |$)).*");

  private final String prefix;
  private final Redactor redactor;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private final boolean trackData;
  private boolean inAuth;
  private boolean inData;
  private long dataLines;

  private WireLog(String prefix, Redactor redactor, boolean trackData) {
    this.prefix = prefix;
    this.redactor = redactor;
    this.trackData = trackData;
  }

  /** Whether the conversation is logged at all; Angus's tracing is switched on only then. */
  public static boolean enabled() {
    return LOG.isDebugEnabled();
  }

  /**
   * A stream for {@code Session.setDebugOut}.
   *
   * @param prefix what each line starts with, such as {@code [primary#3]}
   */
  public static PrintStream stream(String prefix, Redactor redactor) {
    return new PrintStream(new WireLog(prefix, redactor, true), true, StandardCharsets.UTF_8);
  }

  /**
   * A stream for Postline's own engine, which never writes message content to it (it writes one
   * {@code <message content, ...>} line instead), so nothing here depends on telling the content
   * apart: with pipelining, replies arrive after later commands were written, and the DATA / 354
   * tracking of {@link #stream} could not follow them.
   */
  static PrintStream engineStream(String prefix, Redactor redactor) {
    return new PrintStream(new WireLog(prefix, redactor, false), true, StandardCharsets.UTF_8);
  }

  @Override
  public synchronized void write(int b) {
    if (b == '\n') {
      flushLine();
    } else if (b != '\r') {
      if (line.size() < 64 * 1024) {
        line.write(b);
      }
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    for (int i = off; i < off + len; i++) {
      write(b[i]);
    }
  }

  @Override
  public synchronized void close() {
    if (line.size() > 0) {
      flushLine();
    }
  }

  private void flushLine() {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    handle(text);
  }

  private void handle(String text) {
    if (inData) {
      if (text.equals(".")) {
        inData = false;
        LOG.debug("{} C: <message content, {} lines, not logged>", prefix, dataLines);
        LOG.debug("{} C: .", prefix);
      } else {
        dataLines++;
      }
      return;
    }
    if (STACK_FRAME.matcher(text).matches()) {
      return;
    }
    if (text.startsWith("DEBUG") || TRACE_LINE.matcher(text).matches()) {
      if (LOG.isTraceEnabled()) {
        LOG.trace("{} {}", prefix, redactor.clean(text));
      }
      return;
    }
    if (text.isEmpty()) {
      return;
    }
    if (REPLY.matcher(text).matches()) {
      reply(text);
    } else {
      command(text);
    }
  }

  private void reply(String text) {
    String code = text.substring(0, 3);
    if (inAuth && code.equals("334")) {
      LOG.debug("{} S: 334 {}", prefix, Redactor.MASK);
      return;
    }
    inAuth = false;
    // 354 answers DATA and nothing else (RFC 5321 4.2.2). With PIPELINING the replies to MAIL and
    // RCPT come between DATA and it, so it is known by its code, not by following DATA.
    if (trackData && code.equals("354")) {
      inData = true;
      dataLines = 0;
    }
    LOG.debug("{} S: {}", prefix, redactor.clean(text));
  }

  private void command(String text) {
    String upper = text.length() >= 5 ? text.substring(0, 5).toUpperCase(Locale.ROOT) : text;
    if (upper.startsWith("AUTH ")) {
      inAuth = true;
      String[] parts = text.split(" ", 3);
      LOG.debug("{} C: AUTH {}{}", prefix, parts[1], parts.length > 2 ? " " + Redactor.MASK : "");
      return;
    }
    if (inAuth) {
      LOG.debug("{} C: {}", prefix, Redactor.MASK);
      return;
    }
    LOG.debug("{} C: {}", prefix, redactor.clean(text));
  }
}
