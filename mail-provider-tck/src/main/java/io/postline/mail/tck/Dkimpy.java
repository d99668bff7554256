package io.postline.mail.tck;

import io.postline.mail.Attachment;
import io.postline.mail.Email;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Verifies DKIM signatures with Python's dkimpy (Debian package python3-dkim), an independent
 * implementation, through {@code dkim_verify.py}: the public keys are handed to it directly, no
 * DNS. The interpreter is the system property {@code postline.python}, else the first of
 * {@code python3} and {@code /usr/bin/python3} that can import dkim. For the tests of every
 * provider that sends raw MIME signed by Postline (SMTP, SES).
 */
public final class Dkimpy {
  private Dkimpy() {}

  /** A fresh RSA key pair of {@code bits} bits. */
  public static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(bits);
      return g.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** A fresh Ed25519 key pair. */
  public static KeyPair ed25519() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The private key as PKCS#8 PEM text, as {@code openssl genpkey} writes it. */
  public static String pem(PrivateKey key) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /**
   * An email that exercises canonicalization: attachments, non-ASCII and over-long headers, long
   * body lines, trailing white space and tabs, List-Unsubscribe headers; to bob@example.org and
   * carol@example.net.
   */
  public static Email richEmail(String from) {
    byte[] pdf = new byte[40_000];
    new Random(7).nextBytes(pdf);
    return Email.builder()
        .from("Jörg Böttcher <" + from + ">")
        .to("Bob Müller <bob@example.org>").cc("carol@example.net").replyTo("help@example.org")
        .subject("Grüße aus Köln — Ihre Rechnung " + "sehr lang ".repeat(40) + "日本語")
        .text("Hello Bob,\n" + "a".repeat(2_000) + "\n  trailing white space   \n\tTabs\there\n\n\n")
        .html("<p>Grüße</p>" + "<b>long line</b>".repeat(300))
        .attach(Attachment.of("report.pdf", pdf, "application/pdf"))
        .attach(Attachment.of("Übersicht März.txt", "Zeile 1\r\nZeile 2\r\n".getBytes(StandardCharsets.UTF_8),
            "text/plain; charset=UTF-8"))
        .header("List-Unsubscribe", "<https://example.org/unsubscribe/42>, <mailto:unsub@example.org>")
        .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        .header("X-Campaign", "Frühling")
        .build();
  }

  /** The DNS TXT record publishing this public key (RFC 6376 3.6.1; RFC 8463 for Ed25519). */
  public static String record(PublicKey key) {
    byte[] encoded = key.getEncoded();
    if (key.getAlgorithm().equals("RSA")) {
      return "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(encoded);
    }
    // Ed25519 records hold the raw 32-byte key, the end of its SubjectPublicKeyInfo.
    return "v=DKIM1; k=ed25519; p="
        + Base64.getEncoder().encodeToString(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
  }

  /**
   * dkimpy's verdict on each DKIM-Signature of the message, top first: {@code "d s a pass"} or
   * {@code "d s a fail <reason>"}.
   *
   * @param message the message as it was sent
   * @param records DNS name ({@code selector._domainkey.domain}) to TXT record
   * @return one line per signature, or {@code "none"} when the message has none
   * @throws IOException if the verifier cannot be run
   * @throws InterruptedException if interrupted while it runs
   */
  public static List<String> verify(byte[] message, Map<String, String> records) throws IOException, InterruptedException {
    Path file = Files.createTempFile("dkim", ".eml");
    Path err = Files.createTempFile("dkim", ".err");
    Path script = Files.createTempFile("dkim_verify", ".py");
    try (InputStream in = Dkimpy.class.getResourceAsStream("dkim_verify.py")) {
      if (in == null) {
        throw new AssertionError("dkim_verify.py is missing beside " + Dkimpy.class.getName());
      }
      Files.write(script, in.readAllBytes());
      Files.write(file, message);
      List<String> command = new ArrayList<>(List.of(python(), "-I", script.toString(), file.toString()));
      records.forEach((name, record) -> command.add(name + "=" + record));
      Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("dkim_verify.py failed: " + Files.readString(err));
      }
      return out.lines().toList();
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(err);
      Files.deleteIfExists(script);
    }
  }

  private static String python() throws IOException, InterruptedException {
    String named = System.getProperty("postline.python");
    List<String> candidates = named != null ? List.of(named) : List.of("python3", "/usr/bin/python3");
    for (String candidate : candidates) {
      try {
        Process p = new ProcessBuilder(candidate, "-I", "-c", "import dkim").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException e) {
        // Not installed under this name: try the next.
      }
    }
    throw new AssertionError("none of " + candidates + " can import dkimpy: install python3-dkim "
        + "(.ci/run does), or name an interpreter with -Dpostline.python=...");
  }
}
