package io.postline.mail.bench;

import java.util.Collection;
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
    ResultTable table = new ResultTable();
    Map<String, Double> jmh = runJmh();
    table.add("1. Mailer.send vs in-memory provider direct (msgs/s)", jmh.get("CoreOverheadBenchmark.postlineMailer"),
        jmh.get("CoreOverheadBenchmark.directProvider"), "msg/s", ResultTable.Goal.AT_LEAST, 0.5,
        "full pipeline: routing, circuit breaker, unlimited rate limiter, metrics, audit, events");
    table.add("2. Postline templates vs raw mustache.java (renders/s)", jmh.get("TemplateBenchmark.postlineTemplates"),
        jmh.get("TemplateBenchmark.rawMustache"), "ops/s", ResultTable.Goal.AT_LEAST, 0.8,
        "subject + 2 KB HTML + text, compiled templates cached on both sides");
    for (Scenario scenario : Scenario.loaded()) {
      scenario.run(table);
    }
    table.print(System.out);
  }

  private static Map<String, Double> runJmh() throws RunnerException {
    Options options = new OptionsBuilder()
        .include(CoreOverheadBenchmark.class.getSimpleName())
        .include(TemplateBenchmark.class.getSimpleName())
        .warmupIterations(3).warmupTime(TimeValue.seconds(2))
        .measurementIterations(5).measurementTime(TimeValue.seconds(2))
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
