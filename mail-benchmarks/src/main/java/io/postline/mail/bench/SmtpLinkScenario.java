package io.postline.mail.bench;

import io.postline.mail.bench.SmtpContenders.Contender;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Scenario 8: SMTP over a real link. The local Postfix instance of {@code .ci/postfix-setup}
 * (STARTTLS with a test CA, AUTH PLAIN required, mail to {@code bench.postline.test} discarded once
 * queued) behind a {@link LatencyProxy} that adds {@value #ONE_WAY_MICROS} µs each way, 8 threads
 * and at most 8 connections, the same message as scenario 3, for each of {@link SmtpContenders}:
 * Postline (its own engine, pool of 8), Spring's {@code JavaMailSenderImpl} (a connection, TLS
 * handshake and login per message, as users call it), Simple Java Mail's batch-module pool of 8,
 * and the ceiling, {@link RawSmtpClient} (STARTTLS and AUTH once per connection, then pipelined
 * prebuilt messages: one round trip per message).
 *
 * <p>Every contender verifies the server's certificate against exactly the test CA. The proxy runs
 * in a process of its own, so the CPU figure is the client's alone (Postfix's is not counted
 * either). Each contender warms up with {@value #WARMUP} messages, then they take turns for
 * {@value #ROUNDS} rounds of {@code bench.link.messages} (default 2,000); the median round counts.
 */
final class SmtpLinkScenario implements Scenario {
  static final int MESSAGES = Integer.getInteger("bench.link.messages", 2_000);
  static final int WARMUP = 500;
  static final int ROUNDS = 3;
  static final int THREADS = SmtpContenders.THREADS;
  static final long ONE_WAY_MICROS = 5_000;
  static final String EHLO = "bench.postline.test";

  /** The Postfix instance, from the properties file {@code .ci/postfix-setup} writes. */
  private record Postfix(int port, String username, String password, Path ca, String to) {
    static Postfix require() throws IOException {
      Path file = Path.of(System.getenv().getOrDefault("POSTLINE_POSTFIX_DIR", "/var/lib/postline-postfix"),
          "postline-postfix.properties");
      if (!Files.isReadable(file)) {
        throw new IllegalStateException("scenario 8 needs the local Postfix instance: " + file
            + " is missing; run .ci/postfix-setup (as root)");
      }
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
      return new Postfix(Integer.parseInt(p.getProperty("port")), p.getProperty("username"),
          p.getProperty("password"), Path.of(p.getProperty("caCertificate")), "ann@" + p.getProperty("benchDomain"));
    }

    /** TLS that trusts exactly the test CA (host names verified by each client). */
    SSLContext tls() throws Exception {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(ca)) {
        trust.setCertificateEntry("postline-test-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    }
  }

  @Override
  public String name() {
    return "8. SMTP over a real link";
  }

  @Override
  public void run(ResultTable table) throws Exception {
    Postfix postfix = Postfix.require();
    String loadBefore = loadAverage();
    try (Proxy proxy = Proxy.start(postfix.port(), ONE_WAY_MICROS)) {
      SmtpContenders.Server server = new SmtpContenders.Server("localhost", proxy.port(), postfix.to(), EHLO,
          new SmtpContenders.Secure(postfix.ca(), postfix.tls(), postfix.username(), postfix.password()));
      List<Contender> contenders = List.of(SmtpContenders.postline(server), SmtpContenders.spring(server),
          SmtpContenders.simpleJavaMail(server), SmtpContenders.raw(server));
      try {
        Map<String, List<double[]>> rounds = new LinkedHashMap<>();
        for (Contender c : contenders) {
          measure(c, WARMUP, "warm-up");
          rounds.put(c.name(), new ArrayList<>());
        }
        for (int round = 1; round <= ROUNDS; round++) {
          for (Contender c : contenders) {
            rounds.get(c.name()).add(measure(c, MESSAGES, "round " + round));
          }
        }
        String load = "load average " + loadBefore + " before, " + loadAverage() + " after";
        String each = "median of " + ROUNDS + " rounds of " + String.format(Locale.ROOT, "%,d", MESSAGES)
            + " ~5 KB messages from " + THREADS + " threads over STARTTLS + AUTH to Postfix through a proxy adding "
            + ONE_WAY_MICROS / 1000 + " ms each way; " + load + "; client CPU per message: "
            + cpu(rounds, "postline") + " Postline, ";
        table.add("8a. SMTP over a 10 ms link: Postline (own engine, pool 8) vs Spring JavaMailSenderImpl (msgs/s)",
            rate(rounds, "postline"), rate(rounds, "spring"), "msg/s", ResultTable.Goal.AT_LEAST, 5.0,
            each + cpu(rounds, "spring") + " Spring (a connection, TLS handshake and login per message)");
        table.add("8b. SMTP over a 10 ms link: Postline vs Simple Java Mail batch-module pool of 8 (msgs/s)",
            rate(rounds, "postline"), rate(rounds, "simple-java-mail"), "msg/s", ResultTable.Goal.AT_LEAST, 2.0,
            each + cpu(rounds, "simple-java-mail") + " Simple Java Mail (lock step, 4 round trips per message)");
        table.add("8c. SMTP over a 10 ms link: Postline vs raw pipelining client, 8 connections (ceiling, msgs/s)",
            rate(rounds, "postline"), rate(rounds, "raw-socket"), "msg/s", ResultTable.Goal.AT_LEAST, 0.5,
            each + cpu(rounds, "raw-socket") + " raw client (prebuilt bytes, 1 round trip per message)");
        table.inform("8d. SMTP over a 10 ms link: client CPU per message, Postline vs Spring (µs)",
            cpuMicros(rounds, "postline"), cpuMicros(rounds, "spring"), "µs", "lower is better; Simple Java Mail "
                + cpu(rounds, "simple-java-mail") + ", raw client " + cpu(rounds, "raw-socket"));
      } finally {
        for (Contender c : contenders) {
          try {
            c.close();
          } catch (Exception e) {
            System.err.println("scenario 8: closing " + c.name() + " failed: " + e);
          }
        }
      }
    }
  }

  private static double rate(Map<String, List<double[]>> rounds, String contender) {
    return Load.median(rounds.get(contender).stream().map(r -> r[0]).toList());
  }

  private static double cpuMicros(Map<String, List<double[]>> rounds, String contender) {
    return Load.median(rounds.get(contender).stream().map(r -> r[1]).toList());
  }

  private static String cpu(Map<String, List<double[]>> rounds, String contender) {
    return String.format(Locale.ROOT, "%,.0f µs", cpuMicros(rounds, contender));
  }

  /** The 1, 5 and 15 minute load averages, as {@code /proc/loadavg} gives them. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** Runs one round; every send must succeed. Returns messages per second and client CPU µs per message. */
  private static double[] measure(Contender c, int count, String what) throws Exception {
    long cpuBefore = Load.processCpuNanos();
    Load.Result r = c.send(count);
    double cpuMicros = (Load.processCpuNanos() - cpuBefore) / 1e3 / count;
    if (r.failed() > 0) {
      throw new IllegalStateException(c.name() + " " + what + ": " + r.failed() + " of " + count + " sends failed"
          + (r.firstFailure() == null ? "" : "; first failure: " + r.firstFailure()), r.firstFailure());
    }
    double rate = r.perSecond(count);
    System.out.printf(Locale.ROOT, "scenario 8: %-16s %-8s %,6d messages in %s = %,7.1f msg/s, %,6.0f µs client CPU"
        + " per message (load %s)%n", c.name(), what, count, r.seconds(), rate, cpuMicros, loadAverage());
    return new double[] {rate, cpuMicros};
  }

  /** The {@link LatencyProxy} in a JVM of its own; closing it ends that process. */
  private record Proxy(Process process, int port) implements AutoCloseable {
    static Proxy start(int target, long oneWayMicros) throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
          LatencyProxy.class.getName(), Integer.toString(target), Long.toString(oneWayMicros))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
      String line = out.readLine();
      if (line == null || !line.startsWith("port=")) {
        p.destroyForcibly();
        throw new IllegalStateException("the latency proxy did not start (it said: " + line + ")");
      }
      return new Proxy(p, Integer.parseInt(line.substring(5)));
    }

    @Override
    public void close() throws IOException {
      process.getOutputStream().close();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
