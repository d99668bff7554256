package io.postline.mail.spi;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A provider's settings, usually parsed from a DSN:
 * {@code scheme://user:password@host:port/path?key=value&key=value}.
 *
 * <p>User and password are percent-decoded, so a password with {@code @} or {@code :} is written
 * {@code %40} or {@code %3A}. Option values are percent-decoded too. Typed getters fail with an
 * {@link IllegalArgumentException} that names the option, what was expected and what was given.
 *
 * <p>{@link #toString()} masks secrets: the password; the user when there is no password (as in
 * {@code sendgrid://API_KEY@default}, where the user is the key); and every option whose name
 * suggests a secret ({@code password}, {@code secret}, {@code token}, {@code key}, ...).
 */
public final class ProviderSettings {
  private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Set<String> SECRET_WORDS =
      Set.of("pass", "pwd", "secret", "token", "key", "auth", "credential", "signature");
  private static final String MASK = "****";

  private final String name;
  private final String scheme;
  private final @Nullable String user;
  private final @Nullable String password;
  private final String host;
  private final int port;
  private final String path;
  private final Map<String, String> options;

  private ProviderSettings(Builder b) {
    this.name = b.name == null ? b.scheme : b.name;
    this.scheme = b.scheme;
    this.user = b.user;
    this.password = b.password;
    this.host = b.host;
    this.port = b.port;
    this.path = b.path;
    this.options = Collections.unmodifiableMap(new LinkedHashMap<>(b.options));
  }

  /**
   * Parses a DSN. The provider's name is the scheme until {@link #withName(String)} says
   * otherwise.
   *
   * @throws IllegalArgumentException saying what is wrong; the message masks secrets
   */
  public static ProviderSettings parse(String dsn) {
    Objects.requireNonNull(dsn, "dsn");
    int sep = dsn.indexOf("://");
    if (sep <= 0) {
      throw new IllegalArgumentException("DSN must look like scheme://user:password@host:port?option=value");
    }
    String scheme = dsn.substring(0, sep);
    if (!SCHEME.matcher(scheme).matches()) {
      throw new IllegalArgumentException("DSN scheme must be lower-case letters, digits, '+', '.' or '-'");
    }
    Builder b = builder(scheme);
    String rest = dsn.substring(sep + 3);
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    int slash = rest.indexOf('/', Math.max(0, rest.lastIndexOf('@')));
    String authority = slash >= 0 ? rest.substring(0, slash) : rest;
    String path = slash >= 0 ? rest.substring(slash) : "";
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = authority.substring(0, at);
      authority = authority.substring(at + 1);
      int colon = userInfo.indexOf(':');
      String rawUser = colon >= 0 ? userInfo.substring(0, colon) : userInfo;
      if (!rawUser.isEmpty()) {
        b.user(decode(rawUser, scheme, "user"));
      }
      if (colon >= 0) {
        b.password(decode(userInfo.substring(colon + 1), scheme, "password"));
      }
    }
    String hostPart = authority;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(scheme + " DSN has an IPv6 host without ']'");
      }
      hostPart = authority.substring(0, close + 1);
      authority = authority.substring(close + 1);
      if (!authority.isEmpty() && !authority.startsWith(":")) {
        throw new IllegalArgumentException(scheme + " DSN has text after the IPv6 host");
      }
      if (!authority.isEmpty()) {
        b.port(parsePort(scheme, authority.substring(1)));
      }
    } else {
      int colon = authority.lastIndexOf(':');
      if (colon >= 0) {
        hostPart = authority.substring(0, colon);
        b.port(parsePort(scheme, authority.substring(colon + 1)));
      }
    }
    b.host(hostPart);
    if (!path.isEmpty() && !path.equals("/")) {
      b.path(decode(path, scheme, "path"));
    }
    if (!query.isEmpty()) {
      for (String pair : query.split("&", -1)) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = decode(eq >= 0 ? pair.substring(0, eq) : pair, scheme, "option name");
        String value = eq >= 0 ? decode(pair.substring(eq + 1), scheme, "option " + key) : "";
        if (b.options.containsKey(key)) {
          throw new IllegalArgumentException(scheme + " DSN sets option '" + key + "' twice");
        }
        b.option(key, value);
      }
    }
    return b.build();
  }

  /** Settings built in code, for everything a DSN can carry. */
  public static Builder builder(String scheme) {
    return new Builder(scheme);
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    Builder b = new Builder(scheme);
    b.name = name;
    b.user = user;
    b.password = password;
    b.host = host;
    b.port = port;
    b.path = path;
    b.options.putAll(options);
    return b;
  }

  /** The same settings under another provider name. */
  public ProviderSettings withName(String name) {
    return toBuilder().name(name).build();
  }

  /** The provider's name within its {@code Mailer}; the scheme unless set. */
  public String name() {
    return name;
  }

  /** The scheme, such as {@code smtp}. */
  public String scheme() {
    return scheme;
  }

  /** The decoded user, if any. */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  /** The decoded password, if any. */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** The host (or, for API providers, a name such as {@code default} or a sending domain). */
  public String host() {
    return host;
  }

  /** The port, if one was given. */
  public OptionalInt port() {
    return port < 0 ? OptionalInt.empty() : OptionalInt.of(port);
  }

  /** The path after the host, without the leading {@code /}; empty if none. */
  public String path() {
    return path.startsWith("/") ? path.substring(1) : path;
  }

  /** Every option, in the order given. */
  public Map<String, String> options() {
    return options;
  }

  /** One option's value. */
  public Optional<String> option(String key) {
    return Optional.ofNullable(options.get(key));
  }

  /** One option's value, or {@code defaultValue}. */
  public String option(String key, String defaultValue) {
    return options.getOrDefault(key, defaultValue);
  }

  /**
   * The user, which this provider needs.
   *
   * @param what what the user stands for, for the error message (such as "the API key")
   * @throws IllegalArgumentException if there is none
   */
  public String requireUser(String what) {
    if (user == null || user.isEmpty()) {
      throw new IllegalArgumentException(scheme + " DSN needs " + what + " as its user part: "
          + scheme + "://USER@" + host);
    }
    return user;
  }

  /** An integer option. */
  public int intOption(String key, int defaultValue) {
    String value = options.get(key);
    if (value == null) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw badOption(key, "a whole number", value);
    }
  }

  /** A {@code true}/{@code false} option. */
  public boolean booleanOption(String key, boolean defaultValue) {
    String value = options.get(key);
    if (value == null) {
      return defaultValue;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw badOption(key, "true or false", value);
    };
  }

  /** A duration option: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT10S}. */
  public Duration durationOption(String key, Duration defaultValue) {
    String value = options.get(key);
    if (value == null) {
      return defaultValue;
    }
    Duration d = parseDuration(value.strip());
    if (d == null) {
      throw badOption(key, "a duration like 500ms, 10s, 2m or PT10S", value);
    }
    return d;
  }

  /**
   * An {@code http} or {@code https} URL option with a host, such as an API's base URL.
   *
   * @throws IllegalArgumentException naming the option if it is not such a URL
   */
  public Optional<URI> httpUrlOption(String key) {
    String value = options.get(key);
    if (value == null) {
      return Optional.empty();
    }
    try {
      URI url = new URI(value.strip());
      if (isHttpUrl(url)) {
        return Optional.of(url);
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw badOption(key, "an http or https URL with a host", value);
  }

  /** An enum option, matched case-insensitively against the constants' names. */
  public <E extends Enum<E>> E enumOption(String key, Class<E> type, E defaultValue) {
    String value = options.get(key);
    if (value == null) {
      return defaultValue;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(value.strip().replace('-', '_'))) {
        return constant;
      }
    }
    Set<String> names = new TreeSet<>();
    for (E constant : type.getEnumConstants()) {
      names.add(constant.name().toLowerCase(Locale.ROOT));
    }
    throw badOption(key, "one of " + names, value);
  }

  /**
   * Fails on options this provider does not know, so that a typo is not silently ignored.
   *
   * @throws IllegalArgumentException naming the unknown options and the known ones
   */
  public void requireKnownOptions(Set<String> known) {
    Set<String> unknown = new TreeSet<>(options.keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(scheme + " DSN has unknown option(s) " + unknown
          + "; known options: " + new TreeSet<>(known));
    }
  }

  /** The DSN with every secret masked; safe to log. */
  public String maskedDsn() {
    StringBuilder s = new StringBuilder(scheme).append("://");
    if (user != null || password != null) {
      s.append(user == null ? "" : password == null ? MASK : user);
      if (password != null) {
        s.append(':').append(MASK);
      }
      s.append('@');
    }
    s.append(host);
    if (port >= 0) {
      s.append(':').append(port);
    }
    if (!path.isEmpty()) {
      s.append(path.startsWith("/") ? path : "/" + path);
    }
    char sep = '?';
    for (Map.Entry<String, String> e : options.entrySet()) {
      s.append(sep).append(e.getKey()).append('=').append(isSecret(e.getKey()) ? MASK : e.getValue());
      sep = '&';
    }
    return s.toString();
  }

  /**
   * Checks a provider's name as every provider builder takes it.
   *
   * @return the name
   * @throws IllegalArgumentException if it is blank
   */
  public static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("provider name must not be blank");
    }
    return name;
  }

  /**
   * Checks a port number, 1 to 65535.
   *
   * @return the port
   * @throws IllegalArgumentException naming the port given
   */
  public static int checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be from 1 to 65535, was " + port);
    }
    return port;
  }

  /**
   * Checks a duration setting that must be positive, such as a timeout.
   *
   * @param what the setting's name, for the message
   * @return the duration
   * @throws IllegalArgumentException naming the setting and the value if it is zero or negative
   */
  public static Duration checkPositive(String what, Duration duration) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + duration);
    }
    return duration;
  }

  /**
   * Checks a URL setting, such as an API's base URL: {@code http} or {@code https}, with a host.
   *
   * @param what the setting's name, for the message
   * @return the URL
   * @throws IllegalArgumentException naming the setting and the URL if it is not such a URL
   */
  public static URI checkHttpUrl(String what, URI url) {
    Objects.requireNonNull(url, what);
    if (!isHttpUrl(url)) {
      throw new IllegalArgumentException(what + " must be an http or https URL with a host, was '" + url + "'");
    }
    return url;
  }

  private static boolean isHttpUrl(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    return (scheme.equals("http") || scheme.equals("https")) && url.getRawAuthority() != null;
  }

  /** Whether an option with this name is treated as a secret (masked). */
  public static boolean isSecret(String optionName) {
    String lower = optionName.toLowerCase(Locale.ROOT);
    return SECRET_WORDS.stream().anyMatch(lower::contains);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProviderSettings p && name.equals(p.name) && scheme.equals(p.scheme)
        && Objects.equals(user, p.user) && Objects.equals(password, p.password)
        && host.equals(p.host) && port == p.port && path.equals(p.path) && options.equals(p.options);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, scheme, user, password, host, port, path, options);
  }

  /** The provider name and the masked DSN. */
  @Override
  public String toString() {
    return "ProviderSettings[" + name + ", " + maskedDsn() + "]";
  }

  private IllegalArgumentException badOption(String key, String expected, String value) {
    String shown = isSecret(key) ? MASK : "'" + value + "'";
    return new IllegalArgumentException(
        "option '" + key + "' of provider " + name + " (" + maskedDsn() + ") must be " + expected
            + ", was " + shown);
  }

  private static @Nullable Duration parseDuration(String value) {
    Matcher m = DURATION.matcher(value.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      try {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      } catch (NumberFormatException | ArithmeticException e) { // too many digits, or overflow
        return null;
      }
    }
    try {
      Duration d = Duration.parse(value);
      return d.isNegative() ? null : d;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static int parsePort(String scheme, String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(scheme + " DSN port must be a number from 1 to 65535");
  }

  /**
   * Percent-decodes as UTF-8; unlike URLDecoder, '+' stays '+'. Escapes that do not decode to
   * UTF-8 are an error, not a silent U+FFFD.
   */
  private static String decode(String text, String scheme, String what) {
    if (text.indexOf('%') < 0) {
      return text;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    int i = 0;
    while (i < text.length()) {
      if (text.charAt(i) == '%') {
        int hi = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
        int lo = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException(scheme + " DSN has a bad percent-escape in its " + what);
        }
        out.write(hi * 16 + lo);
        i += 3;
      } else {
        int end = text.indexOf('%', i);
        end = end < 0 ? text.length() : end;
        out.writeBytes(text.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(
          scheme + " DSN has percent-escapes in its " + what + " that are not UTF-8");
    }
  }

  /** Builds {@link ProviderSettings} in code. */
  public static final class Builder {
    private @Nullable String name;
    private final String scheme;
    private @Nullable String user;
    private @Nullable String password;
    private String host = "";
    private int port = -1;
    private String path = "";
    private final Map<String, String> options = new LinkedHashMap<>();

    private Builder(String scheme) {
      Objects.requireNonNull(scheme, "scheme");
      if (!SCHEME.matcher(scheme).matches()) {
        throw new IllegalArgumentException("scheme must be lower-case letters, digits, '+', '.' or '-', was '" + scheme + "'");
      }
      this.scheme = scheme;
    }

    /** The provider's name within its {@code Mailer}. */
    public Builder name(String name) {
      this.name = checkName(name);
      return this;
    }

    /** The user (a login, or an API key for token providers). */
    public Builder user(@Nullable String user) {
      this.user = user;
      return this;
    }

    /** The password. */
    public Builder password(@Nullable String password) {
      this.password = password;
      return this;
    }

    /** The host. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port, 1 to 65535. */
    public Builder port(int port) {
      this.port = checkPort(port);
      return this;
    }

    /** The path after the host. */
    public Builder path(String path) {
      this.path = Objects.requireNonNull(path, "path");
      return this;
    }

    /** Sets an option. */
    public Builder option(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      options.put(key, value);
      return this;
    }

    /**
     * Builds the settings.
     *
     * @throws IllegalArgumentException if the host is missing
     */
    public ProviderSettings build() {
      if (host.isEmpty()) {
        throw new IllegalArgumentException(scheme + " settings need a host: " + scheme + "://host");
      }
      return new ProviderSettings(this);
    }
  }
}
