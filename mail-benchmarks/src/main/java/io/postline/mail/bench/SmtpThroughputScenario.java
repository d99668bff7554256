package io.postline.mail.bench;

import io.postline.mail.bench.SmtpContenders.Contender;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scenario 3: SMTP throughput to a local sink ({@link SmtpSink}), 10,000 messages of about 5 KB
 * from 8 threads over (at most) 8 connections, for each of {@link SmtpContenders} (Postline,
 * Spring's {@code JavaMailSenderImpl}, Simple Java Mail's pool, the raw pipelining ceiling),
 * plain SMTP without login.
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
  static final int THREADS = SmtpContenders.THREADS;
  static final String STREAM_PROVIDER_PROPERTY = "jakarta.mail.util.StreamProvider";
  static final String STREAM_PROVIDER = "org.eclipse.angus.mail.util.MailStreamProvider";

  @Override
  public String name() {
    return "3. SMTP throughput";
  }

  @Override
  public void run(ResultTable table) throws Exception {
    try (SmtpSink sink = SmtpSink.start()) {
      int port = sink.port();
      SmtpContenders.Server server = new SmtpContenders.Server("127.0.0.1", port, BenchMail.TO, "bench.example.org",
          null);
      List<Contender> contenders = List.of(SmtpContenders.postline(server), SmtpContenders.spring(server),
          SmtpContenders.simpleJavaMail(server), SmtpContenders.raw(server));
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
            defaults.rate("postline"), defaults.rate("raw-socket"), "msg/s", ResultTable.Goal.AT_LEAST, 0.3,
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
}
