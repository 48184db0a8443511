package io.courier.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** What {@link OrderFlowBench} measured, as Markdown and CSV, each measure beside its target. */
final class PerfReport {

  static final String HELLO = "raw Vert.x hello (own JVM), GET /";
  static final String LIVE = "gateway, GET /health/live";
  static final String READ = "gateway, GET /api/v1/inventory/{sku}, bearer token";

  private record Slice(int seconds, double cores, double jitShare) {}

  private record SweepStep(double fraction, OrderLoad.Step step, Map<String, Double> cpu) {}

  private final double[] loadBefore;
  private final Instant started = Instant.now();
  private final List<Slice> warmUp = new ArrayList<>();
  private final List<SweepStep> steps = new ArrayList<>();
  private final List<String> closedLines = new ArrayList<>();
  private double closedRate;
  private double cpuMsPerOrder;
  private long closedP99Micros;
  private long[] series = new long[0];
  private Map<String, ClosedLoop.Measure> reads = Map.of();
  private JsonObject breakerStates = new JsonObject();
  private int openedDuringOverload = -1;
  private BaselineTable proxy;

  PerfReport(double[] loadBefore) {
    this.loadBefore = loadBefore;
  }

  void warmUpSlice(int seconds, double cores, double jitShare) {
    warmUp.add(new Slice(seconds, cores, jitShare));
  }

  double closedRate() {
    return closedRate;
  }

  void closed(
      double seconds,
      long accepted,
      Map<Integer, Long> byStatus,
      Histogram latency,
      Map<String, Double> cpu,
      Map<String, Double> clientCpu,
      List<String> busiest,
      int warmedSeconds) {
    closedRate = accepted / seconds;
    closedP99Micros = latency.getValueAtPercentile(99);
    double total = cpu.values().stream().mapToDouble(Double::doubleValue).sum();
    cpuMsPerOrder = accepted == 0 ? Double.NaN : total * 1000 / accepted;
    closedLines.add(
        f(
            "Closed loop, %d clients, after %d s of warm-up: %,.0f orders/s accepted over %.1f s;"
                + " p50 %.1f ms, p90 %.1f ms, p99 %.1f ms; answers by status %s.",
            OrderFlowBench.CLIENTS,
            warmedSeconds,
            closedRate,
            seconds,
            latency.getValueAtPercentile(50) / 1000.0,
            latency.getValueAtPercentile(90) / 1000.0,
            closedP99Micros / 1000.0,
            byStatus));
    closedLines.add("");
    closedLines.add("| thread group | platform CPU, ms per accepted order | share |");
    closedLines.add("|---|---|---|");
    cpu.forEach(
        (group, used) ->
            closedLines.add(
                f("| %s | %.3f | %.0f %% |", group, used * 1000 / accepted, used * 100 / total)));
    closedLines.add(
        f("| **whole process** | **%.3f** | %.2f cores busy |", cpuMsPerOrder, total / seconds));
    double client = clientCpu.values().stream().mapToDouble(Double::doubleValue).sum();
    closedLines.add("");
    closedLines.add(
        f(
            "The load client (this JVM) used %.3f ms of CPU per order (%.2f cores) on the same"
                + " 2 cores. Busiest platform threads in the window: %s.",
            client * 1000 / Math.max(1, accepted), client / seconds, String.join("; ", busiest)));
  }

  /** The owners' write transactions in the closed loop's window ({@link OwnerCommits}). */
  void ownerCommits(List<String> table) {
    closedLines.add("");
    closedLines.add(
        "Owner write transactions in the window (from the platform's /metrics): a placement waits"
            + " for the inventory owner's and then the order owner's.");
    closedLines.add("");
    closedLines.addAll(table);
  }

  void series(long[] acceptedPerSecond) {
    series = acceptedPerSecond;
  }

  void reads(Map<String, ClosedLoop.Measure> best) {
    reads = best;
  }

  void step(double fraction, OrderLoad.Step step, Map<String, Double> cpu) {
    steps.add(new SweepStep(fraction, step, cpu));
  }

  /** Breaker states after the sweep, and transitions to OPEN since {@code overloadStart}. */
  void breakers(JsonObject admin, Instant overloadStart) {
    breakerStates = admin.getJsonObject("breakers", new JsonObject());
    JsonArray transitions =
        admin.getJsonObject("sections", new JsonObject()).getJsonArray("breakerTransitions");
    if (transitions != null && overloadStart != null) {
      openedDuringOverload = 0;
      for (Object t : transitions) {
        JsonObject transition = (JsonObject) t;
        if ("OPEN".equals(transition.getString("state"))
            && Instant.parse(transition.getString("at")).isAfter(overloadStart)) {
          openedDuringOverload++;
        }
      }
    }
  }

  void proxy(BaselineTable table) {
    proxy = table;
  }

  /** Seconds from ready until every later 5-second mean is within 10 % of the measured rate. */
  int secondsToSteady() {
    double floor = 0.9 * closedRate;
    int first = -1;
    for (int t = series.length - 5; t >= 0; t--) {
      double mean = 0;
      for (int i = t; i < t + 5; i++) {
        mean += series[i] / 5.0;
      }
      if (mean < floor) {
        break;
      }
      first = t;
    }
    return first;
  }

  void write(Path out, double[] loadAfter) throws IOException {
    List<String> csv = new ArrayList<>();
    csv.add(
        "fraction_of_max,offered_per_s,throughput_ok_per_s,p50_ms,p90_ms,p99_ms,max_ms,"
            + "refused_per_s,refused_p99_ms,failed,cpu_ms_per_accepted,answered_within_s");
    for (SweepStep s : steps) {
      OrderLoad.Step step = s.step();
      double cpu = s.cpu().values().stream().mapToDouble(Double::doubleValue).sum();
      csv.add(
          f(
              "%.2f,%.0f,%.1f,%.2f,%.2f,%.2f,%.2f,%.1f,%.2f,%d,%.3f,%.1f",
              s.fraction(),
              step.offeredPerSecond(),
              step.acceptedPerSecond(),
              ms(step.acceptedMicros(), 50),
              ms(step.acceptedMicros(), 90),
              ms(step.acceptedMicros(), 99),
              step.acceptedMicros().getMaxValue() / 1000.0,
              step.refused() / step.span(),
              ms(step.refusedMicros(), 99),
              step.failed(),
              step.accepted() == 0 ? Double.NaN : cpu * 1000 / step.accepted(),
              step.answeredSeconds()));
    }
    Files.write(out.resolve("order-flow.csv"), csv);
    List<String> warm = new ArrayList<>(List.of("second_after_ready,accepted"));
    for (int i = 0; i < series.length; i++) {
      warm.add(i + "," + series[i]);
    }
    Files.write(out.resolve("warm-up.csv"), warm);
    List<String> md = new ArrayList<>();
    md.add(
        f(
            "Run %s to %s; %d cores; Java %s; load average (1/5/15 min) before %.2f / %.2f / %.2f,"
                + " after %.2f / %.2f / %.2f.",
            started,
            Instant.now(),
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("java.version"),
            loadBefore[0],
            loadBefore[1],
            loadBefore[2],
            loadAfter[0],
            loadAfter[1],
            loadAfter[2]));
    md.add("");
    md.addAll(PerfTargets.rows(this));
    md.add("");
    md.addAll(closedLines);
    md.add("");
    md.add("Warm-up from ready (10 s slices): process CPU in cores and the JIT's share of it:");
    md.add("");
    for (Slice slice : warmUp) {
      md.add(
          f(
              "* %3d s: %.2f cores, JIT %.1f %%",
              slice.seconds(), slice.cores(), slice.jitShare() * 100));
    }
    md.add("");
    md.add("Open-model sweep (`order-flow.csv`, `order-flow.png`):");
    md.add("");
    csv.forEach(line -> md.add("    " + line));
    md.add("");
    md.add("Breakers after the sweep: " + breakerStates.encode());
    md.add("");
    md.add("Resilience proxy against a direct event-bus call (`ProxyPair.measure`):");
    md.add("");
    md.addAll(proxy.markdown());
    Files.write(out.resolve("perf.md"), md);
    md.forEach(System.out::println);
  }

  // Accessors for PerfTargets.
  double cpuMsPerOrder() {
    return cpuMsPerOrder;
  }

  Map<String, ClosedLoop.Measure> readMeasures() {
    return reads;
  }

  List<OrderLoad.Step> sweepSteps() {
    return steps.stream().map(SweepStep::step).toList();
  }

  List<Double> sweepFractions() {
    return steps.stream().map(SweepStep::fraction).toList();
  }

  JsonObject breakerStates() {
    return breakerStates;
  }

  int openedDuringOverload() {
    return openedDuringOverload;
  }

  BaselineTable proxyTable() {
    return proxy;
  }

  static double ms(Histogram histogram, double percentile) {
    return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
