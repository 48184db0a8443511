package io.courier.app;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code courier broker}: a standalone KRaft broker on 127.0.0.1, the one the dev profile embeds,
 * in a process of its own, for a local cluster ({@code conf/cluster.json} expects Kafka on
 * 127.0.0.1:9092) or a chaos test that stops and starts Kafka. Alone by default; with {@code
 * --node-id}, {@code --voters} and {@code --cluster-id} one node of a multi-broker cluster (every
 * node broker and controller, a static quorum), for replication and broker-failure tests. It keeps
 * its data in {@code --data-dir} across restarts and stops cleanly on SIGTERM or Ctrl-C. Not for
 * production.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a Kafka broker (KRaft, broker and controller) on 127.0.0.1 until stopped: `courier"
          + " broker --port 9092 --data-dir .courier/data/kafka`.",
      "One node of a cluster: give every node the same --voters and --cluster-id and its own"
          + " --node-id, --port and --data-dir, and start them together (a quorum needs a"
          + " majority of the voters): `courier broker --node-id 2 --port 19192 --voters"
          + " 1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095 --cluster-id"
          + " MkU3OEVBNTcwNTJENDM2Qg --data-dir kafka-2`."
    })
final class BrokerCommand implements Callable<Integer> {

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "The PLAINTEXT listener's port. Default: ${DEFAULT-VALUE}")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "0",
      description =
          "The KRaft controller's port; 0 picks a free one, or takes this node's port from"
              + " --voters. Default: ${DEFAULT-VALUE}")
  int controllerPort;

  @Option(
      names = "--node-id",
      defaultValue = "1",
      description = "This node's KRaft id (broker and controller). Default: ${DEFAULT-VALUE}")
  int nodeId;

  @Option(
      names = "--voters",
      paramLabel = "ID@HOST:PORT[,...]",
      description =
          "The cluster's controller quorum (controller.quorum.voters), the same on every node,"
              + " naming this node on 127.0.0.1 with its controller port. Default: this node"
              + " alone.")
  String voters;

  @Option(
      names = "--cluster-id",
      description =
          "The cluster id to format a new data directory with, the same on every node (22"
              + " characters of URL-safe base64, as `kafka-storage random-uuid` prints); a"
              + " formatted directory must carry it. Default: a random one.")
  String clusterId;

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
      return usage(err, "--port must be 1..65535 and --controller-port 0..65535");
    }
    EmbeddedKafkaBroker.Builder builder =
        EmbeddedKafkaBroker.builder()
            .dataDir(dataDir.toAbsolutePath())
            .port(port)
            .controllerPort(controllerPort)
            .startTimeout(Duration.ofSeconds(60));
    EmbeddedKafkaBroker broker;
    try {
      builder.nodeId(nodeId);
    } catch (IllegalArgumentException e) {
      return usage(err, "--node-id must be 0 or more, was " + nodeId);
    }
    try {
      if (voters != null) {
        builder.voters(voters);
      }
    } catch (IllegalArgumentException e) {
      return usage(err, "--voters is invalid: " + e.getMessage());
    }
    try {
      if (clusterId != null) {
        builder.clusterId(clusterId);
      }
    } catch (IllegalArgumentException e) {
      return usage(err, "--cluster-id is invalid: " + e.getMessage());
    }
    try {
      broker = builder.build();
    } catch (IllegalArgumentException e) {
      return usage(
          err, "--node-id, --voters and --controller-port do not fit together: " + e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean serving = new AtomicBoolean();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // A node still starting (a cluster node waiting for its quorum) holds start()
                  // until its timeout and cannot be closed before: let the JVM end, as after a
                  // kill; Kafka recovers the log on the next start.
                  if (serving.get()) {
                    broker.close();
                  }
                  stopped.countDown();
                },
                "courier-broker-stop"));
    try {
      broker.start();
      serving.set(true);
    } catch (RuntimeException e) {
      err.println("courier: the broker did not start: " + e.getMessage());
      err.flush();
      return 1;
    }
    out.println(
        "Kafka broker ready on "
            + broker.bootstrapServers()
            + " (node "
            + broker.nodeId()
            + " of cluster "
            + broker.clusterId()
            + ", data in "
            + dataDir
            + ")");
    out.flush();
    stopped.await();
    return 0;
  }

  private static int usage(PrintWriter err, String problem) {
    err.println("courier: " + problem);
    err.flush();
    return 2;
  }
}
