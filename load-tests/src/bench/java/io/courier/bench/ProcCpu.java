package io.courier.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CPU time of one process by thread group, from {@code /proc/<pid>/task/*}/stat (utime + stime),
 * grouped by the names the JVM gives its threads exactly as {@code load-tests/proc-cpu.py} groups
 * them: Vert.x event loops, workers, Kafka clients, Hazelcast, the JIT compilers, the garbage
 * collector, everything else. A thread that ended between two snapshots counts up to the first.
 */
final class ProcCpu {

  /** Ticks per second of {@code /proc} times: USER_HZ, 100 on every Linux this runs on. */
  private static final double TICKS_PER_SECOND = 100.0;

  private record Group(String name, Pattern pattern) {}

  private static final List<Group> GROUPS =
      List.of(
          new Group("event loops", Pattern.compile("^vert\\.x-eventloo")),
          new Group("workers", Pattern.compile("^vert\\.x-(worker|internal|virtual)")),
          new Group(
              "kafka clients",
              Pattern.compile(
                  "^(kafka-producer|kafka-coordinat|kafka-admin|kafka-consumer|courier-consum"
                      + "|courier-owner|courier-publis)")),
          // The embedded broker's threads (the kernel keeps 15 characters of each name).
          new Group(
              "kafka broker",
              Pattern.compile(
                  "^(data-plane|broker-|controller|kafka-|raft|quorum|ReplicaFetcher"
                      + "|ExpirationRea|group-coordina|share-|LogDirFailure|TxnMarker)")),
          new Group("hazelcast", Pattern.compile("^hz\\.")),
          new Group("jit", Pattern.compile("^C[12] CompilerThre")),
          new Group("gc", Pattern.compile("^(GC Thread|G1 |VM Thread|VM Periodic)")));

  /** Group names in report order, "other" last. */
  static final List<String> GROUP_NAMES =
      List.of(
          "event loops",
          "workers",
          "kafka clients",
          "kafka broker",
          "hazelcast",
          "jit",
          "gc",
          "other");

  /** Every thread's CPU ticks at one moment: thread id to (name, ticks). */
  record Snapshot(Map<String, Map.Entry<String, Long>> threads) {

    /** Seconds of CPU by group since {@code before}. */
    Map<String, Double> secondsSince(Snapshot before) {
      Map<String, Double> seconds = new LinkedHashMap<>();
      GROUP_NAMES.forEach(group -> seconds.put(group, 0.0));
      threads.forEach(
          (tid, thread) -> {
            Map.Entry<String, Long> old = before.threads().get(tid);
            long used = thread.getValue() - (old == null ? 0 : old.getValue());
            seconds.merge(groupOf(thread.getKey()), used / TICKS_PER_SECOND, Double::sum);
          });
      return seconds;
    }

    /** The {@code n} threads that used the most CPU since {@code before}, "name: seconds". */
    List<String> busiestSince(Snapshot before, int n) {
      Map<String, Double> byName = new HashMap<>();
      threads.forEach(
          (tid, thread) -> {
            Map.Entry<String, Long> old = before.threads().get(tid);
            long used = thread.getValue() - (old == null ? 0 : old.getValue());
            byName.merge(thread.getKey(), used / TICKS_PER_SECOND, Double::sum);
          });
      return byName.entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .limit(n)
          .map(e -> String.format(java.util.Locale.ROOT, "%s: %.2f s", e.getKey(), e.getValue()))
          .toList();
    }
  }

  private ProcCpu() {}

  static Snapshot snapshot(long pid) {
    Map<String, Map.Entry<String, Long>> threads = new HashMap<>();
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended while the tasks were listed
        }
        // The name sits between the first '(' and the last ')', and may hold either itself.
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        threads.put(task.getFileName().toString(), Map.entry(name, ticks));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/task: " + e.getMessage(), e);
    }
    return new Snapshot(threads);
  }

  static String groupOf(String threadName) {
    for (Group group : GROUPS) {
      if (group.pattern().matcher(threadName).find()) {
        return group.name();
      }
    }
    return "other";
  }

  /** The 1-, 5- and 15-minute load averages, as {@code /proc/loadavg} gives them. */
  static double[] loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return new double[] {
        Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2])
      };
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/loadavg", e);
    }
  }
}
