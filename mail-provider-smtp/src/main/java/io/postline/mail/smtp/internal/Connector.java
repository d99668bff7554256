package io.postline.mail.smtp.internal;

import io.postline.mail.FailureKind;
import io.postline.mail.smtp.SmtpTransport;
import io.postline.mail.smtp.TlsMode;
import io.postline.mail.spi.ProviderException;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.NoSuchProviderException;
import jakarta.mail.Session;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens SMTP connections with the provider's timeouts and TLS trust: connect, EHLO, STARTTLS, EHLO
 * and AUTH, spoken by Postline's {@link SmtpClient} or, with {@code transport=angus}, by Angus in
 * one Jakarta Mail session per connection (so that the conversation log can be switched on at run
 * time and names its connection).
 */
public final class Connector {
  private static final Logger LOG = LoggerFactory.getLogger(Connector.class);

  private final SmtpSettings settings;
  private final Redactor redactor;
  private final SmtpFailures failures;
  private final ScheduledExecutorService scheduler;
  private final String protocol;
  private final AtomicLong ids = new AtomicLong();
  private final SocketFactory plainSockets = NoDelaySockets.plain();
  private final SSLSocketFactory tlsSockets;
  private volatile @Nullable String localHost;
  private volatile long serverMaxSize = -1;

  public Connector(SmtpSettings settings, Redactor redactor, SmtpFailures failures,
      ScheduledExecutorService scheduler) {
    this.settings = settings;
    this.redactor = redactor;
    this.failures = failures;
    this.scheduler = scheduler;
    this.protocol = settings.tls() == TlsMode.IMPLICIT ? "smtps" : "smtp";
    this.localHost = settings.ehloName();
    SSLSocketFactory tls = settings.sslSocketFactory();
    this.tlsSockets = NoDelaySockets.tls(tls != null ? tls : (SSLSocketFactory) SSLSocketFactory.getDefault());
  }

  /** The SIZE the server advertised, or -1 before the first connection or when it gave none. */
  public long serverMaxSize() {
    return serverMaxSize;
  }

  /** Opens a connection with the configured timeouts. */
  public SmtpConnection open() throws ProviderException {
    return open(settings.connectTimeout(), settings.readTimeout(), settings.writeTimeout());
  }

  /**
   * Opens a connection: connected, TLS as configured, logged in.
   *
   * @throws ProviderException classified, see {@link SmtpFailures#connectFailure}
   */
  public SmtpConnection open(Duration connectTimeout, Duration readTimeout, Duration writeTimeout)
      throws ProviderException {
    long id = ids.incrementAndGet();
    if (localHost == null) {
      localHost = defaultEhloName(settings.name());
    }
    if (settings.transport() == SmtpTransport.POSTLINE) {
      return openPostline(id, connectTimeout, readTimeout);
    }
    try {
      if (settings.oauth2() == null) {
        return connect(id, settings.password(), connectTimeout, readTimeout, writeTimeout);
      }
      try {
        return connect(id, token(false), connectTimeout, readTimeout, writeTimeout);
      } catch (AuthenticationFailedException e) {
        LOG.debug("SMTP provider {}: the server refused the OAuth2 token; asking for a new one",
            settings.name());
        return connect(id, token(true), connectTimeout, readTimeout, writeTimeout);
      }
    } catch (AuthenticationFailedException e) {
      throw failures.connectFailure(e, null);
    }
  }

  private SmtpConnection openPostline(long id, Duration connectTimeout, Duration readTimeout)
      throws ProviderException {
    PrintStream wire = WireLog.enabled() ? WireLog.engineStream("[" + settings.name() + "#" + id + "]", redactor) : null;
    String ehlo = Objects.requireNonNull(localHost, "localHost");
    SmtpClient client;
    try {
      client = SmtpClient.open(settings, failures, scheduler, plainSockets, tlsSockets, ehlo,
          settings.oauth2() == null ? settings.password() : token(false), wire, connectTimeout, readTimeout);
    } catch (SmtpClient.AuthRefused e) {
      if (settings.oauth2() == null) {
        throw failures.authFailure(e.reply);
      }
      LOG.debug("SMTP provider {}: the server refused the OAuth2 token; asking for a new one", settings.name());
      try {
        client = SmtpClient.open(settings, failures, scheduler, plainSockets, tlsSockets, ehlo, token(true), wire,
            connectTimeout, readTimeout);
      } catch (SmtpClient.AuthRefused again) {
        throw failures.authFailure(again.reply);
      }
    }
    long size = client.serverMaxSize();
    if (size > 0) {
      serverMaxSize = size;
    }
    LOG.debug("SMTP provider {}: opened connection #{} to {}", settings.name(), id, settings.address());
    return new SmtpConnection(id, client, System.nanoTime());
  }

  /**
   * The host's fully qualified name for EHLO; strict servers refuse {@code localhost}. Without one
   * (common in containers), the host's address literal, with a warning saying how to set a name.
   */
  static String defaultEhloName(String provider) {
    String name = LocalName.NAME;
    if (name.startsWith("[")) {
      LOG.warn("SMTP provider {}: this host has no fully qualified domain name, so EHLO says {};"
          + " strict servers may refuse it: set the ehlo option to this host's public name", provider, name);
    }
    return name;
  }

  /**
   * Looked up once: the host's names do not change. A reverse lookup can hang for many seconds
   * where DNS is unreachable, so it gets half a second; past that, the address literal.
   */
  private static final class LocalName {
    static final String NAME = lookUpWithin(java.time.Duration.ofMillis(500));
  }

  private static String lookUpWithin(java.time.Duration limit) {
    java.util.concurrent.FutureTask<String> lookup = new java.util.concurrent.FutureTask<>(Connector::lookUp);
    Thread t = new Thread(lookup, "postline-ehlo-name");
    t.setDaemon(true);
    t.start();
    try {
      return lookup.get(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return addressLiteral();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return addressLiteral();
    }
  }

  /** The first non-loopback IPv4 address of this host's interfaces, read without DNS. */
  private static String addressLiteral() {
    try {
      for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
          if (!a.isLoopbackAddress() && !(a instanceof Inet6Address)) {
            return "[" + a.getHostAddress() + "]";
          }
        }
      }
    } catch (java.net.SocketException e) {
      // no interfaces to read: loopback below
    }
    return "[" + InetAddress.getLoopbackAddress().getHostAddress() + "]";
  }

  private static String lookUp() {
    InetAddress local;
    try {
      local = InetAddress.getLocalHost();
    } catch (UnknownHostException e) {
      local = InetAddress.getLoopbackAddress();
    }
    String name = local.getCanonicalHostName();
    if (name.indexOf('.') > 0 && !name.equals(local.getHostAddress()) && !name.endsWith(".localdomain")) {
      return name;
    }
    return local instanceof Inet6Address ? "[IPv6:" + local.getHostAddress() + "]"
        : "[" + local.getHostAddress() + "]";
  }

  private String token(boolean refresh) throws ProviderException {
    String token;
    try {
      token = java.util.Objects.requireNonNull(settings.oauth2(), "oauth2").token(refresh);
    } catch (Exception e) {
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "the OAuth2 token supplier failed ("
          + e.getClass().getName() + ")", null);
    }
    if (token == null || token.isBlank()) {
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "the OAuth2 token supplier returned no token", null);
    }
    redactor.addToken(settings.username(), token);
    return token;
  }

  private SmtpConnection connect(long id, @Nullable String secret, Duration connectTimeout,
      Duration readTimeout, Duration writeTimeout) throws ProviderException, AuthenticationFailedException {
    Session session = Session.getInstance(properties(connectTimeout, readTimeout, writeTimeout));
    session.setDebugOut(WireLog.stream("[" + settings.name() + "#" + id + "]", redactor));
    session.setDebug(WireLog.enabled());
    SMTPTransport transport;
    try {
      transport = (SMTPTransport) session.getTransport(protocol);
    } catch (NoSuchProviderException | ClassCastException e) {
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE,
          "Angus Mail's " + protocol + " transport is not on the class path", e);
    }
    try {
      transport.connect(settings.host(), settings.port(), settings.username(), secret);
    } catch (AuthenticationFailedException e) {
      throw e;
    } catch (MessagingException | RuntimeException e) {
      throw failures.connectFailure(e, transport);
    }
    SmtpConnection connection = new SmtpConnection(id, new AngusLink(session, transport, failures), System.nanoTime());
    if (settings.authenticates() && !transport.supportsExtension("AUTH") && !transport.supportsExtension("AUTH=LOGIN")) {
      connection.close();
      throw failures.failure(FailureKind.PROVIDER_UNAVAILABLE, "SMTP server " + settings.address()
          + " offers no AUTH, so the configured credentials could not be used", null);
    }
    readSize(transport);
    LOG.debug("SMTP provider {}: opened connection #{} to {}", settings.name(), id, settings.address());
    return connection;
  }

  private void readSize(SMTPTransport transport) {
    String size = transport.getExtensionParameter("SIZE");
    if (size == null || size.isBlank()) {
      return;
    }
    try {
      long n = Long.parseLong(size.strip());
      if (n > 0) {
        serverMaxSize = n;
      }
    } catch (NumberFormatException e) {
      // a server that advertises nonsense has no usable limit
    }
  }

  private Properties properties(Duration connectTimeout, Duration readTimeout, Duration writeTimeout) {
    String p = "mail." + protocol + ".";
    Properties props = new Properties();
    props.setProperty(p + "host", settings.host());
    props.setProperty(p + "port", Integer.toString(settings.port()));
    props.setProperty(p + "connectiontimeout", millis(connectTimeout));
    props.setProperty(p + "timeout", millis(readTimeout));
    props.setProperty(p + "writetimeout", millis(writeTimeout));
    props.put(p + "executor.writetimeout", scheduler);
    String ehlo = localHost;
    if (ehlo != null) {
      props.setProperty(p + "localhost", ehlo);
    }
    DsnRequest dsn = settings.dsn();
    if (dsn != null) {
      // Angus sends these only to a server that offers DSN, as Postline's engine does.
      dsn.notifyValue().ifPresent(v -> props.setProperty(p + "dsn.notify", v));
      dsn.retValue().ifPresent(v -> props.setProperty(p + "dsn.ret", v));
    }
    props.setProperty(p + "ehlo", "true");
    props.setProperty(p + "sendpartial", "true");
    props.setProperty(p + "userset", "true");
    props.setProperty(p + "noop.strict", "true");
    props.setProperty(p + "quitwait", "false");
    props.setProperty(p + "quitonsessionreject", "true");
    props.setProperty(p + "allow8bitmime", "false");
    if (settings.tls() == TlsMode.STARTTLS) {
      props.setProperty(p + "starttls.enable", "true");
      props.setProperty(p + "starttls.required", Boolean.toString(settings.tlsRequired()));
    } else {
      props.setProperty(p + "starttls.enable", "false");
      props.setProperty(p + "starttls.required", "false");
    }
    if (settings.tls() == TlsMode.IMPLICIT) {
      props.setProperty(p + "ssl.enable", "true");
    }
    props.put(p + "socketFactory", plainSockets);
    props.put(p + "ssl.socketFactory", tlsSockets);
    props.setProperty(p + "ssl.checkserveridentity", Boolean.toString(settings.tlsVerify()));
    props.setProperty(p + "ssl.protocols", "TLSv1.3 TLSv1.2");
    if (settings.authenticates()) {
      props.setProperty(p + "auth", "true");
      props.setProperty(p + "auth.mechanisms", settings.oauth2() != null ? "XOAUTH2" : "PLAIN LOGIN");
    }
    props.setProperty("mail.debug.auth", "false");
    props.setProperty("mail.debug.auth.username", "false");
    props.setProperty("mail.debug.auth.password", "false");
    return props;
  }

  private static String millis(Duration d) {
    return Long.toString(Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis())));
  }
}
