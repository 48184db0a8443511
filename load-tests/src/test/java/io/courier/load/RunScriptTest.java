package io.courier.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatling.javaapi.core.Simulation;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code load-tests/run.sh}'s arguments, without starting anything: what it accepts, what it
 * refuses (exit 2, with a message saying why), and that every command the READMEs, the testing
 * guide and CI give it is one it accepts. {@code RunScriptIT} runs it against a platform.
 */
@DisplayName("load-tests/run.sh's command line")
class RunScriptTest {

  /** Where the top-level README's load section moved (issue 22), with CI's load command. */
  private static final String TESTING_GUIDE = "docs/testing.md";

  @Test
  @Timeout(60)
  @DisplayName("lists exactly the Simulation classes of io.courier.load")
  void shouldListEverySimulationOfTheModule() throws Exception {
    RunScript.Result listed = RunScript.run(List.of("--list"));

    assertThat(listed.exitCode()).as(listed.output()).isZero();
    assertThat(listed.stdout().lines().toList())
        .containsExactlyInAnyOrderElementsOf(simulationClasses());
  }

  @Test
  @Timeout(60)
  @DisplayName("refuses an unknown simulation with exit 2, naming every valid one")
  void shouldRefuseAnUnknownSimulationNamingTheValidOnes() throws Exception {
    RunScript.Result refused = RunScript.run(List.of("PlaceOrder", "10", "5"));

    assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
    assertThat(refused.stderr()).contains("unknown simulation 'PlaceOrder'", "or all");
    assertThat(refused.stderr()).contains(simulationClasses());
  }

  @Test
  @Timeout(60)
  @DisplayName("asks for a simulation when given none")
  void shouldAskForASimulationWhenGivenNone() {
    RunScript.Result refused = RunScript.run(List.of());

    assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
    assertThat(refused.stderr()).contains("name a simulation", "PlaceOrderSimulation");
  }

  @ParameterizedTest(name = "rate ''{0}''")
  @ValueSource(strings = {"0", "-3", "ten", "1.5", "10s", "1234567"})
  @Timeout(60)
  @DisplayName("refuses a rate that is not a positive integer")
  void shouldRefuseARateThatIsNotAPositiveInteger(String rate) {
    RunScript.Result refused = RunScript.run(List.of("PlaceOrderSimulation", rate, "5"));

    assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
    assertThat(refused.stderr()).contains("RATE must be a positive integer, was '" + rate + "'");
  }

  @ParameterizedTest(name = "seconds ''{0}''")
  @ValueSource(strings = {"0", "-1", "five", "4000"})
  @Timeout(60)
  @DisplayName("refuses seconds that are not a positive integer up to an hour")
  void shouldRefuseSecondsThatAreNotAPositiveIntegerUpToAnHour(String seconds) {
    RunScript.Result refused = RunScript.run(List.of("PlaceOrderSimulation", "10", seconds));

    assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
    assertThat(refused.stderr()).containsPattern("SECONDS must be .*, was '" + seconds + "'");
  }

  @Test
  @Timeout(60)
  @DisplayName("refuses a target that is not on this machine's loopback")
  void shouldRefuseATargetOffLoopback() {
    RunScript.Result refused =
        RunScript.run(List.of("--url", "http://10.0.0.7:8080", "PlaceOrderSimulation"));

    assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
    assertThat(refused.stderr()).contains("--url must be", "'http://10.0.0.7:8080'");
  }

  @Test
  @Timeout(60)
  @DisplayName("passes on only -Dcourier.* properties after --")
  void shouldPassOnOnlyCourierProperties() {
    RunScript.Result refused = RunScript.run(List.of("PlaceOrderSimulation", "--", "-Xmx8g"));

    assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
    assertThat(refused.stderr()).contains("only -Dcourier.<property>=<value>", "'-Xmx8g'");
  }

  @Test
  @Timeout(60)
  @DisplayName("documents its arguments and exit codes in --help")
  void shouldDocumentItsExitCodes() {
    RunScript.Result help = RunScript.run(List.of("--help"));

    assertThat(help.exitCode()).as(help.output()).isZero();
    assertThat(help.stdout())
        .contains("SIMULATION|all [RATE] [SECONDS]", "--url URL", "Exit codes: 0", "1 an SLO")
        .contains("2 bad arguments", "3 the platform", "4 Gatling did not complete");
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "accepts every load-tests/run.sh command the READMEs and docs show, as written there")
  void shouldAcceptEveryCommandTheReadmesShow() {
    List<String> commands = new ArrayList<>();
    commands.addAll(RunScript.commandsIn(RunScript.ROOT.resolve("README.md")));
    commands.addAll(RunScript.commandsIn(RunScript.ROOT.resolve(TESTING_GUIDE)));
    commands.addAll(RunScript.commandsIn(RunScript.ROOT.resolve("load-tests/README.md")));
    assertThat(commands).isNotEmpty();

    for (String command : commands) {
      assertThat(command)
          .as("a README command this test can run without a shell")
          .doesNotContain("$", "\"", "'", "`");
      List<String> args = new ArrayList<>(Arrays.asList(command.split("\\s+")));
      args.set(0, "--dry-run");
      RunScript.Result checked = RunScript.run(args);
      assertThat(checked.exitCode()).as(command + "\n" + checked.output()).isZero();
      assertThat(checked.stdout()).as(command).startsWith("would run ");
    }
  }

  @Test
  @Timeout(60)
  @DisplayName("CI runs the load command the testing guide shows for it")
  void shouldRunInCiTheCommandTheReadmeShows() throws IOException {
    List<String> ci =
        Files.readAllLines(RunScript.ROOT.resolve(".ci/run"), StandardCharsets.UTF_8).stream()
            .map(String::strip)
            .filter(line -> line.startsWith(RunScript.SCRIPT + " "))
            .toList();

    assertThat(ci).as(".ci/run's load-tests/run.sh lines").hasSize(1);
    assertThat(RunScript.commandsIn(RunScript.ROOT.resolve(TESTING_GUIDE))).contains(ci.get(0));
    assertThat(ci.get(0)).startsWith(RunScript.SCRIPT + " all ");
  }

  /** The concrete Simulation classes compiled into this module's test classes. */
  private static List<String> simulationClasses() throws IOException, URISyntaxException {
    Path classes =
        Path.of(RunScriptTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("io/courier/load");
    try (Stream<Path> files = Files.list(classes)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> name.endsWith(".class") && !name.contains("$"))
          .map(name -> name.substring(0, name.length() - ".class".length()))
          .filter(RunScriptTest::isSimulation)
          .sorted()
          .toList();
    }
  }

  private static boolean isSimulation(String simpleName) {
    try {
      Class<?> type =
          Class.forName(
              "io.courier.load." + simpleName, false, RunScriptTest.class.getClassLoader());
      return Simulation.class.isAssignableFrom(type) && !Modifier.isAbstract(type.getModifiers());
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    }
  }
}
