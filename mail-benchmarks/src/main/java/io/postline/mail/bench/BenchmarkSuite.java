package io.postline.mail.bench;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark and prints one Markdown table: each scenario, Postline's figure, its
 * peer's (or ceiling's) measured in the same run, the ratio and the target. Absolute figures
 * drift on shared machines; the ratios are what to read.
 */
public final class BenchmarkSuite {
  private BenchmarkSuite() {}

  /** Runs the suite. */
  public static void main(String[] args) throws Exception {
    long started = System.nanoTime();
    ResultTable table = new ResultTable();
    // -Dbench.only=PREFIX runs only the scenarios whose name starts with it (1 and 2 are JMH's).
    String only = System.getProperty("bench.only", "").strip();
    if (only.isEmpty() || only.startsWith("1") || only.startsWith("2")) {
      Map<String, Double> jmh = runJmh(5, CoreOverheadBenchmark.class, TemplateBenchmark.class);
      table.add("1. Mailer.send vs in-memory provider direct (msgs/s)", jmh.get("CoreOverheadBenchmark.postlineMailer"),
          jmh.get("CoreOverheadBenchmark.directProvider"), "msg/s", ResultTable.Goal.AT_LEAST, 0.5,
          "full pipeline: routing, circuit breaker, unlimited rate limiter, metrics, audit, events");
      table.add("2. Postline templates vs raw mustache.java (renders/s)", jmh.get("TemplateBenchmark.postlineTemplates"),
          jmh.get("TemplateBenchmark.rawMustache"), "ops/s", ResultTable.Goal.AT_LEAST, 0.8,
          "subject + 2 KB HTML + text, compiled templates cached on both sides");
    }
    if (only.isEmpty() || only.startsWith("6")) {
      // A short run: signing costs are steady, and the ratio to unsigned is what matters.
      Map<String, Double> jmh = runJmh(3, DkimBenchmark.class);
      double unsigned = jmh.get("DkimBenchmark.unsigned");
      for (String[] row : new String[][] {{"6a", "rsa-sha256 (2048 bits)", "rsaSha256"},
          {"6b", "ed25519-sha256", "ed25519Sha256"}, {"6c", "both (dual signatures)", "dualSignatures"}}) {
        double signed = jmh.get("DkimBenchmark." + row[2]);
        table.inform(row[0] + ". DKIM " + row[1] + ": render + sign vs render only (msgs/s)", signed, unsigned,
            "msg/s", String.format(Locale.ROOT, "signing adds %.1f µs per message (welcome email, 2 KB HTML + text)",
                1e6 / signed - 1e6 / unsigned));
      }
    }
    for (Scenario scenario : Scenario.loaded()) {
      if (!only.isEmpty() && !scenario.name().startsWith(only)) {
        continue;
      }
      long t0 = System.nanoTime();
      System.out.println("# " + scenario.name());
      try {
        scenario.run(table);
      } catch (Exception | AssertionError e) {
        // One scenario failing (no Redis, a library that broke) must not hide the others' figures.
        System.err.println("# " + scenario.name() + " failed:");
        e.printStackTrace();
        table.failed(scenario.name(), e.toString());
      }
      System.out.printf(Locale.ROOT, "# %s took %.0f s%n", scenario.name(), (System.nanoTime() - t0) / 1e9);
    }
    table.print(System.out);
    System.out.printf(Locale.ROOT, "%nThe whole suite took %.0f s on %d cores, %s.%n",
        (System.nanoTime() - started) / 1e9, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name")
            + " " + System.getProperty("java.version"));
  }

  private static Map<String, Double> runJmh(int measurements, Class<?>... benchmarks) throws RunnerException {
    OptionsBuilder builder = new OptionsBuilder();
    for (Class<?> benchmark : benchmarks) {
      builder.include(benchmark.getSimpleName());
    }
    Options options = builder
        .warmupIterations(3).warmupTime(TimeValue.seconds(2))
        .measurementIterations(measurements).measurementTime(TimeValue.seconds(2))
        .forks(1).threads(1)
        .jvmArgsAppend("-Xmx2g")
        .build();
    Collection<RunResult> results = new Runner(options).run();
    Map<String, Double> scores = new TreeMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      String shortName = label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1) + 1);
      scores.put(shortName, r.getPrimaryResult().getScore());
    }
    return scores;
  }
}
