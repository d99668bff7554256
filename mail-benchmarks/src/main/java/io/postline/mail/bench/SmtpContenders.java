package io.postline.mail.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.core.Mailer;
import io.postline.mail.smtp.SmtpProvider;
import io.postline.mail.smtp.TlsMode;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.simplejavamail.api.mailer.config.TransportStrategy;
import org.simplejavamail.email.EmailBuilder;
import org.simplejavamail.mailer.MailerBuilder;
import org.springframework.mail.javamail.JavaMailSenderImpl;
import org.springframework.mail.javamail.MimeMessageHelper;

/**
 * The SMTP clients scenarios 3 and 8 compare, each sending {@link BenchMail}'s message from
 * {@link #THREADS} threads over at most {@link #CONNECTIONS} connections, building it anew for
 * every send as applications do:
 *
 * <ul>
 *   <li>Postline: {@code Mailer.send} through the whole pipeline into the pooled
 *       {@link SmtpProvider} (pool size 8, its other settings default);
 *   <li>Spring: {@link JavaMailSenderImpl#send(MimeMessage)} once per message, each built with
 *       {@link MimeMessageHelper}; Spring opens and closes a connection per call;
 *   <li>Simple Java Mail with its batch-module connection pool of 8 connections, sending
 *       synchronously;
 *   <li>the ceiling: {@link RawSmtpClient}, 8 pipelining connections writing prebuilt bytes.
 * </ul>
 */
final class SmtpContenders {
  static final int THREADS = 8;
  static final int CONNECTIONS = 8;

  private SmtpContenders() {}

  /** One library under test: sends {@code count} messages from {@link #THREADS} threads. */
  interface Contender extends AutoCloseable {
    String name();

    Load.Result send(int count) throws Exception;

    @Override
    default void close() throws Exception {}
  }

  /**
   * STARTTLS (required, certificate and host name verified against exactly {@code ca}) and AUTH
   * with these credentials.
   */
  record Secure(Path ca, SSLContext tls, String username, String password) {}

  /**
   * The server every contender sends to, and the envelope recipient.
   *
   * @param secure null for plain SMTP without login (scenario 3's sink)
   */
  record Server(String host, int port, String to, String ehlo, @Nullable Secure secure) {}

  static Contender postline(Server server) {
    SmtpProvider.Builder provider = SmtpProvider.builder(server.host()).port(server.port()).poolSize(CONNECTIONS)
        .ehloName(server.ehlo());
    Secure secure = server.secure();
    if (secure == null) {
      provider.tls(TlsMode.NONE);
    } else {
      provider.credentials(secure.username(), secure.password()).trustedCertificate(secure.ca());
    }
    Mailer mailer = Mailer.builder().provider(provider.build()).meterRegistry(new SimpleMeterRegistry()).build();
    return new Contender() {
      @Override
      public String name() {
        return "postline";
      }

      @Override
      public Load.Result send(int count) throws InterruptedException {
        return Load.run("postline", THREADS, count, i -> mailer.send(BenchMail.email(server.to())));
      }

      @Override
      public void close() {
        mailer.close();
      }
    };
  }

  /** Angus's settings for Spring and Simple Java Mail: STARTTLS required, verified against the CA only. */
  private static Map<String, Object> angusTls(Secure secure, String ehlo) {
    return Map.of("mail.smtp.starttls.enable", "true", "mail.smtp.starttls.required", "true",
        "mail.smtp.ssl.checkserveridentity", "true", "mail.smtp.ssl.socketFactory", secure.tls().getSocketFactory(),
        "mail.smtp.localhost", ehlo, "mail.smtp.connectiontimeout", "10000", "mail.smtp.timeout", "60000");
  }

  static Contender spring(Server server) {
    JavaMailSenderImpl sender = new JavaMailSenderImpl();
    sender.setHost(server.host());
    sender.setPort(server.port());
    Secure secure = server.secure();
    if (secure != null) {
      sender.setUsername(secure.username());
      sender.setPassword(secure.password());
      Properties props = new Properties();
      props.put("mail.smtp.auth", "true");
      props.putAll(angusTls(secure, server.ehlo()));
      sender.setJavaMailProperties(props);
    }
    return new Contender() {
      @Override
      public String name() {
        return "spring";
      }

      @Override
      public Load.Result send(int count) throws InterruptedException {
        return Load.run("spring", THREADS, count, i -> {
          MimeMessage message = sender.createMimeMessage();
          MimeMessageHelper helper = new MimeMessageHelper(message, true, "UTF-8");
          helper.setFrom(BenchMail.FROM, BenchMail.FROM_NAME);
          helper.setTo(new InternetAddress(server.to(), BenchMail.TO_NAME));
          helper.setSubject(BenchMail.SUBJECT);
          helper.setText(BenchMail.TEXT, BenchMail.HTML);
          sender.send(message);
        });
      }
    };
  }

  static Contender simpleJavaMail(Server server) {
    Secure secure = server.secure();
    var builder = secure == null
        ? MailerBuilder.withSMTPServer(server.host(), server.port()).withTransportStrategy(TransportStrategy.SMTP)
        : MailerBuilder.withSMTPServer(server.host(), server.port(), secure.username(), secure.password())
            .withTransportStrategy(TransportStrategy.SMTP_TLS).verifyingServerIdentity(true);
    builder.withConnectionPoolCoreSize(CONNECTIONS).withConnectionPoolMaxSize(CONNECTIONS);
    if (secure != null) {
      angusTls(secure, server.ehlo()).forEach(builder::withProperty);
    }
    org.simplejavamail.api.mailer.Mailer mailer = builder.buildMailer();
    return new Contender() {
      @Override
      public String name() {
        return "simple-java-mail";
      }

      @Override
      public Load.Result send(int count) throws InterruptedException {
        return Load.run("sjm", THREADS, count, i -> mailer.sendMail(EmailBuilder.startingBlank()
            .from(BenchMail.FROM_NAME, BenchMail.FROM)
            .to(BenchMail.TO_NAME, server.to())
            .withSubject(BenchMail.SUBJECT)
            .withPlainText(BenchMail.TEXT)
            .withHTMLText(BenchMail.HTML)
            .buildEmail()).get());
      }

      @Override
      public void close() throws Exception {
        mailer.shutdownConnectionPool().get();
      }
    };
  }

  static Contender raw(Server server) {
    RawSmtpClient client = new RawSmtpClient(server.to());
    Secure secure = server.secure();
    RawSmtpClient.Login login = secure == null ? null
        : new RawSmtpClient.Login(secure.tls(), server.host(), secure.username(), secure.password());
    return new Contender() {
      private long ids;

      @Override
      public String name() {
        return "raw-socket";
      }

      @Override
      public Load.Result send(int count) throws InterruptedException {
        long first = ids;
        ids += count;
        // One task per connection, each with its share of the messages.
        Load.Result r = Load.run("raw", CONNECTIONS, CONNECTIONS, c -> {
          int share = count / CONNECTIONS + (c < count % CONNECTIONS ? 1 : 0);
          int before = c * (count / CONNECTIONS) + Math.min(c, count % CONNECTIONS);
          client.send(server.port(), share, first + before, login);
        });
        return r.failed() == 0 ? new Load.Result(count, 0, r.nanos(), null) : r;
      }
    };
  }
}
