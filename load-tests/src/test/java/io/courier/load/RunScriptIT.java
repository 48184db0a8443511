package io.courier.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code load-tests/run.sh} against real platforms: the fat JAR's dev profile started here (a real
 * embedded broker, real HTTP, all on 127.0.0.1), targeted with {@code --url}, and one the script
 * starts itself and that cannot start. The passing run of every simulation against a platform the
 * script starts is CI's own step ({@code .ci/run}); this proves the other ends: an SLO that fails
 * gives exit 1 and its report, a token that cannot act for every user or is signed with another key
 * is refused before any load (exit 3), and a platform that dies at start gives exit 3 with its
 * log's tail.
 */
@DisplayName("load-tests/run.sh against a platform")
class RunScriptIT {

  private static final Path JAR =
      RunScript.ROOT.resolve(System.getProperty("courier.jar", "verticles/app/target/courier.jar"));
  private static final Pattern GATEWAY = Pattern.compile("(?m)^  gateway +(http://127\\S+)$");
  private static final Pattern GRPC = Pattern.compile("(?m)^  gateway \\(gRPC\\) +(127\\S+)$");

  @TempDir static Path work;

  private static Process platform;
  private static Path platformLog;
  private static String gatewayUrl;
  private static String grpcUrl;

  @BeforeAll
  static void startPlatform() throws Exception {
    assertThat(JAR).as("the fat JAR; build it first: mvn -B -q -DskipTests package").exists();
    platformLog = work.resolve("courier.log");
    ProcessBuilder builder =
        new ProcessBuilder("java", "-jar", JAR.toString(), "run", "--config", "conf/dev.json")
            .directory(RunScript.ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(platformLog.toFile());
    builder.environment().putAll(platformEnv());
    platform = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String banner = "";
    while (System.nanoTime() < deadline && platform.isAlive()) {
      banner = Files.readString(platformLog, StandardCharsets.UTF_8);
      if (banner.contains("Stop with Ctrl-C")) {
        break;
      }
      // Waits up to 200 ms for the next look, returning at once if the platform dies.
      platform.waitFor(200, TimeUnit.MILLISECONDS);
    }
    assertThat(banner).as("the platform's log").contains("Courier is ready", "Stop with Ctrl-C");
    gatewayUrl = group(GATEWAY, banner);
    grpcUrl = "http://" + group(GRPC, banner);
  }

  @AfterAll
  static void stopPlatform() throws InterruptedException {
    if (platform != null && platform.isAlive()) {
      platform.destroy();
      if (!platform.waitFor(30, TimeUnit.SECONDS)) {
        platform.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @Timeout(400)
  @DisplayName("exits 1 and names the report when an SLO assertion fails")
  void shouldExitOneWithTheReportWhenAnSloAssertionFails() throws IOException {
    RunScript.Result run =
        RunScript.run(
            Duration.ofSeconds(360),
            scriptEnv(Map.of()),
            List.of(
                "--url",
                gatewayUrl,
                "--grpc-url",
                grpcUrl,
                "PlaceOrderSimulation",
                "2",
                "1",
                "--",
                "-Dcourier.p99Ms=1"));

    assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
    assertThat(run.stdout())
        .as(run.output())
        .containsPattern("PlaceOrderSimulation +[1-9][0-9]* +[1-9][0-9]* +0 +[0-9]+ +SLO FAILED")
        .contains("failed SLO assertions:")
        .contains("99th percentile of response time is less than 1.0 : false");
    Matcher report =
        Pattern.compile("report: (load-tests/target/gatling/placeordersimulation-\\d+/index.html)")
            .matcher(run.stdout());
    assertThat(report.find()).as(run.output()).isTrue();
    assertThat(RunScript.ROOT.resolve(report.group(1))).isNotEmptyFile();
    assertThat(platform.isAlive()).as("a platform run.sh did not start is left running").isTrue();
  }

  @Test
  @Timeout(120)
  @DisplayName("refuses a user's own token before any load: the simulations act for every user")
  void shouldRefuseATokenThatCannotActForEveryUser() throws Exception {
    String userToken = mint("u1", "orders:write,orders:read");

    RunScript.Result run =
        RunScript.run(
            Duration.ofSeconds(60),
            scriptEnv(Map.of()),
            List.of("--url", gatewayUrl, "--token", userToken, "PlaceOrderSimulation", "5", "5"));

    assertThat(run.exitCode()).as(run.output()).isEqualTo(3);
    assertThat(run.stderr()).contains("GET /api/v1/users/u2: 403", "need scope admin");
    assertThat(run.stdout()).doesNotContain("Simulation io.courier.load");
  }

  @Test
  @Timeout(120)
  @DisplayName("refuses a token signed with another key than the platform's, saying which key")
  void shouldRefuseATokenSignedWithAnotherKey() {
    RunScript.Result run =
        RunScript.run(
            Duration.ofSeconds(60),
            scriptEnv(Map.of("COURIER_GATEWAY_AUTH_DEV_KEY_DIR", work.resolve("other").toString())),
            List.of("--url", gatewayUrl, "PlaceOrderSimulation", "5", "5"));

    assertThat(run.exitCode()).as(run.output()).isEqualTo(3);
    assertThat(run.stderr())
        .contains("refused the token (401)", "COURIER_GATEWAY_AUTH_DEV_KEY_DIR");
  }

  @Test
  @Timeout(120)
  @DisplayName("exits 3 with the log's tail when the platform it starts exits before it is ready")
  void shouldExitThreeWithTheLogTailWhenThePlatformCannotStart() {
    RunScript.Result run =
        RunScript.run(
            Duration.ofSeconds(90),
            scriptEnv(Map.of("COURIER_NO_SUCH_KEY", "1")),
            List.of("HealthSimulation", "1", "1"));

    assertThat(run.exitCode()).as(run.output()).isEqualTo(3);
    assertThat(run.stderr())
        .contains("exited with code 2 before it was ready")
        .contains("unknown environment variable COURIER_NO_SUCH_KEY");
  }

  /** The dev profile on free ports with its data and key in this test's directory. */
  private static Map<String, String> platformEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("COURIER_KAFKA_EMBEDDED_PORT", "0");
    env.put("COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT", "0");
    env.put("COURIER_KAFKA_EMBEDDED_DATA_DIR", work.resolve("kafka").toString());
    env.put("COURIER_GATEWAY_PORT", "0");
    env.put("COURIER_GATEWAY_GRPC_PORT", "0");
    env.put("COURIER_MANAGEMENT_PORT", "0");
    env.put("COURIER_ADMIN_PORT", "0");
    env.put("COURIER_GATEWAY_AUTH_DEV_KEY_DIR", work.resolve("keys").toString());
    return env;
  }

  /**
   * The script's environment: the platform's key directory (so a token it mints is trusted), this
   * build's Maven repository for the Gatling run, and {@code extra}.
   */
  private static Map<String, String> scriptEnv(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("COURIER_GATEWAY_AUTH_DEV_KEY_DIR", work.resolve("keys").toString());
    String repository = System.getProperty("courier.maven.repo.local", "");
    if (!repository.isBlank()) {
      String options = System.getenv().getOrDefault("MAVEN_OPTS", "");
      env.put("MAVEN_OPTS", (options + " -Dmaven.repo.local=" + repository).strip());
    }
    env.putAll(extra);
    return env;
  }

  private static String mint(String subject, String scopes) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                "java",
                "-jar",
                JAR.toString(),
                "token",
                "--config",
                "conf/dev.json",
                "--roles",
                "gateway",
                "--sub",
                subject,
                "--scope",
                scopes)
            .directory(RunScript.ROOT.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().putAll(platformEnv());
    Process process = builder.start();
    String token = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    return token.strip();
  }

  private static String group(Pattern pattern, String text) {
    Matcher matcher = pattern.matcher(text);
    assertThat(matcher.find()).as(pattern + " in\n" + text).isTrue();
    return matcher.group(1);
  }
}
