package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("courier broker")
class BrokerCommandTest {

  private static final String THREE = "1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095";

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @TempDir Path dir;

  private int execute(String... args) {
    picocli.CommandLine cli = CourierMain.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  private int broker(String... options) {
    String[] args = new String[options.length + 3];
    args[0] = "broker";
    args[1] = "--data-dir";
    args[2] = dir.resolve("kafka").toString();
    System.arraycopy(options, 0, args, 3, options.length);
    return execute(args);
  }

  @Test
  @DisplayName("explains its cluster options with --help")
  void shouldExplainClusterOptions() {
    assertThat(execute("broker", "--help")).isZero();
    assertThat(out.toString())
        .startsWith("Usage: courier broker")
        .contains("--node-id", "--voters", "--cluster-id", "--controller-port", "majority");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--node-id|-1|--node-id must be 0 or more, was -1",
        "--voters|1@127.0.0.1|--voters is invalid: voters must be id@host:port",
        "--voters|1@127.0.0.1:9093;2@127.0.0.1:9094|--voters is invalid: voters must be id@host:port",
        "--voters|1@127.0.0.1:0|--voters is invalid: voters: the port of '1@127.0.0.1:0' must be"
            + " 1..65535",
        "--voters|1@127.0.0.1:9093,1@127.0.0.1:9094|--voters is invalid: voters name node 1 twice",
        "--voters|2@127.0.0.1:9094,3@127.0.0.1:9095|--node-id, --voters and --controller-port do"
            + " not fit together: voters must include this node (id 1)",
        "--voters|1@10.0.0.1:9093,2@127.0.0.1:9094|--node-id, --voters and --controller-port do"
            + " not fit together: voters must place this node (id 1) on 127.0.0.1",
        "--cluster-id|my-cluster|--cluster-id is invalid: clusterId must be a Kafka cluster id",
        "--port|0|--port must be 1..65535"
      })
  @DisplayName("refuses a bad option with exit code 2, saying which and why")
  void shouldRefuseBadOption(String option, String value, String message) {
    assertThat(broker(option, value)).isEqualTo(2);
    assertThat(err.toString()).startsWith("courier: " + message);
  }

  @Test
  @DisplayName("refuses a controller port that differs from this node's entry in --voters")
  void shouldRefuseControllerPortOtherThanVoters() {
    assertThat(broker("--node-id", "2", "--voters", THREE, "--controller-port", "19093"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("do not fit together: controllerPort 19093 differs from this node's port");
  }

  @Test
  @DisplayName("refuses a node id that is not a number, as picocli does for every option")
  void shouldRefuseNonNumericNodeId() {
    assertThat(broker("--node-id", "one")).isEqualTo(2);
    assertThat(err.toString()).contains("--node-id");
  }
}
