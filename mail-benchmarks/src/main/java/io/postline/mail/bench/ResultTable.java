package io.postline.mail.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The Markdown table the suite prints: each scenario with Postline's figure, its peer's (or its
 * ceiling's), the ratio and the target. Ratio rows are judged by the table; rows whose figures
 * are not a ratio (latencies, memory) say their own target and whether it was met; informational
 * rows have no target.
 */
final class ResultTable {
  /** How a ratio is judged against its target. */
  enum Goal {
    /** Postline / peer must be at least the target. */
    AT_LEAST,
    /** Postline / peer must be at most the target. */
    AT_MOST
  }

  /**
   * One row, already formatted.
   *
   * @param met whether the target was met, or null when the row has no target
   */
  private record Row(String scenario, String postline, String peer, String ratio, String target,
      @Nullable Boolean met, String note) {}

  private final List<Row> rows = new ArrayList<>();

  /** Adds a row comparing two figures of the same unit; the ratio is postline / peer. */
  void add(String scenario, double postline, double peer, String unit, Goal goal, double target, String note) {
    double ratio = postline / peer;
    boolean met = goal == Goal.AT_LEAST ? ratio >= target : ratio <= target;
    rows.add(new Row(scenario, format(postline, unit), format(peer, unit), ratio(ratio),
        String.format(Locale.ROOT, "%s %.2f", goal == Goal.AT_LEAST ? "≥" : "≤", target), met, note));
  }

  /** Adds a row comparing two figures of the same unit without a target; the ratio is postline / peer. */
  void inform(String scenario, double postline, double peer, String unit, String note) {
    rows.add(new Row(scenario, format(postline, unit), format(peer, unit), ratio(postline / peer), "–", null, note));
  }

  /**
   * Adds a row whose figures and target are written out by the caller, such as a latency or a
   * memory figure against an absolute limit.
   */
  void custom(String scenario, String postline, String peer, String ratio, String target, @Nullable Boolean met,
      String note) {
    rows.add(new Row(scenario, postline, peer, ratio, target, met, note));
  }

  /** Adds a row for a scenario that could not be measured, with the reason. */
  void failed(String scenario, String reason) {
    rows.add(new Row(scenario, "–", "–", "–", "–", false, "FAILED: " + reason));
  }

  void print(PrintStream out) {
    out.println();
    out.println("| scenario | Postline | peer | ratio | target | met |");
    out.println("|---|---|---|---|---|---|");
    for (Row r : rows) {
      String met = r.met == null ? "–" : r.met ? "yes" : "**no**";
      out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", r.scenario, r.postline, r.peer, r.ratio, r.target, met);
    }
    for (Row r : rows) {
      if (!r.note.isEmpty()) {
        out.println();
        out.println("- " + r.scenario + ": " + r.note);
      }
    }
  }

  static String ratio(double ratio) {
    return String.format(Locale.ROOT, "%.2f", ratio);
  }

  static String format(double value, String unit) {
    if (value >= 100) {
      return String.format(Locale.ROOT, "%,.0f %s", value, unit);
    }
    return String.format(Locale.ROOT, "%.2f %s", value, unit);
  }
}
