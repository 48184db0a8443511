package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The README's five-minute tour, run as written: its commands are read from the README (between the
 * {@code readme-tour} markers) and run with {@code bash -c} in a directory laid out like the
 * repository (its {@code conf/} and the built JAR). The platform is started with the tour's second
 * start command (the first one's {@code java -jar} part with fault injection and a fixed admin
 * port); an order placed with the tour's token is confirmed, {@code courier tail} shows its events,
 * the platform's log carries the tour's trace id, and with the payment provider failing an order
 * stays PENDING until the fault is lifted, then is confirmed. kcat runs only where it is installed.
 */
@DisplayName("The README's five-minute tour")
class ReadmeTourIT {

  private static final Logger LOG = LoggerFactory.getLogger(ReadmeTourIT.class);
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final String GATEWAY = "http://127.0.0.1:8080";
  private static final Pattern ASSIGNMENT = Pattern.compile("^[A-Z_][A-Z0-9_]*=.*");
  private static final Pattern TRACEPARENT =
      Pattern.compile("traceparent: 00-([0-9a-f]{32})-[0-9a-f]{16}-01");

  @TempDir Path work;

  private Process platform;
  private List<String> platformLines = new CopyOnWriteArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() throws InterruptedException {
    if (platform != null) {
      platform.destroy();
      if (!platform.waitFor(40, TimeUnit.SECONDS)) {
        platform.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @Timeout(420)
  @DisplayName("runs as written: an order, its events, its trace id, a failure and its recovery")
  void shouldRunTheTour() throws Exception {
    List<List<String>> blocks = tourBlocks();
    assertThat(blocks).as("the tour's bash blocks").hasSize(5);
    List<String> order = blocks.get(0);
    List<String> events = blocks.get(1);
    List<String> fault = blocks.get(3);
    assertThat(blocks.get(2)).hasSize(1);
    String start = blocks.get(2).get(0);
    assertThat(start)
        .as("the tour restarts with the README's first command, fault injection on")
        .endsWith(firstRunCommand())
        .contains("COURIER_ADMIN_FAULT_INJECTION=true", "COURIER_ADMIN_PORT=8559");
    layOutRepository();

    startPlatform(start).get(180, TimeUnit.SECONDS);

    // An order with a token.
    String placed = shell(String.join("\n", order) + "\necho; echo \"ORDER=$ORDER\"");
    String first = orderId(placed);
    String token = shell(assignments(order, "TOKEN") + "\necho \"$TOKEN\"").trim();
    FlowClient.awaitUntil(
        "the tour's order CONFIRMED",
        Duration.ofSeconds(60),
        () -> "CONFIRMED".equals(status(first, token)));

    // Its events.
    for (String line : events) {
      if (line.startsWith("kcat ") && !onPath("kcat")) {
        LOG.info("kcat is not installed here; not run: {}", line);
        continue;
      }
      String out = shell(line);
      if (line.contains(" tail ")) {
        assertThat(out)
            .contains("courier.v1.OrderPlaced key=" + first)
            .contains("courier.v1.OrderConfirmed key=" + first);
      }
    }

    // The trace id in the logs.
    Matcher trace = TRACEPARENT.matcher(String.join("\n", order));
    assertThat(trace.find()).as("the tour's traceparent").isTrue();
    FlowClient.awaitUntil(
        "the notification logged with the tour's trace id",
        Duration.ofSeconds(30),
        () ->
            platformLines.stream()
                .anyMatch(l -> l.contains("trace=" + trace.group(1)) && l.contains("confirmed")));

    // A failure and its recovery.
    int lift = indexOf(fault, "-X DELETE");
    String setUp = assignments(order, "TOKEN", "AUTH");
    String failing =
        shell(
            setUp
                + "\n"
                + String.join("\n", fault.subList(0, lift))
                + "\necho; echo \"ORDER=$ORDER\"");
    String second = orderId(failing);
    assertThat(second).isNotEqualTo(first);
    FlowClient.awaitUntil(
        "the payment waiting for the provider",
        Duration.ofSeconds(30),
        () -> platformLines.stream().anyMatch(l -> l.contains("waits for a dependency")));
    // Parked on a failed charge, with the fault still on: nothing can confirm it meanwhile.
    assertThat(status(second, token)).as("the order while the provider fails").isEqualTo("PENDING");
    shell(
        setUp
            + "\n"
            + assignments(fault, "ORDER")
            + "\n"
            + String.join("\n", fault.subList(lift, fault.size())));
    FlowClient.awaitUntil(
        "the order CONFIRMED once the fault is lifted",
        Duration.ofSeconds(90),
        () -> "CONFIRMED".equals(status(second, token)));

    // More ways in: a form, an import, the order's events, an unknown version, a degraded order,
    // the proxy's admission limit.
    List<String> more = blocks.get(4);
    String with = setUp + "\n" + assignments(fault, "ORDER") + "\n";
    assertThat(shell(with + more.get(0))).as("the form order").contains("\"orderId\"");
    assertThat(shell(with + more.get(1) + "\n" + more.get(2)))
        .as("the import, one result per line")
        .contains("\"lines\":3", "\"placed\":2", "\"failed\":0");
    assertThat(shell(with + more.get(3)))
        .as("the order's events, ending at its final state")
        .contains("CONFIRMED");
    assertThat(shell(with + more.get(4))).as("an unknown version").contains("version-unavailable");
    // u1's profile was read a moment ago: with the user service failing, the order still goes in.
    assertThat(shell(with + more.get(5) + "\n" + more.get(6) + "\n" + more.get(7)))
        .as("an order while the user service fails")
        .containsIgnoringCase("courier-degraded: user-service");
    assertThat(shell(with + more.get(8)))
        .as("the proxy's bulkhead for the order service")
        .containsPattern("\"running\" : \\d+")
        .containsPattern("\"limit\" : \\d+");
    assertThat(shell(with + more.get(9))).as("a read with a deadline").contains("CONFIRMED");
    assertThat(shell(with + more.get(10)))
        .as("gRPC health of the gateway's gRPC port, without a token: SERVING")
        .contains("00 00 00 00 02 08 01");
  }

  /** The bash blocks between the README's tour markers, continuation lines joined, no comments. */
  private static List<List<String>> tourBlocks() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int from = readme.indexOf("<!-- readme-tour:start -->");
    int to = readme.indexOf("<!-- readme-tour:end -->");
    assertThat(from).as("the README marks its tour").isPositive();
    List<List<String>> blocks = new ArrayList<>();
    List<String> block = null;
    StringBuilder pending = new StringBuilder();
    for (String line : readme.substring(from, to).split("\n")) {
      if (line.startsWith("```")) {
        if (block != null) {
          blocks.add(block);
          block = null;
        } else if (line.equals("```bash")) {
          block = new ArrayList<>();
        }
        continue;
      }
      if (block == null || line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1);
        continue;
      }
      block.add(pending.append(line).toString().replaceAll("\\s+", " ").trim());
      pending.setLength(0);
    }
    return blocks;
  }

  /** The {@code java -jar} part of the README's first command. */
  private static String firstRunCommand() throws IOException {
    String first =
        Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8).stream()
            .filter(l -> l.startsWith("mvn ") && l.contains("java -jar"))
            .findFirst()
            .orElseThrow();
    return first.substring(first.indexOf("java -jar"));
  }

  /** The lines of {@code block} assigning the named variables, in their order. */
  private static String assignments(List<String> block, String... names) {
    List<String> out = new ArrayList<>();
    for (String line : block) {
      for (String name : names) {
        if (ASSIGNMENT.matcher(line).matches() && line.startsWith(name + "=")) {
          out.add(line);
        }
      }
    }
    assertThat(out).as("assignments of " + List.of(names)).hasSize(names.length);
    return String.join("\n", out);
  }

  private static int indexOf(List<String> block, String part) {
    for (int i = 0; i < block.size(); i++) {
      if (block.get(i).contains(part)) {
        return i;
      }
    }
    throw new AssertionError("no line with " + part + " in " + block);
  }

  private static String orderId(String shellOutput) {
    Matcher id = Pattern.compile("(?m)^ORDER=([0-9a-f-]{36})$").matcher(shellOutput);
    assertThat(id.find()).as("an order id in:\n" + shellOutput).isTrue();
    return id.group(1);
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private String status(String orderId, String token) {
    try {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(URI.create(GATEWAY + "/api/v1/orders/" + orderId))
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return answer.statusCode() == 200
          ? new JsonObject(answer.body()).getString("status")
          : "HTTP " + answer.statusCode();
    } catch (IOException e) {
      return e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e.toString();
    }
  }

  /** A directory like the repository: the commands' relative paths resolve as they would there. */
  private void layOutRepository() throws IOException {
    Files.createSymbolicLink(work.resolve("conf"), ROOT.resolve("conf"));
    Path jar = ROOT.resolve("verticles/app/target/courier.jar");
    assertThat(jar).as("the fat JAR is built before this test (package phase)").exists();
    Files.createDirectories(work.resolve("verticles/app/target"));
    Files.createSymbolicLink(work.resolve("verticles/app/target/courier.jar"), jar);
  }

  private CompletableFuture<Void> startPlatform(String command) throws IOException {
    ReadmeProcess started = ReadmeProcess.start(work, command, "Stop with Ctrl-C", "platform");
    platform = started.process;
    platformLines = started.lines;
    return started.ready;
  }

  private String tail() {
    return String.join(
        "\n", platformLines.subList(Math.max(0, platformLines.size() - 30), platformLines.size()));
  }

  /** Runs {@code script} with {@code bash -e} in the repository-like directory; its output. */
  private String shell(String script) throws Exception {
    LOG.info("$ {}", script);
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-e", "-c", script)
            .directory(work.toFile())
            .redirectErrorStream(true);
    builder.environment().keySet().removeIf(key -> key.startsWith("COURIER_"));
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(script + "\n" + out).isZero();
    LOG.info("{}", out);
    return out;
  }
}
