package io.courier.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rows of {@link Baselines}: absolute figures, and for each Courier path its ratio to the
 * baseline of the same run and whether the target is met. Writes CSV and Markdown.
 */
final class BaselineTable {

  private static final String CSV_HEADER =
      "pair,path,role,concurrency,seconds,ok,errors,rate_per_s,p50_us,p90_us,p99_us,max_us,"
          + "baseline,rate_ratio,added_p50_us,added_p99_us,target,met";

  private record Row(
      String pair,
      String path,
      String role,
      ClosedLoop.Measure measure,
      double rate,
      String baseline,
      Double ratio,
      Long addedP50,
      Long addedP99,
      String target,
      Boolean met) {}

  private final List<Row> rows = new ArrayList<>();

  /** The measure of {@code path} in {@code pair} at {@code concurrency}, or null. */
  ClosedLoop.Measure measure(String pair, String path, int concurrency) {
    for (Row row : rows) {
      if (row.pair().equals(pair)
          && row.path().equals(path)
          && row.measure() != null
          && row.measure().concurrency() == concurrency) {
        return row.measure();
      }
    }
    return null;
  }

  void baseline(String pair, String path, ClosedLoop.Measure measure) {
    rows.add(
        new Row(pair, path, "baseline", measure, measure.rate(), "", null, null, null, "", null));
  }

  void rateBaseline(String pair, String path, double rate) {
    rows.add(new Row(pair, path, "baseline", null, rate, "", null, null, null, "", null));
  }

  /** A Courier path judged on its rate as a share of the baseline's. */
  void rateAgainst(
      String pair,
      String path,
      ClosedLoop.Measure measure,
      ClosedLoop.Measure baseline,
      double minRatio,
      String target) {
    double ratio = measure.rate() / baseline.rate();
    rows.add(
        new Row(
            pair,
            path,
            "courier",
            measure,
            measure.rate(),
            baselineName(pair),
            ratio,
            measure.p50() - baseline.p50(),
            measure.p99() - baseline.p99(),
            target,
            ratio >= minRatio && measure.errors() == 0));
  }

  /** A Courier path judged on its rate alone (no latency per call measured). */
  void rateOnlyAgainst(
      String pair, String path, double rate, double baseline, double minRatio, String target) {
    double ratio = rate / baseline;
    rows.add(
        new Row(
            pair,
            path,
            "courier",
            null,
            rate,
            path.substring(path.indexOf(" vs ") + 4),
            ratio,
            null,
            null,
            target,
            ratio >= minRatio));
  }

  /** A Courier path beside the baseline, with no target of its own. */
  void latencyBeside(
      String pair, String path, ClosedLoop.Measure measure, ClosedLoop.Measure baseline) {
    latencyRow(pair, path, measure, baseline, "", null);
  }

  /** A Courier path judged on the p99 latency it adds to the baseline's. */
  void latencyAgainst(
      String pair,
      String path,
      ClosedLoop.Measure measure,
      ClosedLoop.Measure baseline,
      long maxAddedP99Micros,
      String target) {
    long addedP99 = measure.p99() - baseline.p99();
    latencyRow(
        pair,
        path,
        measure,
        baseline,
        target,
        addedP99 <= maxAddedP99Micros && measure.errors() == 0);
  }

  private void latencyRow(
      String pair,
      String path,
      ClosedLoop.Measure measure,
      ClosedLoop.Measure baseline,
      String target,
      Boolean met) {
    rows.add(
        new Row(
            pair,
            path,
            "courier",
            measure,
            measure.rate(),
            baselineName(pair) + ", " + baseline.concurrency() + " in flight",
            measure.rate() / baseline.rate(),
            measure.p50() - baseline.p50(),
            measure.p99() - baseline.p99(),
            target,
            met));
  }

  private String baselineName(String pair) {
    for (int i = rows.size() - 1; i >= 0; i--) {
      if (rows.get(i).pair().equals(pair) && rows.get(i).role().equals("baseline")) {
        return rows.get(i).path();
      }
    }
    return "";
  }

  List<String> csv() {
    List<String> lines = new ArrayList<>();
    lines.add(CSV_HEADER);
    for (Row row : rows) {
      ClosedLoop.Measure m = row.measure();
      lines.add(
          String.join(
              ",",
              quote(row.pair()),
              quote(row.path()),
              row.role(),
              m == null ? "" : Integer.toString(m.concurrency()),
              m == null ? "" : String.format(Locale.ROOT, "%.2f", m.seconds()),
              m == null ? "" : Long.toString(m.ok()),
              m == null ? "" : Long.toString(m.errors()),
              String.format(Locale.ROOT, "%.0f", row.rate()),
              m == null ? "" : Long.toString(m.p50()),
              m == null ? "" : Long.toString(m.p90()),
              m == null ? "" : Long.toString(m.p99()),
              m == null ? "" : Long.toString(m.max()),
              quote(row.baseline()),
              row.ratio() == null ? "" : String.format(Locale.ROOT, "%.3f", row.ratio()),
              row.addedP50() == null ? "" : Long.toString(row.addedP50()),
              row.addedP99() == null ? "" : Long.toString(row.addedP99()),
              quote(row.target()),
              row.met() == null ? "" : row.met() ? "yes" : "no"));
    }
    return lines;
  }

  List<String> markdown() {
    List<String> lines = new ArrayList<>();
    lines.add(
        "| pair | path | in flight | rate/s | p50 | p90 | p99 | errors | ratio to baseline"
            + " | added p50 / p99 | target | met |");
    lines.add("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (Row row : rows) {
      ClosedLoop.Measure m = row.measure();
      boolean baseline = row.role().equals("baseline");
      lines.add(
          String.format(
              Locale.ROOT,
              "| %s | %s%s | %s | %,.0f | %s | %s | %s | %s | %s | %s | %s | %s |",
              row.pair(),
              baseline ? "**baseline:** " : "",
              row.path(),
              m == null ? "" : m.concurrency(),
              row.rate(),
              m == null ? "" : micros(m.p50()),
              m == null ? "" : micros(m.p90()),
              m == null ? "" : micros(m.p99()),
              m == null ? "" : m.errors(),
              row.ratio() == null
                  ? ""
                  : String.format(Locale.ROOT, "%.3fx (%.1f %%)", row.ratio(), 100 * row.ratio()),
              row.addedP99() == null ? "" : micros(row.addedP50()) + " / " + micros(row.addedP99()),
              row.target(),
              row.met() == null ? "" : row.met() ? "yes" : "**no**"));
    }
    return lines;
  }

  private static String micros(long micros) {
    return Math.abs(micros) >= 10_000
        ? String.format(Locale.ROOT, "%.1f ms", micros / 1000.0)
        : String.format(Locale.ROOT, "%d µs", micros);
  }

  private static String quote(String text) {
    return text.contains(",") || text.contains("\"")
        ? '"' + text.replace("\"", "\"\"") + '"'
        : text;
  }
}
