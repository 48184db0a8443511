package io.courier.bench;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.ProtobufMessageCodec;
import io.courier.codec.kafka.EventSerializer;
import io.courier.contract.v1.OrderPlaced;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.impl.codecs.JsonObjectMessageCodec;
import io.vertx.core.eventbus.impl.codecs.StringMessageCodec;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the hot-path benchmarks ({@link CodecBenchmark}, {@link EventBusRoundTripBenchmark}, {@link
 * KafkaSerdeBenchmark}, {@link DispatchBenchmark}) in one JMH run with the GC profiler, and writes
 * into the given directory: JMH's JSON ({@code hotpath-jmh.json}), one CSV line per benchmark with
 * its ratio to the baseline measured in the same run ({@code hotpath.csv}), and the same as
 * Markdown tables with the bytes each form puts on the wire ({@code hotpath.md}). Run it with the
 * test class path in its own JVM (JMH forks with that class path).
 */
public final class HotPathBenchmarks {

  private static final String INCLUDE =
      "io\\.courier\\.bench\\.(CodecBenchmark|EventBusRoundTripBenchmark|KafkaSerdeBenchmark"
          + "|DispatchBenchmark)\\..*";

  /**
   * Each measured benchmark and the baseline of the same class and parameters it is read against.
   */
  private static final Map<String, String> BASELINES =
      Map.ofEntries(
          Map.entry("CodecBenchmark.protobufEncode", "jsonEncode"),
          Map.entry("CodecBenchmark.protobufDecode", "jsonDecode"),
          Map.entry("CodecBenchmark.protobufLocal", "jsonLocal"),
          Map.entry("EventBusRoundTripBenchmark.protobufOneAtATime", "stringOneAtATime"),
          Map.entry("EventBusRoundTripBenchmark.jsonOneAtATime", "stringOneAtATime"),
          Map.entry("EventBusRoundTripBenchmark.protobufWindow64", "stringWindow64"),
          Map.entry("EventBusRoundTripBenchmark.jsonWindow64", "stringWindow64"),
          Map.entry("KafkaSerdeBenchmark.courierSerialize", "rawSerialize"),
          Map.entry("KafkaSerdeBenchmark.envelopeSerialize", "rawSerialize"),
          Map.entry("KafkaSerdeBenchmark.courierDeserialize", "rawDeserialize"),
          Map.entry("KafkaSerdeBenchmark.envelopeDeserialize", "rawDeserialize"),
          Map.entry("DispatchBenchmark.courierRequest", "rawRequest"));

  private HotPathBenchmarks() {}

  public static void main(String[] args) throws Exception {
    Path out = Paths.get(args.length > 0 ? args[0] : "target/bench");
    String include = args.length > 1 && !args[1].isBlank() ? args[1] : INCLUDE;
    Files.createDirectories(out);
    Options options =
        new OptionsBuilder()
            .include(include)
            .addProfiler(GCProfiler.class)
            .resultFormat(ResultFormatType.JSON)
            .result(out.resolve("hotpath-jmh.json").toString())
            .build();
    Collection<RunResult> results = new Runner(options).run();
    List<Row> rows = rows(results);
    Files.write(out.resolve("hotpath.csv"), csv(rows));
    List<String> markdown = markdown(rows);
    markdown.addAll(wireSizes());
    Files.write(out.resolve("hotpath.md"), markdown);
    System.out.println();
    markdown.forEach(System.out::println);
  }

  private record Row(
      String benchmark,
      String params,
      double score,
      double error,
      double min,
      double max,
      String unit,
      double allocBytes,
      String baseline,
      double ratio) {}

  private static List<Row> rows(Collection<RunResult> results) {
    List<Row> rows = new ArrayList<>();
    for (RunResult result : results) {
      String name = shortName(result.getParams().getBenchmark());
      String params = params(result);
      String baseline = BASELINES.get(name);
      double ratio = Double.NaN;
      if (baseline != null) {
        String baselineName = name.substring(0, name.indexOf('.') + 1) + baseline;
        for (RunResult other : results) {
          if (shortName(other.getParams().getBenchmark()).equals(baselineName)
              && params(other).equals(params)) {
            ratio = result.getPrimaryResult().getScore() / other.getPrimaryResult().getScore();
          }
        }
      }
      rows.add(
          new Row(
              name,
              params,
              result.getPrimaryResult().getScore(),
              result.getPrimaryResult().getScoreError(),
              result.getPrimaryResult().getStatistics().getMin(),
              result.getPrimaryResult().getStatistics().getMax(),
              result.getPrimaryResult().getScoreUnit(),
              alloc(result),
              baseline == null ? "" : baseline,
              ratio));
    }
    return rows;
  }

  private static String shortName(String benchmark) {
    String[] parts = benchmark.split("\\.");
    return parts[parts.length - 2] + "." + parts[parts.length - 1];
  }

  private static String params(RunResult result) {
    List<String> values = new ArrayList<>();
    for (String key : result.getParams().getParamsKeys()) {
      values.add(key + "=" + result.getParams().getParam(key));
    }
    return String.join(" ", values);
  }

  private static double alloc(RunResult result) {
    for (Map.Entry<String, Result> secondary : result.getSecondaryResults().entrySet()) {
      if (secondary.getKey().endsWith("gc.alloc.rate.norm")) {
        return secondary.getValue().getScore();
      }
    }
    return Double.NaN;
  }

  private static List<String> csv(List<Row> rows) {
    List<String> lines = new ArrayList<>();
    lines.add(
        "benchmark,params,score,error,min,max,unit,alloc_bytes_per_op,baseline,ratio_to_baseline");
    for (Row row : rows) {
      lines.add(
          String.format(
              Locale.ROOT,
              "%s,%s,%.3f,%.3f,%.3f,%.3f,%s,%.1f,%s,%s",
              row.benchmark(),
              row.params(),
              row.score(),
              row.error(),
              row.min(),
              row.max(),
              row.unit(),
              row.allocBytes(),
              row.baseline(),
              Double.isNaN(row.ratio()) ? "" : String.format(Locale.ROOT, "%.3f", row.ratio())));
    }
    return lines;
  }

  private static List<String> markdown(List<Row> rows) {
    List<String> lines = new ArrayList<>();
    lines.add(
        "| benchmark | params | score (min-max of iterations) | unit | alloc B/op | baseline | vs baseline |");
    lines.add("|---|---|---|---|---|---|---|");
    for (Row row : rows) {
      lines.add(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s (%s-%s) | %s | %s | %s | %s |",
              row.benchmark(),
              row.params(),
              figure(row.score()),
              figure(row.min()),
              figure(row.max()),
              row.unit(),
              Double.isNaN(row.allocBytes())
                  ? ""
                  : String.format(Locale.ROOT, "%,.0f", row.allocBytes()),
              row.baseline().isEmpty() ? "" : row.baseline(),
              Double.isNaN(row.ratio()) ? "" : String.format(Locale.ROOT, "%.2f x", row.ratio())));
    }
    return lines;
  }

  private static String figure(double value) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    return value >= 100
        ? String.format(Locale.ROOT, "%,.0f", value)
        : String.format(Locale.ROOT, "%.2f", value);
  }

  /** Bytes each form puts on the wire for the benchmarks' sample data. */
  static List<String> wireSizes() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add("| body | protobuf codec | JSON codec (JsonObject) | String codec (JSON text) |");
    lines.add("|---|---|---|---|");
    for (String type : List.of("PlaceOrderRequest", "Order")) {
      Message message = BenchSamples.message(type);
      JsonObject json = BenchSamples.json(type);
      Buffer protobuf = Buffer.buffer();
      new ProtobufMessageCodec<>(message).encodeToWire(protobuf, message);
      Buffer jsonWire = Buffer.buffer();
      new JsonObjectMessageCodec().encodeToWire(jsonWire, json);
      Buffer text = Buffer.buffer();
      new StringMessageCodec().encodeToWire(text, json.encode());
      lines.add(
          String.format(
              Locale.ROOT,
              "| %s | %d B | %d B | %d B |",
              type,
              protobuf.length(),
              jsonWire.length(),
              text.length()));
    }
    Event<OrderPlaced> event = BenchSamples.orderPlaced();
    RecordHeaders headers = new RecordHeaders();
    byte[] value = new EventSerializer().serialize(KafkaSerdeBenchmark.TOPIC, headers, event);
    int headerBytes = 0;
    for (Header header : headers) {
      headerBytes += header.key().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      headerBytes += header.value().length;
    }
    lines.add("");
    lines.add("| Kafka record of one OrderPlaced | value | header keys + values | total |");
    lines.add("|---|---|---|---|");
    lines.add(
        String.format(
            Locale.ROOT,
            "| Courier (binary mode, %d ce_* headers) | %d B | %d B | %d B |",
            headers.toArray().length,
            value.length,
            headerBytes,
            value.length + headerBytes));
    int raw = event.data().toByteArray().length;
    lines.add(String.format(Locale.ROOT, "| raw protobuf payload | %d B | 0 B | %d B |", raw, raw));
    int envelope = event.toEnvelope().toByteArray().length;
    lines.add(
        String.format(
            Locale.ROOT,
            "| EventEnvelope as the value (structured) | %d B | 0 B | %d B |",
            envelope,
            envelope));
    return lines;
  }
}
