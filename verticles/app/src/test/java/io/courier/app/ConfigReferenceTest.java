package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.app.Cli.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/configuration.md is what {@code courier config --reference} prints: the drift check. When it
 * fails, regenerate the file with the command in its first lines.
 */
@DisplayName("The configuration reference")
class ConfigReferenceTest {

  private static final Path REFERENCE = Path.of("../../docs/configuration.md");

  /** Printed once: every trial value of every number key is a configuration load. */
  private static Result printed;

  @BeforeAll
  @Timeout(120)
  static void print() {
    printed = Cli.courier("config", "--reference");
  }

  @Test
  @DisplayName("in docs/configuration.md is what config --reference prints now")
  void shouldMatchTheCode() throws Exception {
    assertThat(printed.exit()).as(printed.err()).isZero();
    assertThat(Files.readString(REFERENCE))
        .as(
            "docs/configuration.md is out of date; regenerate it: java -jar"
                + " verticles/app/target/courier.jar config --reference > docs/configuration.md")
        .isEqualTo(printed.out());
  }

  @Test
  @DisplayName("names every key with its variable, and what a number's checks take and refuse")
  void shouldDescribeEveryKey() {
    String reference = printed.out();

    assertThat(reference)
        .contains(
            "| `gateway.port` | `8080` | `COURIER_GATEWAY_PORT` | takes 0, 1; refuses -1, 65536 |")
        .contains(
            "| `security.production` | `false` | `COURIER_SECURITY_PRODUCTION` | true, false |")
        .contains("| `kafka.bootstrapServers` | (required) |")
        .contains("## kafka", "## gateway", "## security");
    long keys = reference.lines().filter(line -> line.startsWith("| `")).count();
    assertThat(keys).isGreaterThan(150);
  }
}
