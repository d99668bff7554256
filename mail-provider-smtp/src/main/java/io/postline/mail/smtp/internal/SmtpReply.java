package io.postline.mail.smtp.internal;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One SMTP reply: its three-digit code, its RFC 3463 enhanced status code when the server gave
 * one, and its text (every line, the codes stripped, joined with a space).
 *
 * @param code the reply code, such as 550; -1 when the connection ended instead of a reply
 * @param enhanced the enhanced status code, such as {@code 5.1.1}, or null
 * @param text what the server said after the codes
 */
public record SmtpReply(int code, @Nullable String enhanced, String text) {
  private static final Pattern LINE = Pattern.compile(
      "\\s*(\\d{3})(?:[ -]|$)\\s*(?:([245]\\.\\d{1,3}\\.\\d{1,3})(?:\\s+|$))?(.*)", Pattern.DOTALL);
  private static final Pattern IN_TEXT = Pattern.compile("(?:^|response: |\\n)(\\d{3}[ -].*)", Pattern.DOTALL);

  /** Parses a reply as Angus keeps it ({@code getLastServerResponse()}): lines joined by LF. */
  public static Optional<SmtpReply> parse(@Nullable String response) {
    if (response == null || response.isBlank()) {
      return Optional.empty();
    }
    String[] lines = response.strip().split("\r?\n");
    Matcher first = LINE.matcher(lines[0]);
    if (!first.matches()) {
      return Optional.empty();
    }
    int code = Integer.parseInt(first.group(1));
    String enhanced = first.group(2);
    StringBuilder text = new StringBuilder(first.group(3).strip());
    for (int i = 1; i < lines.length; i++) {
      Matcher m = LINE.matcher(lines[i]);
      String part = m.matches() ? m.group(3).strip() : lines[i].strip();
      if (!part.isEmpty()) {
        text.append(text.length() == 0 ? "" : " ").append(part);
      }
    }
    return Optional.of(new SmtpReply(code, enhanced, text.toString()));
  }

  /**
   * Finds a reply inside an exception message such as Angus's
   * {@code "Got bad greeting from SMTP host: h, port: 25, response: 421 busy"}.
   */
  public static Optional<SmtpReply> find(@Nullable String message) {
    if (message == null) {
      return Optional.empty();
    }
    Optional<SmtpReply> direct = parse(message);
    if (direct.isPresent()) {
      return direct;
    }
    Matcher m = IN_TEXT.matcher(message);
    return m.find() ? parse(m.group(1)) : Optional.empty();
  }

  /** A reply for a connection that ended where a reply was due. */
  public static SmtpReply connectionLost() {
    return new SmtpReply(-1, null, "connection closed by the server");
  }

  /** Whether the reply is a temporary failure (4xx). */
  public boolean isTransient() {
    return code >= 400 && code < 500;
  }

  /** Whether the reply is a permanent failure (5xx). */
  public boolean isPermanent() {
    return code >= 500 && code < 600;
  }

  /** Whether the connection ended instead of a reply. */
  public boolean isConnectionLost() {
    return code < 100;
  }

  /** The enhanced code's subject and detail, such as {@code 2.2} for {@code 4.2.2}; empty if none. */
  public String enhancedSubjectDetail() {
    if (enhanced == null) {
      return "";
    }
    return enhanced.substring(enhanced.indexOf('.') + 1);
  }

  /** Whether the enhanced code is X.2.2, mailbox full (RFC 3463). */
  public boolean isMailboxFull() {
    return "2.2".equals(enhancedSubjectDetail());
  }

  /** Whether the enhanced code's subject is X.7 (security or policy, RFC 3463). */
  public boolean isPolicy() {
    return enhancedSubjectDetail().startsWith("7.");
  }

  /** Whether the text speaks of throttling, for servers that give no enhanced code. */
  public boolean soundsLikeThrottling() {
    String t = text.toLowerCase(Locale.ROOT);
    return t.contains("rate limit") || t.contains("ratelimit") || t.contains("rate-limit")
        || t.contains("throttl") || t.contains("slow down") || t.contains("too many messages")
        || t.contains("too many connections") || t.contains("too many requests")
        || t.contains("too many concurrent");
  }

  /** The code as a provider code: {@code 550 5.1.1}, or {@code 421}. */
  public String providerCode() {
    if (code < 100) {
      return "EOF";
    }
    return enhanced == null ? Integer.toString(code) : code + " " + enhanced;
  }

  /** {@code 550 5.1.1 text}. */
  @Override
  public String toString() {
    return code < 100 ? text : providerCode() + (text.isEmpty() ? "" : " " + text);
  }
}
