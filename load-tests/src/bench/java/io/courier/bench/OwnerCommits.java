package io.courier.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The owners' write transactions, read from the platform's Prometheus endpoint before and after a
 * window ({@code courier_ownership_commit_seconds} and {@code courier_ownership_writes_total} by
 * consumer group): how many transactions each owner committed, how long one took on average and how
 * many writes it carried. The per-stage figure behind the order path's latency.
 */
final class OwnerCommits {

  private static final Pattern SERIES =
      Pattern.compile(
          "^(courier_ownership_commit_seconds_count|courier_ownership_commit_seconds_sum"
              + "|courier_ownership_writes_total)\\{([^}]*)\\} ([0-9.eE+-]+)$");
  private static final Pattern GROUP = Pattern.compile("group=\"([^\"]+)\"");

  /** Per group: transactions, their total seconds, committed writes. */
  record Snapshot(Map<String, double[]> byGroup) {}

  private OwnerCommits() {}

  static Snapshot read(int managementPort) throws IOException, InterruptedException {
    String text =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Map<String, double[]> byGroup = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher series = SERIES.matcher(line.trim());
      if (!series.matches()) {
        continue;
      }
      Matcher group = GROUP.matcher(series.group(2));
      if (!group.find()) {
        continue;
      }
      double[] values = byGroup.computeIfAbsent(group.group(1), g -> new double[3]);
      double value = Double.parseDouble(series.group(3));
      switch (series.group(1)) {
        case "courier_ownership_commit_seconds_count" -> values[0] += value;
        case "courier_ownership_commit_seconds_sum" -> values[1] += value;
        default -> {
          if (series.group(2).contains("outcome=\"committed\"")) {
            values[2] += value;
          }
        }
      }
    }
    return new Snapshot(byGroup);
  }

  /** Markdown lines: per group, transactions/s, mean commit, writes per transaction. */
  static List<String> table(Snapshot before, Snapshot after, double seconds) {
    List<String> lines = new ArrayList<>();
    lines.add("| owner (group) | transactions/s | mean transaction | writes per transaction |");
    lines.add("|---|---|---|---|");
    after
        .byGroup()
        .forEach(
            (group, now) -> {
              double[] then = before.byGroup().getOrDefault(group, new double[3]);
              double commits = now[0] - then[0];
              if (commits <= 0) {
                return;
              }
              lines.add(
                  String.format(
                      Locale.ROOT,
                      "| %s | %.1f | %.1f ms | %.1f |",
                      group,
                      commits / seconds,
                      (now[1] - then[1]) * 1000 / commits,
                      (now[2] - then[2]) / commits));
            });
    return lines;
  }
}
