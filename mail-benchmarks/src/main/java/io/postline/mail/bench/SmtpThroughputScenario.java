package io.postline.mail.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.core.Mailer;
import io.postline.mail.smtp.SmtpProvider;
import io.postline.mail.smtp.TlsMode;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.simplejavamail.api.mailer.config.TransportStrategy;
import org.simplejavamail.email.EmailBuilder;
import org.simplejavamail.mailer.MailerBuilder;
import org.springframework.mail.javamail.JavaMailSenderImpl;
import org.springframework.mail.javamail.MimeMessageHelper;

/**
 * Scenario 3: SMTP throughput to a local sink ({@link SmtpSink}), 10,000 messages of about 5 KB
 * from 8 threads over (at most) 8 connections, for each contender:
 *
 * <ul>
 *   <li>Postline: {@code Mailer.send} through the whole pipeline into the pooled
 *       {@link SmtpProvider} (pool size 8, its other settings default);
 *   <li>Spring: {@link JavaMailSenderImpl#send(MimeMessage)} once per message, each built with
 *       {@link MimeMessageHelper}, as applications do; Spring opens and closes a connection per
 *       call;
 *   <li>Simple Java Mail with its batch-module connection pool of 8 connections, sending
 *       synchronously;
 *   <li>the ceiling: {@link RawSmtpClient}, 8 pipelining connections writing prebuilt bytes.
 * </ul>
 *
 * Every contender builds its message anew for every send. Each warms up with
 * {@value #WARMUP} messages, then runs {@value #ROUNDS} rounds of {@value #MESSAGES}, the
 * contenders taking turns so that drift on a shared machine spreads over all of them; the
 * median round counts. After every round the sink must have received exactly that many messages
 * and recipients, or the scenario fails.
 *
 * <p>A second pass repeats the rounds with the system property {@value #STREAM_PROVIDER_PROPERTY}
 * set, which spares every library built on Jakarta Mail 2.1 a class-path scan per MIME part; its
 * rows are informational and show how much of the cost that lookup is.
 */
final class SmtpThroughputScenario implements Scenario {
  static final int MESSAGES = 10_000;
  static final int WARMUP = 10_000;
  static final int ROUNDS = 5;
  static final int THREADS = 8;
  static final int CONNECTIONS = 8;
  static final String STREAM_PROVIDER_PROPERTY = "jakarta.mail.util.StreamProvider";
  static final String STREAM_PROVIDER = "org.eclipse.angus.mail.util.MailStreamProvider";

  /** One library under test: sends {@code count} messages from {@link #THREADS} threads. */
  private interface Contender extends AutoCloseable {
    String name();

    Load.Result send(int count) throws Exception;

    @Override
    default void close() throws Exception {}
  }

  @Override
  public String name() {
    return "3. SMTP throughput";
  }

  @Override
  public void run(ResultTable table) throws Exception {
    try (SmtpSink sink = SmtpSink.start()) {
      int port = sink.port();
      List<Contender> contenders = List.of(postline(port), spring(port), simpleJavaMail(port), raw(port));
      String preset = System.getProperty(STREAM_PROVIDER_PROPERTY);
      try {
        Pass defaults = pass(sink, contenders, WARMUP, "");
        String each = "median of " + ROUNDS + " rounds of " + String.format(Locale.ROOT, "%,d", MESSAGES)
            + " ~5 KB messages from " + THREADS + " threads, every message counted at the sink; CPU of the whole"
            + " process (sink included) per message: " + defaults.cpu("postline") + " Postline, ";
        if (preset != null) {
          each = "NOTE: -D" + STREAM_PROVIDER_PROPERTY + " was set for this JVM, so these are not the defaults; " + each;
        }
        table.add("3a. SMTP: Postline (Mailer + SmtpProvider, pool 8) vs Spring JavaMailSenderImpl (msgs/s)",
            defaults.rate("postline"), defaults.rate("spring"), "msg/s", ResultTable.Goal.AT_LEAST, 5.0,
            each + defaults.cpu("spring") + " Spring, which opens a connection per message (connect, EHLO, MAIL,"
                + " RCPT, DATA, QUIT)");
        table.add("3b. SMTP: Postline vs Simple Java Mail 8 batch-module pool of 8 (msgs/s)",
            defaults.rate("postline"), defaults.rate("simple-java-mail"), "msg/s", ResultTable.Goal.AT_LEAST, 1.2,
            each + defaults.cpu("simple-java-mail") + " Simple Java Mail");
        table.add("3c. SMTP: Postline vs raw pipelining socket client, 8 connections (ceiling, msgs/s)",
            defaults.rate("postline"), defaults.rate("raw-socket"), "msg/s", ResultTable.Goal.AT_LEAST, 0.5,
            each + defaults.cpu("raw-socket") + " raw client, which writes prebuilt MIME and pipelines (1 round trip"
                + " per message; Angus Mail, under all three libraries, takes 4)");

        // Jakarta Mail API 2.1 looks its StreamProvider up with ServiceLoader, scanning the class
        // path, for every body part and every encoded write (jakartaee/mail-api #699, #861); the
        // system property makes that a Class.forName. The same run again with it set shows how much
        // of every library's cost that lookup is. Read at each lookup, so setting it now is enough.
        System.setProperty(STREAM_PROVIDER_PROPERTY, STREAM_PROVIDER);
        try {
          Pass tuned = pass(sink, contenders, WARMUP / 5, " (property)");
          String note = "informational, no target: the same run with -D" + STREAM_PROVIDER_PROPERTY + "="
              + STREAM_PROVIDER + ", which spares every Angus-based library a class-path scan per MIME part;"
              + " CPU per message " + tuned.cpu("postline") + " Postline, ";
          table.inform("3d. SMTP with the StreamProvider property: Postline vs Spring (msgs/s)",
              tuned.rate("postline"), tuned.rate("spring"), "msg/s", note + tuned.cpu("spring") + " Spring");
          table.inform("3e. SMTP with the StreamProvider property: Postline vs Simple Java Mail (msgs/s)",
              tuned.rate("postline"), tuned.rate("simple-java-mail"), "msg/s",
              note + tuned.cpu("simple-java-mail") + " Simple Java Mail");
          table.inform("3f. SMTP with the StreamProvider property: Postline vs raw client ceiling (msgs/s)",
              tuned.rate("postline"), tuned.rate("raw-socket"), "msg/s", "");
        } finally {
          if (preset == null) {
            System.clearProperty(STREAM_PROVIDER_PROPERTY);
          } else {
            System.setProperty(STREAM_PROVIDER_PROPERTY, preset);
          }
        }
      } finally {
        for (Contender c : contenders) {
          try {
            c.close();
          } catch (Exception e) {
            System.err.println("scenario 3: closing " + c.name() + " failed: " + e);
          }
        }
      }
    }
  }

  /** One round's figures: messages per second, and CPU microseconds of the whole process per message. */
  private record Round(double rate, double cpuMicros) {}

  /** Every contender's rounds of one pass. */
  private record Pass(Map<String, List<Double>> rates, Map<String, List<Double>> cpuMicros) {
    double rate(String contender) {
      return Load.median(rates.get(contender));
    }

    String cpu(String contender) {
      return String.format(Locale.ROOT, "%,.0f µs", Load.median(cpuMicros.get(contender)));
    }
  }

  /**
   * Warms every contender up, then runs {@link #ROUNDS} rounds, the contenders taking turns so
   * that drift on a shared machine spreads over all of them.
   */
  private static Pass pass(SmtpSink sink, List<Contender> contenders, int warmup, String label) throws Exception {
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    for (Contender c : contenders) {
      measure(sink, c, warmup, "warm-up" + label);
      rates.put(c.name(), new ArrayList<>());
      cpu.put(c.name(), new ArrayList<>());
    }
    for (int round = 1; round <= ROUNDS; round++) {
      for (Contender c : contenders) {
        Round r = measure(sink, c, MESSAGES, "round " + round + label);
        rates.get(c.name()).add(r.rate());
        cpu.get(c.name()).add(r.cpuMicros());
      }
    }
    return new Pass(rates, cpu);
  }

  /** Runs one round and checks the sink's count. */
  private static Round measure(SmtpSink sink, Contender c, int count, String what) throws Exception {
    long messagesBefore = sink.messages();
    long recipientsBefore = sink.recipients();
    long bytesBefore = sink.bytes();
    int connectionsBefore = sink.connections();
    long cpuBefore = Load.processCpuNanos();
    Load.Result r = c.send(count);
    double cpuMicros = (Load.processCpuNanos() - cpuBefore) / 1e3 / count;
    long arrived = sink.messages() - messagesBefore;
    long recipients = sink.recipients() - recipientsBefore;
    if (r.failed() > 0 || arrived != count || recipients != count) {
      throw new IllegalStateException(c.name() + " " + what + ": " + r.failed() + " sends failed, the sink got "
          + arrived + " of " + count + " messages (" + recipients + " recipients)"
          + (r.firstFailure() == null ? "" : "; first failure: " + r.firstFailure()));
    }
    double rate = r.perSecond(count);
    System.out.printf(Locale.ROOT, "scenario 3: %-16s %-19s %,6d messages in %s = %,8.0f msg/s, %,6.0f µs CPU"
            + " per message (sink: all arrived, %,d bytes each on average, %d connections opened)%n",
        c.name(), what, count, r.seconds(), rate, cpuMicros, (sink.bytes() - bytesBefore) / count,
        sink.connections() - connectionsBefore);
    return new Round(rate, cpuMicros);
  }

  private static Contender postline(int port) {
    Mailer mailer = Mailer.builder()
        .provider(SmtpProvider.builder("127.0.0.1").port(port).tls(TlsMode.NONE).poolSize(CONNECTIONS)
            .ehloName("bench.example.org").build())
        .meterRegistry(new SimpleMeterRegistry())
        .build();
    return new Contender() {
      @Override
      public String name() {
        return "postline";
      }

      @Override
      public Load.Result send(int count) throws InterruptedException {
        return Load.run("postline", THREADS, count, i -> mailer.send(BenchMail.email()));
      }

      @Override
      public void close() {
        mailer.close();
      }
    };
  }

  private static Contender spring(int port) {
    JavaMailSenderImpl sender = new JavaMailSenderImpl();
    sender.setHost("127.0.0.1");
    sender.setPort(port);
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
          helper.setTo(new InternetAddress(BenchMail.TO, BenchMail.TO_NAME));
          helper.setSubject(BenchMail.SUBJECT);
          helper.setText(BenchMail.TEXT, BenchMail.HTML);
          sender.send(message);
        });
      }
    };
  }

  private static Contender simpleJavaMail(int port) {
    org.simplejavamail.api.mailer.Mailer mailer = MailerBuilder.withSMTPServer("127.0.0.1", port)
        .withTransportStrategy(TransportStrategy.SMTP)
        .withConnectionPoolCoreSize(CONNECTIONS)
        .withConnectionPoolMaxSize(CONNECTIONS)
        .buildMailer();
    return new Contender() {
      @Override
      public String name() {
        return "simple-java-mail";
      }

      @Override
      public Load.Result send(int count) throws InterruptedException {
        return Load.run("sjm", THREADS, count, i -> mailer.sendMail(EmailBuilder.startingBlank()
            .from(BenchMail.FROM_NAME, BenchMail.FROM)
            .to(BenchMail.TO_NAME, BenchMail.TO)
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

  private static Contender raw(int port) {
    RawSmtpClient client = new RawSmtpClient();
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
          client.send(port, share, first + before);
        });
        return r.failed() == 0 ? new Load.Result(count, 0, r.nanos(), null) : r;
      }
    };
  }
}
