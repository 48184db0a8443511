package io.courier.app;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code courier broker}: a standalone single-node KRaft broker on 127.0.0.1, the one the dev
 * profile embeds, in a process of its own, for a local cluster ({@code conf/cluster.json} expects
 * Kafka on 127.0.0.1:9092) or a chaos test that stops and starts Kafka. It keeps its data in {@code
 * --data-dir} across restarts and stops cleanly on SIGTERM or Ctrl-C. Not for production.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description =
        "Run a single-node Kafka broker (KRaft) on 127.0.0.1 until stopped: `courier broker"
            + " --port 9092 --data-dir .courier/data/kafka`.")
final class BrokerCommand implements Callable<Integer> {

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "The PLAINTEXT listener's port. Default: ${DEFAULT-VALUE}")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "0",
      description = "The KRaft controller's port; 0 picks a free one. Default: ${DEFAULT-VALUE}")
  int controllerPort;

  @Option(
      names = "--data-dir",
      defaultValue = ".courier/data/kafka",
      description =
          "Where the log and metadata live (kept across restarts). Default: ${DEFAULT-VALUE}")
  Path dataDir;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (port < 1 || port > 65535 || controllerPort < 0 || controllerPort > 65535) {
      err.println("courier: --port must be 1..65535 and --controller-port 0..65535");
      err.flush();
      return 2;
    }
    EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder()
            .dataDir(dataDir.toAbsolutePath())
            .port(port)
            .controllerPort(controllerPort)
            .startTimeout(Duration.ofSeconds(60))
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                },
                "courier-broker-stop"));
    try {
      broker.start();
    } catch (RuntimeException e) {
      err.println("courier: the broker did not start: " + e.getMessage());
      err.flush();
      return 1;
    }
    out.println(
        "Kafka broker ready on " + broker.bootstrapServers() + " (data in " + dataDir + ")");
    out.flush();
    stopped.await();
    return 0;
  }
}
