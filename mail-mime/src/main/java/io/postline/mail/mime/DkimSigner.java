package io.postline.mail.mime;

import io.postline.mail.Address;
import io.postline.mail.InvalidEmailException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Signs rendered MIME messages with DKIM (RFC 6376): {@code rsa-sha256} with RSA keys of 2048
 * bits or more, and {@code ed25519-sha256} (RFC 8463). Several keys for one domain give one
 * signature each (an RSA and an Ed25519 signature side by side, or an old and a new key while
 * rotating).
 *
 * <pre>{@code
 * DkimSigner dkim = DkimSigner.builder()
 *     .key("example.org", "rsa2025", PemKeys.privateKey(Path.of("/etc/postline/dkim-rsa.pem")))
 *     .key("example.org", "ed2025", PemKeys.privateKey(System.getenv("DKIM_ED25519_KEY")))
 *     .build();
 * byte[] signed = dkim.sign(MimeRenderer.defaults().toEml(email));
 * }</pre>
 *
 * <h2>Which key</h2>
 * A message is signed with the keys of the most specific configured domain that is the domain of
 * its {@code From} address or a parent of it ({@code example.org} signs mail from
 * {@code shop.example.org}), so that DMARC finds the signature aligned. A message from any other
 * domain is not signed but refused with a {@link SigningException}: nothing meant to be signed is
 * sent unsigned.
 *
 * <h2>What is signed</h2>
 * Relaxed/relaxed canonicalization by default. The headers in {@link #DEFAULT_SIGNED_HEADERS}
 * that the message has, every instance of each, and {@code From} once more than it appears
 * (over-signed), so that no second {@code From} can be added without breaking the signature.
 * Signatures carry a timestamp ({@code t=}) and never a body length ({@code l=}), so nothing can
 * be appended to a signed body.
 *
 * <h2>Cost</h2>
 * The private-key operation is nearly all of it (canonicalization and hashing of a message of a
 * few KB take microseconds): about 1.1 ms of CPU per RSA-2048 signature with the JDK, and per
 * Ed25519 signature about 0.75 ms with the JDK 17 implementation or 0.05 ms with Bouncy Castle's,
 * which is used when {@code org.bouncycastle:bcprov-jdk18on} is on the class path. See
 * {@code docs/benchmarks.md}, scenario 6.
 *
 * <p>Immutable and thread-safe. {@link #toString()} names domains, selectors and algorithms,
 * never a key.
 */
public final class DkimSigner {
  /** The headers signed by default, when the message has them; {@code From} is over-signed. */
  public static final List<String> DEFAULT_SIGNED_HEADERS = List.of("From", "To", "Cc", "Subject", "Date",
      "Message-ID", "MIME-Version", "Content-Type", "Reply-To", "List-Unsubscribe", "List-Unsubscribe-Post");
  /** The smallest RSA key accepted (RFC 8301 requires 1024 to verify; 2048 is today's floor). */
  public static final int MIN_RSA_BITS = 2048;

  private static final byte[] CRLF = {'\r', '\n'};
  private static final Pattern SELECTOR = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
      + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*");
  private static final Pattern FIELD_NAME = Pattern.compile("[!-9;-~]+");
  private static final int LINE = 76;

  /** Whether Bouncy Castle's Ed25519 can be used (bcprov on the class path, with the method used). */
  private static final boolean BC_ED25519 = bcEd25519Available();

  /** A key and, for Ed25519 when Bouncy Castle is present, its faster signer. */
  private record Key(String domain, String selector, PrivateKey key, String algorithm, @Nullable BcEd25519 fast) {
    @Override
    public String toString() {
      return domain + " s=" + selector + " " + algorithm;
    }
  }

  private final List<Key> keys;
  private final DkimCanonicalization headerCanonicalization;
  private final DkimCanonicalization bodyCanonicalization;
  private final List<String> signedHeaders;
  private final Clock clock;

  private DkimSigner(Builder b) {
    this.keys = List.copyOf(b.keys);
    this.headerCanonicalization = b.header;
    this.bodyCanonicalization = b.body;
    this.signedHeaders = List.copyOf(b.signedHeaders);
    this.clock = b.clock;
  }

  /** A builder; add at least one {@link Builder#key key}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The configured signing domains, lower case, in ASCII form. */
  public Set<String> domains() {
    return keys.stream().map(Key::domain).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /**
   * The message with one {@code DKIM-Signature} header per key of its From domain added at the
   * top; the rest of the bytes are unchanged.
   *
   * @param message a MIME message with CRLF line ends, as {@link MimeRenderer#toEml} writes it
   * @throws SigningException if no key is configured for the From domain, the message has no
   *     From header, or a signature cannot be made
   */
  public byte[] sign(byte[] message) {
    Objects.requireNonNull(message, "message");
    RawMessage m = RawMessage.parse(message);
    String fromDomain = m.fromDomain();
    List<Key> signing = keysFor(fromDomain);
    String bodyHash = Base64.getEncoder().encodeToString(bodyHash(m));
    List<RawMessage.@Nullable Field> fields = selectedFields(m);
    String h = fields.stream().map(f -> f == null ? "from" : f.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(":"));
    ByteArrayOutputStream headers = new ByteArrayOutputStream();
    for (RawMessage.@Nullable Field f : fields) {
      if (f != null) {
        canonicalHeader(m.bytes, f.start(), f.end(), headers);
      }
    }
    byte[] hashedHeaders = headers.toByteArray();
    long now = clock.instant().getEpochSecond();

    ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 1024 * signing.size());
    for (Key key : signing) {
      String unsigned = unsignedHeader(key, now, h, bodyHash);
      byte[] sigField = unsigned.getBytes(StandardCharsets.US_ASCII);
      ByteArrayOutputStream data = new ByteArrayOutputStream(hashedHeaders.length + sigField.length);
      data.writeBytes(hashedHeaders);
      // The signature's own header is hashed last, with an empty b= and without its final CRLF.
      ByteArrayOutputStream own = new ByteArrayOutputStream();
      canonicalHeader(sigField, 0, sigField.length, own);
      byte[] ownBytes = own.toByteArray();
      data.write(ownBytes, 0, ownBytes.length - (ownBytes[ownBytes.length - 1] == '\n' ? 2 : 0));
      String b = Base64.getEncoder().encodeToString(signature(key, data.toByteArray()));
      out.writeBytes(sigField);
      out.writeBytes(fold(b, unsigned.length() - unsigned.lastIndexOf('\n') - 1).getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(CRLF);
    }
    out.writeBytes(message);
    return out.toByteArray();
  }

  private List<Key> keysFor(String fromDomain) {
    @Nullable String best = null;
    for (Key k : keys) {
      if ((fromDomain.equals(k.domain()) || fromDomain.endsWith("." + k.domain()))
          && (best == null || k.domain().length() > best.length())) {
        best = k.domain();
      }
    }
    if (best == null) {
      throw new SigningException("no DKIM key for the From domain " + fromDomain + ": keys are configured for "
          + domains() + ", and a signing domain must be the From domain or a parent of it");
    }
    String domain = best;
    return keys.stream().filter(k -> k.domain().equals(domain)).toList();
  }

  /**
   * The fields to hash, in h= order: for each signed name, its instances from the bottom up
   * (RFC 6376 5.4.2); a null entry is the over-signed From, which hashes as nothing.
   */
  private List<RawMessage.@Nullable Field> selectedFields(RawMessage m) {
    Map<String, List<RawMessage.Field>> byName = new HashMap<>();
    for (RawMessage.Field f : m.fields) {
      byName.computeIfAbsent(f.name().toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(f);
    }
    List<RawMessage.@Nullable Field> selected = new ArrayList<>();
    for (String name : signedHeaders) {
      List<RawMessage.Field> instances = byName.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
      for (int i = instances.size() - 1; i >= 0; i--) {
        selected.add(instances.get(i));
      }
      if (name.equalsIgnoreCase("From")) {
        selected.add(null);
      }
    }
    return selected;
  }

  private String unsignedHeader(Key key, long now, String h, String bodyHash) {
    List<String> tags = List.of("v=1", "a=" + key.algorithm(),
        "c=" + headerCanonicalization.tag() + "/" + bodyCanonicalization.tag(), "d=" + key.domain(),
        "s=" + key.selector(), "t=" + now, "h=" + h, "bh=" + bodyHash, "b=");
    StringBuilder s = new StringBuilder("DKIM-Signature:");
    int column = s.length();
    for (String tag : tags) {
      String piece = " " + tag + (tag.equals("b=") ? "" : ";");
      if (column + piece.length() > LINE && column > 1) {
        s.append("\r\n\t");
        column = 1;
        piece = piece.substring(1);
      }
      if (tag.startsWith("h=") && column + piece.length() > LINE) {
        // A long header list folds after its colons (FWS is allowed there).
        for (String part : piece.split("(?<=:)")) {
          if (column + part.length() > LINE && column > 1) {
            s.append("\r\n\t");
            column = 1;
          }
          s.append(part);
          column += part.length();
        }
        continue;
      }
      s.append(piece);
      column += piece.length();
    }
    return s.toString();
  }

  /** The base64 signature, folded; a verifier deletes it with its white space before hashing. */
  private static String fold(String b, int column) {
    StringBuilder s = new StringBuilder(b.length() + b.length() / 60 * 3);
    int i = 0;
    int room = Math.max(1, LINE - column);
    while (i < b.length()) {
      int n = Math.min(room, b.length() - i);
      s.append(b, i, i + n);
      i += n;
      if (i < b.length()) {
        s.append("\r\n\t");
        room = LINE - 1;
      }
    }
    return s.toString();
  }

  private static byte[] signature(Key key, byte[] data) {
    try {
      if (key.algorithm().equals("ed25519-sha256")) {
        // RFC 8463: Ed25519 signs the SHA-256 hash of the data, not the data.
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(data);
        BcEd25519 fast = key.fast();
        if (fast != null) {
          return fast.sign(hash);
        }
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key.key());
        s.update(hash);
        return s.sign();
      }
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(key.key());
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new SigningException("the DKIM signature for " + key + " could not be made ("
          + e.getClass().getSimpleName() + ")", e);
    }
  }

  private static boolean bcEd25519Available() {
    try {
      Class.forName("org.bouncycastle.math.ec.rfc8032.Ed25519", false, DkimSigner.class.getClassLoader())
          .getMethod("sign", byte[].class, int.class, byte[].class, int.class, byte[].class, int.class, int.class,
              byte[].class, int.class);
      return true;
    } catch (ClassNotFoundException | NoSuchMethodException | LinkageError e) {
      // No (or another) Bouncy Castle: the JDK's Ed25519 signs, slower but alike (Ed25519 is deterministic).
      return false;
    }
  }

  /**
   * Ed25519 by Bouncy Castle's {@code rfc8032.Ed25519}, the public key derived once: about 15 times
   * less CPU per signature than the JDK 17 implementation (about 50 against 750 µs), with the same
   * signatures. Loaded only when {@link #BC_ED25519}.
   */
  private static final class BcEd25519 {
    private final byte[] seed;
    private final byte[] publicKey = new byte[32];

    BcEd25519(byte[] seed) {
      this.seed = seed.clone();
      org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(this.seed, 0, publicKey, 0);
    }

    byte[] sign(byte[] message) {
      byte[] signature = new byte[64];
      org.bouncycastle.math.ec.rfc8032.Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, signature, 0);
      return signature;
    }

    @Override
    public String toString() {
      return "BcEd25519";
    }
  }

  private byte[] bodyHash(RawMessage m) {
    MessageDigest sha256 = sha256();
    byte[] b = m.bytes;
    int start = m.bodyStart;
    if (bodyCanonicalization == DkimCanonicalization.SIMPLE) {
      int end = b.length;
      while (end - start >= 2 && b[end - 2] == '\r' && b[end - 1] == '\n') {
        end -= 2;
      }
      sha256.update(b, start, end - start);
      sha256.update(CRLF);
      return sha256.digest();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length - start);
    int pendingLineEnds = 0;
    boolean space = false;
    boolean content = false;
    for (int i = start; i < b.length; i++) {
      byte c = b[i];
      if (c == '\r' && i + 1 < b.length && b[i + 1] == '\n') {
        i++;
        space = false;
        content = false;
        pendingLineEnds++;
      } else if (c == ' ' || c == '\t') {
        space = true;
      } else {
        // Line ends are written once more content follows: empty lines at the end are dropped.
        for (; pendingLineEnds > 0; pendingLineEnds--) {
          out.writeBytes(CRLF);
        }
        if (space) {
          out.write(' ');
          space = false;
        }
        out.write(c);
        content = true;
      }
    }
    if (content || pendingLineEnds > 0 && out.size() > 0) {
      out.writeBytes(CRLF);
    }
    sha256.update(out.toByteArray());
    return sha256.digest();
  }

  /** One header field (bytes from its name to its final CRLF) in the configured canonical form. */
  private void canonicalHeader(byte[] b, int start, int end, ByteArrayOutputStream out) {
    if (headerCanonicalization == DkimCanonicalization.SIMPLE) {
      out.write(b, start, end - start);
      return;
    }
    int colon = start;
    while (b[colon] != ':') {
      colon++;
    }
    int nameEnd = colon;
    while (nameEnd > start && (b[nameEnd - 1] == ' ' || b[nameEnd - 1] == '\t')) {
      nameEnd--;
    }
    for (int i = start; i < nameEnd; i++) {
      byte c = b[i];
      out.write(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    out.write(':');
    boolean space = false;
    boolean started = false;
    for (int i = colon + 1; i < end; i++) {
      byte c = b[i];
      if (c == '\r' || c == '\n') {
        continue;
      }
      if (c == ' ' || c == '\t') {
        space = true;
        continue;
      }
      if (space && started) {
        out.write(' ');
      }
      space = false;
      started = true;
      out.write(c);
    }
    out.writeBytes(CRLF);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new SigningException("SHA-256 is not available in this JVM", e);
    }
  }

  /** Names the keys (domain, selector, algorithm) and canonicalization; never key material. */
  @Override
  public String toString() {
    return "DkimSigner[" + keys + ", c=" + headerCanonicalization.tag() + "/" + bodyCanonicalization.tag() + "]";
  }

  /** Settings for a {@link DkimSigner}. */
  public static final class Builder {
    private final List<Key> keys = new ArrayList<>();
    private DkimCanonicalization header = DkimCanonicalization.RELAXED;
    private DkimCanonicalization body = DkimCanonicalization.RELAXED;
    private List<String> signedHeaders = DEFAULT_SIGNED_HEADERS;
    private Clock clock = Clock.systemUTC();
    private boolean jdkEd25519;

    private Builder() {}

    /** Ed25519 keys added after this sign with the JDK even when Bouncy Castle is present (tests). */
    Builder jdkEd25519() {
      this.jdkEd25519 = true;
      return this;
    }

    /**
     * Adds a signing key: mail whose From domain is {@code domain} or below it is signed with it,
     * and with every other key of the same domain. The public key is published in DNS at
     * {@code <selector>._domainkey.<domain>}.
     *
     * @param domain the signing domain ({@code d=}); an internationalized one is used in ASCII form
     * @param selector the selector ({@code s=})
     * @param key an RSA key of at least {@value #MIN_RSA_BITS} bits ({@code rsa-sha256}) or an
     *     Ed25519 key ({@code ed25519-sha256}); see {@link PemKeys} to read one from PEM
     * @throws IllegalArgumentException if the domain or selector is not valid, the key is of
     *     another type or too short, or this domain and selector already have a key
     */
    public Builder key(String domain, String selector, PrivateKey key) {
      Objects.requireNonNull(domain, "domain");
      Objects.requireNonNull(selector, "selector");
      Objects.requireNonNull(key, "key");
      String d;
      try {
        d = Address.of("postmaster@" + domain).domain().toLowerCase(Locale.ROOT);
      } catch (InvalidEmailException e) {
        throw new IllegalArgumentException("DKIM domain is not a valid domain name: '" + domain + "'");
      }
      if (!SELECTOR.matcher(selector).matches()) {
        throw new IllegalArgumentException("DKIM selector must be letters, digits, '-' and '.', was '" + selector + "'");
      }
      String algorithm;
      BcEd25519 fast = null;
      if (key instanceof RSAKey rsa) {
        int bits = rsa.getModulus().bitLength();
        if (bits < MIN_RSA_BITS) {
          throw new IllegalArgumentException("the DKIM key for " + d + " (selector " + selector + ") is an RSA key of "
              + bits + " bits; at least " + MIN_RSA_BITS + " are required");
        }
        algorithm = "rsa-sha256";
      } else if (key instanceof EdECPrivateKey ed && ed.getParams().getName().equalsIgnoreCase("Ed25519")) {
        algorithm = "ed25519-sha256";
        if (BC_ED25519 && !jdkEd25519) {
          byte[] seed = ed.getBytes().orElse(null);
          fast = seed != null && seed.length == 32 ? new BcEd25519(seed) : null;
        }
      } else {
        throw new IllegalArgumentException("the DKIM key for " + d + " (selector " + selector + ") is a "
            + key.getAlgorithm() + " key; DKIM signs with RSA (rsa-sha256) or Ed25519 (ed25519-sha256)");
      }
      for (Key k : keys) {
        if (k.domain().equals(d) && k.selector().equalsIgnoreCase(selector)) {
          throw new IllegalArgumentException("DKIM domain " + d + " already has a key for selector " + selector);
        }
      }
      keys.add(new Key(d, selector, key, algorithm, fast));
      return this;
    }

    /** Header and body canonicalization; {@link DkimCanonicalization#RELAXED} for both by default. */
    public Builder canonicalization(DkimCanonicalization header, DkimCanonicalization body) {
      this.header = Objects.requireNonNull(header, "header");
      this.body = Objects.requireNonNull(body, "body");
      return this;
    }

    /**
     * The headers to sign, when the message has them, instead of {@link #DEFAULT_SIGNED_HEADERS}.
     * {@code From} must be among them; it is always over-signed.
     *
     * @throws IllegalArgumentException if From is missing, a name is not a header name, or one
     *     is given twice
     */
    public Builder signedHeaders(List<String> names) {
      Objects.requireNonNull(names, "names");
      Set<String> seen = new LinkedHashSet<>();
      for (String name : names) {
        if (name == null || !FIELD_NAME.matcher(name).matches()) {
          throw new IllegalArgumentException("not a header name: '" + name + "'");
        }
        if (!seen.add(name.toLowerCase(Locale.ROOT))) {
          throw new IllegalArgumentException("header " + name + " is listed twice");
        }
      }
      if (!seen.contains("from")) {
        throw new IllegalArgumentException("DKIM requires the From header to be signed (RFC 6376 5.4)");
      }
      this.signedHeaders = List.copyOf(names);
      return this;
    }

    /** The clock of the signature timestamp ({@code t=}); the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The signer.
     *
     * @throws IllegalStateException if no key was added
     */
    public DkimSigner build() {
      if (keys.isEmpty()) {
        throw new IllegalStateException("a DKIM signer needs at least one key: builder().key(domain, selector, key)");
      }
      return new DkimSigner(this);
    }
  }
}
