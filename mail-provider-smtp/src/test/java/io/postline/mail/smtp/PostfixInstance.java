package io.postline.mail.smtp;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The private Postfix instance {@code .ci/postfix-setup} runs on 127.0.0.1 (STARTTLS with a test
 * CA, SASL AUTH, reject/defer rules, one Maildir for {@code @postline.test}), as described by the
 * properties file that script writes. Tests that need it fail, never skip, when it is not there.
 */
final class PostfixInstance {
  /** Where {@code .ci/postfix-setup} writes the instance's settings (override: POSTLINE_POSTFIX_DIR). */
  static final Path PROPERTIES = Path.of(System.getenv().getOrDefault("POSTLINE_POSTFIX_DIR",
      "/var/lib/postline-postfix"), "postline-postfix.properties");

  final String host;
  final int port;
  /** The same service, but it drops a client that is silent for 2 seconds (421 4.4.2). */
  final int shortTimeoutPort;
  final String username;
  final String password;
  final Path caCertificate;
  final Path maildir;
  final String domain;
  final Path maillog;

  private PostfixInstance(Properties p) {
    host = p.getProperty("host");
    port = Integer.parseInt(p.getProperty("port"));
    shortTimeoutPort = Integer.parseInt(p.getProperty("shortTimeoutPort"));
    username = p.getProperty("username");
    password = p.getProperty("password");
    caCertificate = Path.of(p.getProperty("caCertificate"));
    maildir = Path.of(p.getProperty("maildir"));
    domain = p.getProperty("domain");
    maillog = Path.of(p.getProperty("maillog"));
  }

  /** How many times the short-timeout service has dropped a silent client, by Postfix's log. */
  long shortTimeoutsLogged() throws IOException {
    try (Stream<String> lines = Files.lines(maillog, StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains("postfix-postline/short/smtpd[") && l.contains(": timeout after ")).count();
    }
  }

  /**
   * The instance, answering with a 220 greeting.
   *
   * @throws AssertionError naming {@code .ci/postfix-setup} when it is not set up or not running
   */
  static PostfixInstance require() {
    if (!Files.isReadable(PROPERTIES)) {
      throw new AssertionError("The Postfix interop tests need the local Postfix instance, but " + PROPERTIES
          + " is missing: run .ci/postfix-setup (as root; .ci/run does) and build again");
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(PROPERTIES)) {
      p.load(in);
    } catch (IOException e) {
      throw new AssertionError("cannot read " + PROPERTIES + "; run .ci/postfix-setup again", e);
    }
    PostfixInstance postfix = new PostfixInstance(p);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(postfix.host, postfix.port), 3000);
      s.setSoTimeout(5000);
      byte[] greeting = s.getInputStream().readNBytes(3);
      if (!new String(greeting, StandardCharsets.US_ASCII).equals("220")) {
        throw new AssertionError("Postfix at " + postfix.host + ":" + postfix.port + " did not greet with 220;"
            + " run .ci/postfix-setup again");
      }
    } catch (IOException e) {
      throw new AssertionError("Postfix is not answering at " + postfix.host + ":" + postfix.port + " ("
          + e.getMessage() + "): run .ci/postfix-setup (as root; it starts the instance) and build again", e);
    }
    return postfix;
  }

  /** A provider for this instance: STARTTLS trusting exactly the test CA, logged in. */
  SmtpProvider.Builder provider(SmtpTransport transport) {
    return SmtpProvider.builder("localhost").port(port).credentials(username, password)
        .trustedCertificate(caCertificate).transport(transport).ehloName("client.postline.test")
        .readTimeout(Duration.ofSeconds(20));
  }

  /** An address in the delivering domain, unique to this run: {@code <prefix>-<nanos>@postline.test}. */
  String address(String prefix) {
    return prefix + "-" + Long.toString(System.nanoTime(), 36) + "@" + domain;
  }

  /**
   * Waits for the copy of the message {@code messageId} delivered to {@code recipient}, returns its
   * bytes and deletes it from the Maildir.
   */
  byte[] awaitDelivered(String recipient, String messageId) {
    byte[] deliveredTo = ("Delivered-To: " + recipient + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] id = ("\nMessage-ID: " + messageId + "\n").getBytes(StandardCharsets.UTF_8);
    AtomicReference<Path> found = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (Path file : newMail()) {
        byte[] bytes = Files.readAllBytes(file);
        if (indexOf(bytes, deliveredTo) >= 0 && indexOf(bytes, id) >= 0) {
          found.set(file);
          return true;
        }
      }
      return false;
    });
    try {
      byte[] bytes = Files.readAllBytes(found.get());
      Files.delete(found.get());
      return bytes;
    } catch (IOException e) {
      throw new AssertionError("cannot read " + found.get(), e);
    }
  }

  /** How many delivered copies, not yet taken by {@link #awaitDelivered}, contain {@code text}. */
  long copiesContaining(String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    long n = 0;
    for (Path file : newMail()) {
      if (indexOf(Files.readAllBytes(file), needle) >= 0) {
        n++;
      }
    }
    return n;
  }

  private List<Path> newMail() throws IOException {
    Path dir = maildir.resolve("new");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return new ArrayList<>(files.toList());
    }
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
