package io.postline.mail.smtp;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Verifies DKIM signatures with Python's dkimpy (Debian package python3-dkim), an independent
 * implementation, through {@code dkim_verify.py}: the public keys are handed to it directly, no
 * DNS. The interpreter is the system property {@code postline.python}, else the first of
 * {@code python3} and {@code /usr/bin/python3} that can import dkim.
 */
final class Dkimpy {
  private Dkimpy() {}

  static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(bits);
      return g.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static KeyPair ed25519() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The DNS TXT record publishing this public key (RFC 6376 3.6.1; RFC 8463 for Ed25519). */
  static String record(PublicKey key) {
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
   * @param records DNS name ({@code selector._domainkey.domain}) to TXT record
   */
  static List<String> verify(byte[] message, Map<String, String> records) throws IOException, InterruptedException {
    Path file = Files.createTempFile("dkim", ".eml");
    Path err = Files.createTempFile("dkim", ".err");
    try {
      Files.write(file, message);
      List<String> command = new ArrayList<>(List.of(python(), "-I", script().toString(), file.toString()));
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

  private static Path script() {
    try {
      return Path.of(Dkimpy.class.getResource("dkim_verify.py").toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }
}
