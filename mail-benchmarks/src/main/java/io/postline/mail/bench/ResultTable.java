package io.postline.mail.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The Markdown table the suite prints: each scenario with Postline's figure, its peer's, the ratio and the target. */
final class ResultTable {
  /** How a ratio is judged against its target. */
  enum Goal {
    /** Postline / peer must be at least the target. */
    AT_LEAST,
    /** Postline / peer must be at most the target. */
    AT_MOST
  }

  private record Row(String scenario, String postline, String peer, double ratio, Goal goal, double target, String note) {}

  private final List<Row> rows = new ArrayList<>();

  /** Adds a row comparing two figures of the same unit; the ratio is postline / peer. */
  void add(String scenario, double postline, double peer, String unit, Goal goal, double target, String note) {
    rows.add(new Row(scenario, format(postline, unit), format(peer, unit), postline / peer, goal, target, note));
  }

  void print(PrintStream out) {
    out.println();
    out.println("| scenario | Postline | peer | ratio | target | met |");
    out.println("|---|---|---|---|---|---|");
    for (Row r : rows) {
      boolean met = r.goal == Goal.AT_LEAST ? r.ratio >= r.target : r.ratio <= r.target;
      out.printf(Locale.ROOT, "| %s | %s | %s | %.2f | %s %.2f | %s |%n", r.scenario, r.postline, r.peer, r.ratio,
          r.goal == Goal.AT_LEAST ? "≥" : "≤", r.target, met ? "yes" : "**no**");
    }
    for (Row r : rows) {
      if (!r.note.isEmpty()) {
        out.println();
        out.println("- " + r.scenario + ": " + r.note);
      }
    }
  }

  private static String format(double value, String unit) {
    if (value >= 100) {
      return String.format(Locale.ROOT, "%,.0f %s", value, unit);
    }
    return String.format(Locale.ROOT, "%.2f %s", value, unit);
  }
}
