package io.postline.mail.smtp.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Cleans text that may reach a log line or an exception message: removes the provider's secrets
 * (the password, OAuth2 tokens, and their base64 forms, as they appear in AUTH exchanges) and masks
 * email addresses ({@code a***@example.org}). Thread-safe.
 */
public final class Redactor {
  /** What a removed secret is replaced with. */
  public static final String MASK = "****";
  private static final int KEPT_TOKENS = 4;
  private static final int MIN_SECRET = 3;
  /** An address, internationalized ones (UTF-8 local part, RFC 6531; Unicode domain) included. */
  private static final Pattern ADDRESS = Pattern.compile(
      "([A-Za-z0-9!#$%&'*+/=?^_`{|}~.\\-\\x{80}-\\x{10FFFF}]+)@"
      + "((?:[\\p{L}\\p{M}\\p{N}\\-]+\\.)+[\\p{L}\\p{M}\\p{N}\\-]+|\\[[^\\]\\s]+\\])");

  private final List<String> fixed;
  private final Deque<String> tokens = new ArrayDeque<>();
  private volatile List<String> all;

  /**
   * @param user the login, used to recognize the encoded AUTH PLAIN and XOAUTH2 responses
   * @param password the password, or null
   */
  public Redactor(@Nullable String user, @Nullable String password) {
    List<String> secrets = new ArrayList<>();
    if (password != null) {
      addForms(secrets, user, password);
    }
    this.fixed = List.copyOf(secrets);
    this.all = fixed;
  }

  /** A redactor that only masks addresses. */
  public static Redactor none() {
    return new Redactor(null, null);
  }

  /** Adds an OAuth2 token just handed out; the last few tokens are kept. */
  public synchronized void addToken(@Nullable String user, String token) {
    if (tokens.contains(token)) {
      return;
    }
    tokens.addLast(token);
    while (tokens.size() > KEPT_TOKENS) {
      tokens.removeFirst();
    }
    List<String> secrets = new ArrayList<>(fixed);
    for (String t : tokens) {
      addForms(secrets, user, t);
    }
    all = List.copyOf(secrets);
  }

  /** The text without secrets, addresses masked. */
  public String clean(@Nullable String text) {
    if (text == null) {
      return "";
    }
    return maskAddresses(removeSecrets(text));
  }

  /** The text without secrets; addresses left as they are. */
  public String removeSecrets(String text) {
    String s = text;
    for (String secret : all) {
      if (s.contains(secret)) {
        s = s.replace(secret, MASK);
      }
    }
    return s;
  }

  /** Masks every email address in the text: {@code ann@example.org} becomes {@code a***@example.org}. */
  public static String maskAddresses(String text) {
    if (text.indexOf('@') < 0) {
      return text;
    }
    Matcher m = ADDRESS.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (m.find()) {
      String local = m.group(1);
      String masked = (local.isEmpty() ? "" : local.substring(0, Character.charCount(local.codePointAt(0))))
          + "***@" + m.group(2);
      m.appendReplacement(out, Matcher.quoteReplacement(masked));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static void addForms(List<String> secrets, @Nullable String user, String secret) {
    if (secret.length() < MIN_SECRET) {
      return;
    }
    secrets.add(secret);
    secrets.add(b64(secret));
    String u = user == null ? "" : user;
    secrets.add(b64("\0" + u + "\0" + secret));
    secrets.add(b64(u + "\0" + u + "\0" + secret));
    secrets.add(b64("user=" + u + "\001auth=Bearer " + secret + "\001\001"));
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
