package io.postline.mail.mime;

import io.postline.mail.spi.ProviderSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads the signing options of a provider that sends raw MIME (SMTP, SES): {@code dkim.*} for
 * DKIM and {@code smime.*} for S/MIME, from its DSN or from the options Spring Boot properties
 * become. One key:
 *
 * <pre>
 * smtp://relay:587?dkim.domain=example.org&amp;dkim.selector=rsa2025&amp;dkim.key=/etc/dkim/rsa.pem
 * </pre>
 *
 * Several keys (dual signatures, rotation, one key per From domain) are numbered groups
 * {@code dkim.<n>.*}; the numbers (0 to 99) only group options, and {@code dkim.domain} is the
 * domain of every group that names none:
 *
 * <pre>
 * ses://default?region=eu-west-1&amp;dkim.domain=example.org
 *     &amp;dkim.1.selector=rsa2025&amp;dkim.1.key=/etc/dkim/rsa.pem
 *     &amp;dkim.2.selector=ed2025&amp;dkim.2.key=/etc/dkim/ed25519.pem
 *     &amp;dkim.3.domain=example.net&amp;dkim.3.selector=s1&amp;dkim.3.key=/etc/dkim/net.pem
 * </pre>
 *
 * Each key is {@code key} (the path of a PKCS#8 PEM file) or {@code keyPem} (the PEM text itself,
 * as Spring Boot passes a key from the environment). S/MIME: {@code smime.key} (a PKCS#8 PEM key
 * with {@code smime.cert}, its PEM certificate chain; or a PKCS#12 file with
 * {@code smime.password}) signs; {@code smime.encrypt} (a directory of {@code <address>.pem}
 * certificates, see {@link SmimeCertificates#directory}) encrypts.
 *
 * <p>Errors name the option and the provider, never a key, a password or a file's path.
 */
public final class SigningOptions {
  private static final Pattern DKIM = Pattern.compile("dkim\\.(?:(0|[1-9][0-9]?)\\.)?([A-Za-z]+)");
  private static final Set<String> DKIM_PARTS = Set.of("domain", "selector", "key", "keyPem");
  private static final Set<String> SMIME = Set.of("smime.key", "smime.cert", "smime.password", "smime.encrypt");
  private static final String UNNUMBERED = "";

  private SigningOptions() {}

  /**
   * The names of the signing options in {@code settings}, each checked to be one Postline knows;
   * a provider adds them to its own when it calls {@link ProviderSettings#requireKnownOptions}.
   *
   * @throws IllegalArgumentException naming an unknown {@code dkim.*} or {@code smime.*} option
   */
  public static Set<String> names(ProviderSettings settings) {
    Objects.requireNonNull(settings, "settings");
    Set<String> names = new TreeSet<>();
    for (String name : settings.options().keySet()) {
      if (name.startsWith("dkim.")) {
        Matcher m = DKIM.matcher(name);
        if (!m.matches() || !DKIM_PARTS.contains(m.group(2))) {
          throw new IllegalArgumentException("unknown DKIM option " + name + " of provider " + settings.name()
              + ": a key is dkim.domain, dkim.selector and dkim.key (a PEM file) or dkim.keyPem (PEM text), "
              + "and further keys are numbered groups such as dkim.1.selector, dkim.1.key");
        }
        names.add(name);
      } else if (name.startsWith("smime.")) {
        if (!SMIME.contains(name)) {
          throw new IllegalArgumentException("unknown S/MIME option " + name + " of provider " + settings.name()
              + ": the options are " + new TreeSet<>(SMIME));
        }
        names.add(name);
      }
    }
    return Collections.unmodifiableSet(names);
  }

  /**
   * The DKIM signer the {@code dkim.*} options describe, or empty when there are none.
   *
   * @throws IllegalArgumentException naming the option that is missing, unknown or wrong (a key
   *     that cannot be read, is too short or of another type)
   */
  public static Optional<DkimSigner> dkim(ProviderSettings settings) {
    names(settings);
    Map<String, Map<String, String>> groups = new TreeMap<>();
    for (Map.Entry<String, String> e : settings.options().entrySet()) {
      Matcher m = DKIM.matcher(e.getKey());
      if (m.matches()) {
        String group = m.group(1) == null ? UNNUMBERED : m.group(1);
        groups.computeIfAbsent(group, g -> new TreeMap<>()).put(m.group(2), e.getValue());
      }
    }
    if (groups.isEmpty()) {
      return Optional.empty();
    }
    String provider = settings.name();
    Map<String, String> plain = groups.getOrDefault(UNNUMBERED, Map.of());
    @Nullable String defaultDomain = plain.get("domain");
    boolean plainKey = plain.keySet().stream().anyMatch(p -> !p.equals("domain"));
    boolean numbered = groups.keySet().stream().anyMatch(g -> !g.equals(UNNUMBERED));
    if (plainKey && numbered) {
      throw new IllegalArgumentException("DKIM options of provider " + provider + " mix one key (dkim.selector, "
          + "dkim.key) with numbered keys " + groups.keySet().stream().filter(g -> !g.equals(UNNUMBERED))
          .map(g -> "dkim." + g + ".*").toList() + "; number every key, keeping dkim.domain for their common domain");
    }
    if (!plainKey && !numbered) {
      throw new IllegalArgumentException("option dkim.domain of provider " + provider + " has no key: add "
          + "dkim.selector and dkim.key (or dkim.keyPem), or numbered keys dkim.1.selector, dkim.1.key, ...");
    }
    DkimSigner.Builder signer = DkimSigner.builder();
    for (Map.Entry<String, Map<String, String>> group : groups.entrySet()) {
      if (numbered && group.getKey().equals(UNNUMBERED)) {
        continue;
      }
      String prefix = group.getKey().equals(UNNUMBERED) ? "dkim." : "dkim." + group.getKey() + ".";
      Map<String, String> parts = group.getValue();
      String domain = parts.getOrDefault("domain", defaultDomain);
      if (domain == null) {
        throw new IllegalArgumentException("DKIM key " + prefix + "* of provider " + provider + " needs "
            + prefix + "domain (or dkim.domain for every key)");
      }
      String selector = parts.get("selector");
      if (selector == null) {
        throw new IllegalArgumentException("DKIM key " + prefix + "* of provider " + provider + " needs "
            + prefix + "selector");
      }
      PrivateKey key = dkimKey(provider, prefix, parts);
      try {
        signer.key(domain, selector, key);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("DKIM key " + prefix + "* of provider " + provider + ": " + e.getMessage(), e);
      }
    }
    return Optional.of(signer.build());
  }

  private static PrivateKey dkimKey(String provider, String prefix, Map<String, String> parts) {
    String path = parts.get("key");
    String pem = parts.get("keyPem");
    if ((path == null) == (pem == null)) {
      throw new IllegalArgumentException("DKIM key " + prefix + "* of provider " + provider + " needs exactly one of "
          + prefix + "key (the path of a PKCS#8 PEM file) and " + prefix + "keyPem (the PEM text)");
    }
    String option = path != null ? prefix + "key" : prefix + "keyPem";
    if (path != null && path.contains("-----")) {
      throw new IllegalArgumentException("option " + option + " of provider " + provider + " is the path of a PKCS#8 "
          + "PEM file, not the key itself; give PEM text in " + prefix + "keyPem");
    }
    try {
      return path != null ? PemKeys.privateKey(Path.of(path)) : PemKeys.privateKey(Objects.requireNonNull(pem));
    } catch (IllegalArgumentException e) {
      // PemKeys' messages show neither the key nor the path; the Path.of failure might, so it is not kept.
      throw new IllegalArgumentException("option " + option + " of provider " + provider + ": "
          + (e instanceof java.nio.file.InvalidPathException ? "not a file path" : e.getMessage()));
    }
  }

  /**
   * The S/MIME settings the {@code smime.*} options describe, or empty when there are none.
   *
   * @throws IllegalArgumentException naming the option that is missing or wrong (a key, chain,
   *     PKCS#12 file or directory that cannot be read), or saying that Bouncy Castle is missing
   */
  public static Optional<Smime> smime(ProviderSettings settings) {
    names(settings);
    String provider = settings.name();
    Optional<String> key = settings.option("smime.key");
    Optional<String> cert = settings.option("smime.cert");
    Optional<String> password = settings.option("smime.password");
    Optional<String> encrypt = settings.option("smime.encrypt");
    if (key.isEmpty() && cert.isEmpty() && password.isEmpty() && encrypt.isEmpty()) {
      return Optional.empty();
    }
    Smime.Builder smime = Smime.builder();
    if (key.isPresent()) {
      byte[] content = read(provider, "smime.key", key.get());
      boolean pem = new String(content, StandardCharsets.US_ASCII).contains("-----BEGIN");
      if (pem) {
        if (cert.isEmpty()) {
          throw new IllegalArgumentException("option smime.key of provider " + provider + " is a PEM key: give its "
              + "certificate chain in smime.cert (or use a PKCS#12 file with smime.password)");
        }
        if (password.isPresent()) {
          throw new IllegalArgumentException("option smime.password of provider " + provider + " is for a PKCS#12 "
              + "smime.key; a PEM key is read unencrypted");
        }
        PrivateKey privateKey = wrap(provider, "smime.key",
            () -> PemKeys.privateKey(new String(content, StandardCharsets.US_ASCII)));
        List<X509Certificate> chain = wrap(provider, "smime.cert", () -> PemKeys.certificates(
            new String(read(provider, "smime.cert", cert.get()), StandardCharsets.US_ASCII)));
        smime.signWith(privateKey, chain);
      } else {
        if (cert.isPresent()) {
          throw new IllegalArgumentException("option smime.cert of provider " + provider + " is for a PEM smime.key; "
              + "a PKCS#12 file carries its own certificate chain");
        }
        pkcs12(provider, content, password.orElse("").toCharArray(), smime);
      }
    } else if (cert.isPresent() || password.isPresent()) {
      throw new IllegalArgumentException("options smime.cert and smime.password of provider " + provider
          + " belong to a signing key: add smime.key");
    }
    encrypt.ifPresent(dir -> smime.encryptTo(wrap(provider, "smime.encrypt",
        () -> SmimeCertificates.directory(Path.of(dir)))));
    try {
      return Optional.of(smime.build());
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("S/MIME options of provider " + provider + ": " + e.getMessage(), e);
    }
  }

  private static void pkcs12(String provider, byte[] content, char[] password, Smime.Builder smime) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(new ByteArrayInputStream(content), password);
      List<String> aliases = Collections.list(store.aliases()).stream().filter(a -> {
        try {
          return store.isKeyEntry(a);
        } catch (GeneralSecurityException e) {
          return false;
        }
      }).toList();
      if (aliases.size() != 1) {
        throw new IllegalArgumentException("option smime.key of provider " + provider + ": the PKCS#12 file holds "
            + aliases.size() + " private keys; S/MIME signs with exactly one");
      }
      Key key = store.getKey(aliases.get(0), password);
      Certificate[] chain = store.getCertificateChain(aliases.get(0));
      if (!(key instanceof PrivateKey privateKey) || chain == null || chain.length == 0) {
        throw new IllegalArgumentException("option smime.key of provider " + provider + ": the PKCS#12 file's key "
            + "has no certificate chain");
      }
      List<X509Certificate> certificates = new ArrayList<>();
      for (Certificate c : chain) {
        certificates.add((X509Certificate) c);
      }
      smime.signWith(privateKey, certificates);
    } catch (IOException | GeneralSecurityException e) {
      // A wrong password shows as an IOException whose cause is an UnrecoverableKeyException.
      throw new IllegalArgumentException("option smime.key of provider " + provider + ": the PKCS#12 file cannot be "
          + "read with the given smime.password, or is not PKCS#12 (" + e.getClass().getSimpleName() + ")");
    } finally {
      java.util.Arrays.fill(password, '\0');
    }
  }

  private static byte[] read(String provider, String option, String path) {
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (IOException | java.nio.file.InvalidPathException e) {
      throw new IllegalArgumentException("option " + option + " of provider " + provider + ": the file cannot be "
          + "read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private interface Reader<T> {
    T read();
  }

  private static <T> T wrap(String provider, String option, Reader<T> reader) {
    try {
      return reader.read();
    } catch (java.nio.file.InvalidPathException e) {
      throw new IllegalArgumentException("option " + option + " of provider " + provider + ": not a file path");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("option " + option + " of provider " + provider + ": " + e.getMessage(), e);
    }
  }
}
