package io.courier.app.flow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka cluster of real KRaft nodes on 127.0.0.1, each {@code courier broker} in a child JVM of
 * the fat JAR, every node broker and controller of one static quorum. Node {@code n} (1-based)
 * keeps its data in {@code dir/node-n} and writes its stdout and stderr to {@code dir/node-n.log}
 * (appended across restarts). Its ports stay the same for its whole life, so a restarted node comes
 * back where its peers and clients expect it.
 *
 * <p>The nodes start together: a quorum needs a majority of its voters, so a node alone waits.
 */
final class KafkaCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);

  /** What {@code courier broker} prints once its broker is registered and serves. */
  private static final String READY = "Kafka broker ready on";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(150);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final int TAIL_LINES = 40;

  private final Path jar;
  private final Path dir;
  private final String clusterId = Uuid.randomUuid().toString();
  private final List<Member> members;
  private final String voters;
  private final Thread reaper = new Thread(this::killAll, "kafka-cluster-reaper");

  private KafkaCluster(Path jar, Path dir, int brokers) {
    this.jar = jar.toAbsolutePath();
    this.dir = dir.toAbsolutePath();
    this.members =
        IntStream.rangeClosed(1, brokers)
            .mapToObj(
                id ->
                    new Member(
                        id,
                        CourierProcess.freePort(),
                        CourierProcess.freePort(),
                        this.dir.resolve("node-" + id),
                        this.dir.resolve("node-" + id + ".log")))
            .toList();
    this.voters =
        members.stream()
            .map(m -> m.id + "@127.0.0.1:" + m.controllerPort)
            .collect(Collectors.joining(","));
  }

  /**
   * Starts {@code brokers} nodes of one KRaft cluster as child JVMs of the fat JAR ({@code courier
   * broker ...}), data under dir, all on 127.0.0.1 free ports; returns once every node serves and
   * the cluster reports all brokers.
   */
  static KafkaCluster start(Path jar, Path dir, int brokers) throws Exception {
    if (brokers < 1) {
      throw new IllegalArgumentException("a cluster needs 1 broker or more, not " + brokers);
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no fat JAR at "
              + jar.toAbsolutePath()
              + ": build it first (mvn package -DskipTests -pl verticles/app -am)");
    }
    Files.createDirectories(dir);
    KafkaCluster cluster = new KafkaCluster(jar, dir, brokers);
    Runtime.getRuntime().addShutdownHook(cluster.reaper);
    try {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      // All at once: each node's start waits for a majority of the quorum.
      for (Member member : cluster.members) {
        cluster.launch(member);
      }
      cluster.awaitServing(cluster.members, deadline);
      cluster.awaitBrokers(deadline);
      LOG.info(
          "Kafka cluster {} of {} brokers serving on {}",
          cluster.clusterId,
          brokers,
          cluster.bootstrapServers());
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** Every node, running or not, comma-separated. */
  String bootstrapServers() {
    return members.stream().map(m -> "127.0.0.1:" + m.port).collect(Collectors.joining(","));
  }

  int size() {
    return members.size();
  }

  /** kill -9 of node (1-based); waits until the process is gone. */
  void kill(int node) throws Exception {
    Member member = member(node);
    Process process = member.process;
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("Kafka node " + node + " is not running");
    }
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("Kafka node " + node + " still runs 30 s after kill -9");
    }
    LOG.info("Kafka node {} killed (exit {})", node, process.exitValue());
  }

  /** Starts node (1-based) again with the same data dir and ports; waits until it serves. */
  void restart(int node) throws Exception {
    Member member = member(node);
    if (running(node)) {
      throw new IllegalStateException("Kafka node " + node + " is still running");
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    launch(member);
    try {
      awaitServing(List.of(member), deadline);
      awaitBrokers(deadline);
    } catch (Exception | Error e) {
      stop(List.of(member));
      throw e;
    }
    LOG.info("Kafka node {} serves again on 127.0.0.1:{}", node, member.port);
  }

  boolean running(int node) {
    Process process = member(node).process;
    return process != null && process.isAlive();
  }

  /** Stops every node it started (SIGTERM to all at once, kill -9 after a minute) and waits. */
  @Override
  public void close() {
    stop(members);
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // the JVM is shutting down already; the reaper runs or ran
    }
  }

  private void stop(List<Member> which) {
    List<Process> alive =
        which.stream()
            .map(m -> m.process)
            .filter(p -> p != null && p.isAlive())
            .collect(Collectors.toList());
    // All at once: a node stopped last, after its peers, finds no quorum for its controlled
    // shutdown and waits that out (10 s).
    alive.forEach(Process::destroy);
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    for (Process process : alive) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        if (!process.waitFor(left, TimeUnit.NANOSECONDS)) {
          LOG.warn(
              "Kafka node pid {} ignored SIGTERM for {}; killing it", process.pid(), STOP_TIMEOUT);
          process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  private void killAll() {
    for (Member member : members) {
      if (member.process != null) {
        member.process.destroyForcibly();
      }
    }
  }

  private Member member(int node) {
    if (node < 1 || node > members.size()) {
      throw new IllegalArgumentException(
          "no Kafka node " + node + " in a cluster of " + members.size() + " (nodes are 1-based)");
    }
    return members.get(node - 1);
  }

  private void launch(Member member) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    // C1 only: three brokers JIT-compiling at once on two cores slow each other's start down.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(
        List.of(
            "broker",
            "--node-id",
            Integer.toString(member.id),
            "--port",
            Integer.toString(member.port),
            "--controller-port",
            Integer.toString(member.controllerPort),
            "--voters",
            voters,
            "--cluster-id",
            clusterId,
            "--data-dir",
            member.data.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(member.log.toFile()));
    builder.environment().keySet().removeIf(key -> key.startsWith("COURIER_"));
    member.logOffset = Files.exists(member.log) ? Files.size(member.log) : 0;
    member.process = builder.start();
    LOG.info(
        "Kafka node {} starting: pid {}, 127.0.0.1:{}, controller 127.0.0.1:{}, log {}",
        member.id,
        member.process.pid(),
        member.port,
        member.controllerPort,
        member.log);
  }

  /**
   * Until this launch of every one of the nodes printed that it serves; fails as soon as one of
   * them exits, or when the time is up, naming the node and showing the end of its log.
   */
  private void awaitServing(List<Member> starting, long deadline) throws Exception {
    List<Member> waiting = new ArrayList<>(starting);
    while (true) {
      for (Iterator<Member> it = waiting.iterator(); it.hasNext(); ) {
        Member member = it.next();
        if (output(member).lines().anyMatch(line -> line.startsWith(READY))) {
          it.remove();
        } else if (!member.process.isAlive()) {
          throw new IllegalStateException(
              "Kafka node "
                  + member.id
                  + " exited with "
                  + member.process.exitValue()
                  + " before it served; "
                  + tail(member));
        }
      }
      if (waiting.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        Member first = waiting.get(0);
        throw new IllegalStateException(
            "Kafka node "
                + first.id
                + " did not serve within "
                + START_TIMEOUT
                + (waiting.size() > 1
                    ? " (nor did nodes " + waiting.stream().skip(1).map(m -> m.id).toList() + ")"
                    : "")
                + "; "
                + tail(first));
      }
      // The pause between looks; ends early when that node exits.
      waiting.get(0).process.waitFor(200, TimeUnit.MILLISECONDS);
    }
  }

  /** Until the running nodes agree that every one of them is a broker of the cluster. */
  private void awaitBrokers(long deadline) throws Exception {
    Set<Integer> expected =
        members.stream()
            .filter(m -> m.process != null && m.process.isAlive())
            .map(m -> m.id)
            .collect(Collectors.toSet());
    Set<Integer> seen = Set.of();
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                5000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                10000))) {
      while (System.nanoTime() < deadline) {
        try {
          seen =
              admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                  .map(Node::id)
                  .collect(Collectors.toSet());
          if (seen.containsAll(expected)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          LOG.debug("Kafka cluster not described yet: {}", e.toString());
        }
        pause(Duration.ofMillis(200));
      }
    }
    throw new IllegalStateException(
        "Kafka cluster reports brokers "
            + seen
            + ", not all of "
            + expected
            + " within "
            + START_TIMEOUT);
  }

  private static String output(Member member) throws IOException {
    if (!Files.exists(member.log)) {
      return "";
    }
    byte[] all = Files.readAllBytes(member.log);
    int from = (int) Math.min(member.logOffset, all.length);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }

  private static String tail(Member member) {
    try {
      List<String> lines = Arrays.asList(output(member).split("\n", -1));
      List<String> last = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
      return "last lines of " + member.log + ":\n" + String.join("\n", last);
    } catch (IOException e) {
      return "cannot read " + member.log + ": " + e;
    }
  }

  private static void pause(Duration duration) {
    CompletableFuture.runAsync(
            () -> {}, CompletableFuture.delayedExecutor(duration.toMillis(), TimeUnit.MILLISECONDS))
        .join();
  }

  /** One node: fixed ports and paths, and its current process (null before the first launch). */
  private static final class Member {
    final int id;
    final int port;
    final int controllerPort;
    final Path data;
    final Path log;
    volatile Process process;

    /** Where this launch's output begins in the (appended) log. */
    volatile long logOffset;

    Member(int id, int port, int controllerPort, Path data, Path log) {
      this.id = id;
      this.port = port;
      this.controllerPort = controllerPort;
      this.data = data;
      this.log = log;
    }
  }
}
