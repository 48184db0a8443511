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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
 * The README's three-member cluster on one machine, run as written: its commands are read from the
 * README (between the {@code readme-cluster} markers) and each is started with {@code bash -c} in a
 * directory laid out like the repository (its {@code conf/} and the built JAR), one after the
 * other, each waited for. Then the README's token command, and an order placed at every member's
 * gateway and read back at another; every member's order service records some of them, since each
 * owns some of the orders' partitions.
 */
@DisplayName("The README's three-member cluster")
class ReadmeClusterIT {

  private static final Logger LOG = LoggerFactory.getLogger(ReadmeClusterIT.class);
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final Pattern HEALTH = Pattern.compile("health\\s+(http://\\S+)/health/ready");
  private static final Pattern GATEWAY = Pattern.compile("^\\s+gateway\\s+(http://\\S+)$");

  @TempDir Path work;

  private final List<Process> started = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stopAll() throws InterruptedException {
    // Members first, the broker last: the reverse of the start.
    for (int i = started.size() - 1; i >= 0; i--) {
      Process process = started.get(i);
      process.destroy();
      if (!process.waitFor(40, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @Timeout(600)
  @DisplayName("starts as written, and every member places and serves orders")
  void shouldRunTheReadmeCluster() throws Exception {
    List<String> commands = readmeCommands();
    assertThat(commands).hasSize(4);
    assertThat(commands.get(0)).contains(" broker ");
    layOutRepository();

    List<ReadmeProcess> members = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) {
      ReadmeProcess one =
          start(commands.get(i), i == 0 ? "Kafka broker ready on" : "Stop with Ctrl-C");
      one.ready.get(180, TimeUnit.SECONDS);
      if (i > 0) {
        members.add(one);
      }
    }
    List<String> gateways = new ArrayList<>();
    List<String> metrics = new ArrayList<>();
    for (ReadmeProcess member : members) {
      gateways.add(find(member, GATEWAY));
      metrics.add(find(member, HEALTH) + "/metrics");
    }
    assertThat(gateways)
        .containsExactly("http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082");

    String token = run(readmeToken()).trim();
    assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    Map<String, String> placed = new LinkedHashMap<>();
    for (int i = 0; i < 18; i++) {
      String gateway = gateways.get(i % gateways.size());
      String key = "readme-cluster-" + i + "-" + System.nanoTime();
      String body =
          "{\"userId\":\"u1\",\"items\":[{\"sku\":\"sku-000" + (1 + i % 9) + "\",\"quantity\":1}]}";
      // As a client should: a 503 (partitions still settling between the members) is asked again
      // with the same key.
      AtomicReference<HttpResponse<String>> answer = new AtomicReference<>();
      FlowClient.awaitUntil(
          "order " + i + " accepted at " + gateway,
          Duration.ofSeconds(60),
          () -> {
            answer.set(post(gateway + "/api/v1/orders", token, key, body));
            return answer.get() != null && answer.get().statusCode() != 503;
          });
      assertThat(answer.get().statusCode()).as(gateway + ": " + answer.get().body()).isEqualTo(202);
      placed.put(new JsonObject(answer.get().body()).getString("orderId"), gateway);
    }
    FlowClient.awaitUntil(
        "every order read back at another member in a terminal state",
        Duration.ofSeconds(120),
        () -> placed.entrySet().stream().allMatch(e -> terminalElsewhere(e, gateways, token)));
    for (String url : metrics) {
      assertThat(recorded(url)).as("orders recorded by the owner at " + url).isPositive();
    }

    List<String> cli = readmeBlock("readme-cluster-cli");
    assertThat(cli).hasSize(2);
    String status = run(cli.get(0));
    assertThat(status).startsWith("3 member(s)");
    assertThat(status.lines().filter(l -> l.contains(" READY ") && l.contains("order-service")))
        .as("every member ready with the order service: " + status)
        .hasSize(3);
    JsonObject lag = new JsonObject(run(cli.get(1)));
    assertThat(lag.getJsonArray("members")).hasSize(3);
    assertThat(
            lag.getJsonArray("members").stream()
                .map(m -> ((JsonObject) m).getJsonObject("consumers")))
        .as("every member answered with its consumer groups")
        .allSatisfy(consumers -> assertThat(consumers.fieldNames()).contains("payment-service"));
  }

  /** The {@code java -jar} commands between the README's {@code <!-- name:start/end -->}. */
  private static List<String> readmeBlock(String name) throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int from = readme.indexOf("<!-- " + name + ":start -->");
    int to = readme.indexOf("<!-- " + name + ":end -->");
    assertThat(from).as("the README marks " + name).isPositive();
    return readme.substring(from, to).lines().filter(l -> l.contains("java -jar")).toList();
  }

  private HttpResponse<String> post(String url, String token, String key, String body) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create(url))
              .timeout(Duration.ofSeconds(30))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json")
              .header("Idempotency-Key", key)
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private boolean terminalElsewhere(
      Map.Entry<String, String> order, List<String> gateways, String token) {
    String other = gateways.get((gateways.indexOf(order.getValue()) + 1) % gateways.size());
    try {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(URI.create(other + "/api/v1/orders/" + order.getKey()))
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return answer.statusCode() == 200
          && !"PENDING".equals(new JsonObject(answer.body()).getString("status"));
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private double recorded(String metricsUrl) throws Exception {
    String body =
        http.send(
                HttpRequest.newBuilder(URI.create(metricsUrl)).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    double total = 0;
    for (String line : body.split("\n")) {
      if (line.startsWith("courier_order_placed_total")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  /** The commands of the README's cluster block, one per line. */
  private static List<String> readmeCommands() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int from = readme.indexOf("<!-- readme-cluster:start -->");
    int to = readme.indexOf("<!-- readme-cluster:end -->");
    assertThat(from).as("the README marks its cluster commands").isPositive();
    List<String> commands = new ArrayList<>();
    for (String line : readme.substring(from, to).split("\n")) {
      if (line.contains("java -jar")) {
        commands.add(line.trim());
      }
    }
    return commands;
  }

  /** The README's token command: the right-hand side of {@code TOKEN=$(...)}. */
  private static String readmeToken() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int at = readme.indexOf("<!-- readme-cluster:end -->");
    Matcher token = Pattern.compile("TOKEN=\\$\\((.+)\\)").matcher(readme.substring(at));
    assertThat(token.find()).as("the README's token command after the cluster").isTrue();
    return token.group(1);
  }

  /** A directory like the repository: the commands' relative paths resolve as they would there. */
  private void layOutRepository() throws IOException {
    Files.createSymbolicLink(work.resolve("conf"), ROOT.resolve("conf"));
    Path jar = ROOT.resolve("verticles/app/target/courier.jar");
    assertThat(jar).as("the fat JAR is built before this test (package phase)").exists();
    Files.createDirectories(work.resolve("verticles/app/target"));
    Files.createSymbolicLink(work.resolve("verticles/app/target/courier.jar"), jar);
  }

  private ReadmeProcess start(String command, String readyLine) throws IOException {
    ReadmeProcess one =
        ReadmeProcess.start(work, command, readyLine, Integer.toString(started.size()));
    started.add(one.process);
    return one;
  }

  /**
   * {@code command} as written, with {@code exec} put after its leading variable assignments
   * ({@code A=1 B=2 exec java ...}), so the process started is the command itself and stopping it
   * stops the member, not a shell around it.
   */
  static String execLast(String command) {
    String[] words = command.split(" ");
    int i = 0;
    while (i < words.length && words[i].matches("[A-Z_][A-Z0-9_]*=\\S*")) {
      i++;
    }
    List<String> out = new ArrayList<>(List.of(words).subList(0, i));
    out.add("exec");
    out.addAll(List.of(words).subList(i, words.length));
    return String.join(" ", out);
  }

  private static String find(ReadmeProcess member, Pattern pattern) {
    for (String line : member.lines) {
      Matcher found = pattern.matcher(line);
      if (found.find()) {
        return found.group(1);
      }
    }
    throw new AssertionError("not announced (" + pattern + "):\n" + member.tail());
  }

  /** Runs {@code command} in the repository-like directory; its standard output. */
  private String run(String command) throws Exception {
    Process process = new ProcessBuilder("bash", "-c", command).directory(work.toFile()).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(command).isZero();
    return out;
  }
}
