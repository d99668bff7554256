package io.postline.mail.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.profile.GCProfiler;
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
      List<Class<?>> benchmarks = new ArrayList<>();
      if (!only.startsWith("2")) {
        benchmarks.add(CoreOverheadBenchmark.class);
      }
      if (!only.startsWith("1")) {
        benchmarks.add(TemplateBenchmark.class);
      }
      // Ten warm-up rounds: on a busy 2-core machine the JIT takes 20 s or more to finish the pipeline.
      Map<String, Double> jmh = runJmh(10, 5, benchmarks.toArray(Class<?>[]::new));
      if (jmh.containsKey("CoreOverheadBenchmark.postlineMailer")) {
        double postline = jmh.get("CoreOverheadBenchmark.postlineMailer");
        double handWired = jmh.get("CoreOverheadBenchmark.handWired");
        double direct = jmh.get("CoreOverheadBenchmark.directProvider");
        String bytes = String.format(Locale.ROOT, "bytes allocated per send: %.0f Postline, %.0f hand-wired, %.0f direct",
            jmh.get("CoreOverheadBenchmark.postlineMailer" + BYTES), jmh.get("CoreOverheadBenchmark.handWired" + BYTES),
            jmh.get("CoreOverheadBenchmark.directProvider" + BYTES));
        table.add("1. Mailer.send vs the same libraries wired by hand (msgs/s)", postline, handWired, "msg/s",
            ResultTable.Goal.AT_LEAST, 0.7, "full pipeline (routing, circuit breaker, retry, unlimited rate limiter, "
                + "metrics, default audit log, events) against a Resilience4j breaker and retry, a Bucket4j bucket and "
                + "a Micrometer timer and counter around the same provider; " + bytes);
        table.add("1b. Mailer.send vs wired by hand: bytes allocated per send", jmh.get("CoreOverheadBenchmark.postlineMailer"
            + BYTES), jmh.get("CoreOverheadBenchmark.handWired" + BYTES), "B", ResultTable.Goal.AT_MOST, 1.5,
            "JMH's gc profiler, gc.alloc.rate.norm");
        table.add("1c. Mailer.send vs in-memory provider direct (ceiling, msgs/s)", postline, direct, "msg/s",
            ResultTable.Goal.AT_LEAST, 0.5, "the provider alone: appending to a list");
      }
      if (jmh.containsKey("TemplateBenchmark.postlineTemplates")) {
        table.add("2. Postline templates vs raw mustache.java (renders/s)", jmh.get("TemplateBenchmark.postlineTemplates"),
            jmh.get("TemplateBenchmark.rawMustache"), "ops/s", ResultTable.Goal.AT_LEAST, 0.8,
            "subject + 2 KB HTML + text, compiled templates cached on both sides");
      }
    }
    if (only.isEmpty() || only.startsWith("6")) {
      // A short run: signing costs are steady, and the ratio to unsigned is what matters.
      Map<String, Double> jmh = runJmh(3, 3, DkimBenchmark.class);
      double unsigned = jmh.get("DkimBenchmark.unsigned");
      for (String[] row : new String[][] {{"6a", "rsa-sha256 (2048 bits)", "rsaSha256"},
          {"6b", "ed25519-sha256", "ed25519Sha256"}, {"6c", "both (dual signatures)", "dualSignatures"}}) {
        double signed = jmh.get("DkimBenchmark." + row[2]);
        table.inform(row[0] + ". DKIM " + row[1] + ": render + sign vs render only (msgs/s)", signed, unsigned,
            "msg/s", String.format(Locale.ROOT, "signing adds %.1f µs per message (welcome email, 2 KB HTML + text)",
                1e6 / signed - 1e6 / unsigned));
      }
      double[] cpu = DkimBenchmark.cpuMicros(1_000);
      table.custom("6d. DKIM thread CPU per message: render + sign vs render only (µs)",
          String.format(Locale.ROOT, "rsa %.0f / ed25519 %.0f / both %.0f µs", cpu[1], cpu[2], cpu[3]),
          String.format(Locale.ROOT, "%.0f µs", cpu[0]), "–", "–", null,
          String.format(Locale.ROOT, "signing adds rsa-sha256 %.0f µs, ed25519-sha256 %.0f µs, both %.0f µs of CPU "
              + "(thread CPU time: hardly moved by the machine's load)", cpu[1] - cpu[0], cpu[2] - cpu[0], cpu[3] - cpu[0]));
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

  /** The suffix of a benchmark's bytes allocated per operation in {@link #runJmh}'s scores. */
  private static final String BYTES = ".bytes";

  /**
   * Runs JMH over {@code benchmarks} with the gc profiler; scores by {@code Class.method}, and bytes
   * allocated per operation by {@code Class.method.bytes}.
   */
  private static Map<String, Double> runJmh(int warmups, int measurements, Class<?>... benchmarks)
      throws RunnerException {
    OptionsBuilder builder = new OptionsBuilder();
    for (Class<?> benchmark : benchmarks) {
      builder.include(benchmark.getSimpleName());
    }
    Options options = builder
        .warmupIterations(warmups).warmupTime(TimeValue.seconds(2))
        .measurementIterations(measurements).measurementTime(TimeValue.seconds(2))
        .forks(1).threads(1)
        .addProfiler(GCProfiler.class)
        .jvmArgsAppend("-Xmx2g")
        .build();
    Collection<RunResult> results = new Runner(options).run();
    Map<String, Double> scores = new TreeMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      String shortName = label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1) + 1);
      scores.put(shortName, r.getPrimaryResult().getScore());
      r.getSecondaryResults().forEach((name, result) -> {
        if (name.endsWith("gc.alloc.rate.norm")) {
          scores.put(shortName + BYTES, result.getScore());
        }
      });
    }
    return scores;
  }
}
