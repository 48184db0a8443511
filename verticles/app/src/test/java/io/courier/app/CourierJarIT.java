package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The fat JAR as a user runs it: a child JVM started with {@code java -jar courier.jar run}. */
@DisplayName("The courier fat JAR")
class CourierJarIT {

  private static final Logger LOG = LoggerFactory.getLogger(CourierJarIT.class);
  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));
  private static final Path CONF =
      Path.of(System.getProperty("courier.conf.dir", "../../conf")).toAbsolutePath().normalize();

  @TempDir Path work;

  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (Process process : started) {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @Timeout(120)
  @DisplayName("boots the dev profile, turns ready, and on SIGTERM exits 0 and frees its ports")
  void shouldBootDevProfileAndStopCleanlyOnSigterm() throws Exception {
    int gatewayPort = freePort();
    int kafkaPort = freePort();
    int controllerPort = freePort();
    Child child = startDev(gatewayPort, kafkaPort, controllerPort);

    long begin = System.nanoTime();
    String banner = child.readyLine.get(60, TimeUnit.SECONDS);
    LOG.info(
        "dev profile: '{}' after {} ms; RSS {} kB",
        banner,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin),
        rssKb(child.process));
    assertThat(banner).startsWith("Courier is ready in");

    HttpResponse<String> ready = get("http://127.0.0.1:" + gatewayPort + "/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body())
        .contains("\"kafka-producer\"", "\"role:gateway\"", "\"outcome\":\"UP\"");
    assertThat(String.join("\n", child.stdout))
        .contains("curl -s http://127.0.0.1:" + gatewayPort + "/health/ready")
        .contains("curl -s -X POST http://127.0.0.1:" + gatewayPort + "/api/v1/orders")
        .contains("127.0.0.1:" + kafkaPort);

    child.process.destroy();
    assertThat(child.process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(child.process.exitValue()).isZero();
    assertThat(child.stderr).noneMatch(line -> line.contains("has been blocked for"));
    for (int port : new int[] {gatewayPort, kafkaPort, controllerPort}) {
      assertThat(canBind(port)).as("port %d is free again", port).isTrue();
    }
  }

  @Test
  @Timeout(60)
  @DisplayName("exits 2 naming the key and its origin when an override has the wrong type")
  void shouldExit2ForBadConfiguration() throws Exception {
    Child child =
        start(
            Map.of("COURIER_GATEWAY_PORT", "eighty"),
            "run",
            "--config",
            CONF.resolve("dev.json").toString());

    assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    child.drained.get(10, TimeUnit.SECONDS);

    assertThat(child.process.exitValue()).isEqualTo(2);
    assertThat(child.stderr)
        .contains(
            "courier: configuration error: key 'gateway.port' in environment variable"
                + " COURIER_GATEWAY_PORT must be a whole number, was 'eighty'");
  }

  @Test
  @Timeout(120)
  @DisplayName("exits 1 with one line naming the role that could not start")
  void shouldExit1NamingRoleThatFailed() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Child child = startDev(taken.getLocalPort(), freePort(), freePort());

      assertThat(child.process.waitFor(90, TimeUnit.SECONDS)).isTrue();
      child.drained.get(10, TimeUnit.SECONDS);

      assertThat(child.process.exitValue()).isEqualTo(1);
      assertThat(child.stderr)
          .anyMatch(line -> line.startsWith("courier: role 'gateway' failed to start: "));
    }
  }

  /** The dev profile on the given ports, with its broker's data in this test's directory. */
  private Child startDev(int gatewayPort, int kafkaPort, int controllerPort) throws IOException {
    return start(
        Map.of(
            "COURIER_GATEWAY_PORT", Integer.toString(gatewayPort),
            "COURIER_GATEWAY_GRPC_PORT", "0",
            "COURIER_KAFKA_EMBEDDED_PORT", Integer.toString(kafkaPort),
            "COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT", Integer.toString(controllerPort),
            "COURIER_KAFKA_EMBEDDED_DATA_DIR", work.resolve("kafka").toString()),
        "run",
        "--config",
        CONF.resolve("dev.json").toString());
  }

  private Child start(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(CONF.getParent().toFile());
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(name -> name.startsWith("COURIER_"));
    environment.putAll(env);
    Process process = builder.start();
    started.add(process);
    return new Child(process);
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long rssKb(Process process) {
    try {
      for (String line :
          java.nio.file.Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("no RSS for {}", process.pid(), e);
    }
    return -1;
  }

  private static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }

  private static boolean canBind(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A child process whose output is collected line by line. */
  private static final class Child {
    final Process process;
    final List<String> stdout = new CopyOnWriteArrayList<>();
    final List<String> stderr = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> readyLine = new CompletableFuture<>();
    final CompletableFuture<Void> drained;

    Child(Process process) {
      this.process = process;
      CompletableFuture<Void> out =
          pump(
              process.getInputStream(),
              line -> {
                stdout.add(line);
                if (line.startsWith("Courier is ready")) {
                  readyLine.complete(line);
                }
              });
      CompletableFuture<Void> err =
          pump(
              process.getErrorStream(),
              line -> {
                stderr.add(line);
                LOG.info("child: {}", line);
              });
      drained = CompletableFuture.allOf(out, err);
    }

    private static CompletableFuture<Void> pump(
        InputStream stream, java.util.function.Consumer<String> sink) {
      return CompletableFuture.runAsync(
          () -> {
            try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
              reader.lines().forEach(sink);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          },
          runnable -> {
            Thread thread = new Thread(runnable, "child-output");
            thread.setDaemon(true);
            thread.start();
          });
    }
  }
}
