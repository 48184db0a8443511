package io.courier.app.flow;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One {@code java -jar courier.jar run} child process, its output collected and logged. */
final class CourierProcess {

  private static final Logger LOG = LoggerFactory.getLogger(CourierProcess.class);

  final String name;
  final Process process;
  final List<String> stderr = new CopyOnWriteArrayList<>();

  /** Every line, stdout and stderr, in arrival order. */
  final List<String> output = new CopyOnWriteArrayList<>();

  final CompletableFuture<String> ready = new CompletableFuture<>();
  private final List<Thread> pumps = new CopyOnWriteArrayList<>();

  /** The line prefix that says the process is ready. */
  private final String readyMarker;

  private CourierProcess(String name, Process process, String readyMarker) {
    this.name = name;
    this.process = process;
    this.readyMarker = readyMarker;
    pump(process.getInputStream(), false);
    pump(process.getErrorStream(), true);
    process
        .onExit()
        .thenRun(
            () ->
                ready.completeExceptionally(
                    new IllegalStateException(name + " exited with " + process.exitValue())));
  }

  /**
   * The environment every member of a loopback test cluster shares: cluster name and the three
   * members, Kafka, the policy and seed files, fixed gRPC ports for the user and inventory
   * services, a fast simulated provider and short retry delays.
   */
  static Map<String, String> clusterEnv(
      String clusterName, int[] hazelcastPorts, String bootstrapServers, FlowSeeds seeds)
      throws IOException {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("COURIER_CLUSTER_NAME", clusterName);
    env.put(
        "COURIER_CLUSTER_MEMBERS",
        java.util.Arrays.stream(hazelcastPorts)
            .mapToObj(p -> "127.0.0.1:" + p)
            .collect(java.util.stream.Collectors.joining(",")));
    env.put("COURIER_KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
    env.put(
        "COURIER_RESILIENCE_POLICY_FILE",
        Path.of("../../conf/resilience.json").toAbsolutePath().normalize().toString());
    env.put("COURIER_SERVICES_USER_SEED_FILE", seeds.users().toString());
    env.put("COURIER_SERVICES_INVENTORY_SEED_FILE", seeds.inventory().toString());
    env.put("COURIER_SERVICES_USER_GRPC_PORT", Integer.toString(freePort()));
    env.put("COURIER_SERVICES_INVENTORY_GRPC_PORT", Integer.toString(freePort()));
    env.put("COURIER_SERVICES_PAYMENT_PROVIDER_LATENCY_MS", "5");
    env.put("COURIER_GATEWAY_GRPC_PORT", "0");
    env.put("COURIER_KAFKA_CONSUMER_RETRY_DELAY_MS", "500");
    env.put("COURIER_GATEWAY_AUTH_DEV_KEY_DIR", keyDir(seeds).toString());
    return env;
  }

  /** The development signing key directory of a test cluster (beside its seed files). */
  static Path keyDir(FlowSeeds seeds) {
    return seeds.users().toAbsolutePath().getParent().resolve("keys");
  }

  /** A port free on 127.0.0.1 right now. */
  static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }

  static CourierProcess start(
      String name, Path jar, Path workDir, Path config, Map<String, String> env)
      throws IOException {
    return launch(
        name, jar, workDir, env, "Courier is ready", List.of("run", "--config", config.toString()));
  }

  /**
   * {@code courier broker}: a single-node KRaft broker in a JVM of its own, keeping its data in
   * {@code dataDir} across restarts, ready once it prints so.
   */
  static CourierProcess startBroker(
      String name, Path jar, Path workDir, int port, int controllerPort, Path dataDir)
      throws IOException {
    return launch(
        name,
        jar,
        workDir,
        Map.of(),
        "Kafka broker ready on",
        List.of(
            "broker",
            "--port",
            Integer.toString(port),
            "--controller-port",
            Integer.toString(controllerPort),
            "--data-dir",
            dataDir.toString()));
  }

  private static CourierProcess launch(
      String name,
      Path jar,
      Path workDir,
      Map<String, String> env,
      String readyMarker,
      List<String> arguments)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    command.addAll(arguments);
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    // Only what the test sets: none of the developer's own Courier or OpenTelemetry settings.
    builder
        .environment()
        .keySet()
        .removeIf(key -> key.startsWith("COURIER_") || key.startsWith("OTEL_"));
    builder.environment().putAll(env);
    return new CourierProcess(name, builder.start(), readyMarker);
  }

  String awaitReady(long seconds) throws Exception {
    return ready.get(seconds, TimeUnit.SECONDS);
  }

  /**
   * Waits for the process to exit and for its last output lines to be read.
   *
   * @return false if it is still running after {@code seconds}
   */
  boolean awaitExit(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      return false;
    }
    for (Thread pump : pumps) {
      pump.join(TimeUnit.SECONDS.toMillis(10));
    }
    return true;
  }

  /**
   * SIGTERM, leaving the output streams open so the drain's log can still be read ({@link
   * Process#destroy()} closes them).
   */
  void terminate() {
    process.toHandle().destroy();
  }

  /** kill -9. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, and wait for the drain. */
  void stop() throws InterruptedException {
    if (process.isAlive()) {
      terminate();
      if (!process.waitFor(40, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Warnings, errors, stack traces and the process's own announcements go to the test's log at
   * INFO; routine lines (a notification per order, ...) at DEBUG: a chaos run's children write
   * hundreds of thousands of them, and every line is still kept in {@link #output}.
   */
  private static boolean worthShowing(String line) {
    return !line.contains(" INFO ") && !line.contains(" DEBUG ") && !line.contains(" TRACE ");
  }

  private void pump(java.io.InputStream stream, boolean isErr) {
    Thread thread =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  if (line.startsWith(readyMarker)) {
                    ready.complete(line);
                  }
                  output.add(line);
                  if (isErr) {
                    stderr.add(line);
                  }
                  if (worthShowing(line)) {
                    LOG.info("[{}] {}", name, line);
                  } else {
                    LOG.debug("[{}] {}", name, line);
                  }
                }
              } catch (IOException e) {
                LOG.debug("{} output closed", name);
              }
            },
            name + "-output");
    thread.setDaemon(true);
    pumps.add(thread);
    thread.start();
  }
}
