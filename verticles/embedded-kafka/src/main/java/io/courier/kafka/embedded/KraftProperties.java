package io.courier.kafka.embedded;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/** The configuration of one embedded KRaft node, listening on 127.0.0.1 only. */
final class KraftProperties {

  static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String HOST = "127.0.0.1";

  private KraftProperties() {}

  /**
   * The properties of node {@code nodeId}: broker and controller, PLAINTEXT listeners on 127.0.0.1,
   * the given voters (or itself alone), internal topics replicated as the cluster's size allows,
   * then {@code extra} over them.
   */
  static Properties of(
      int nodeId,
      List<Voter> voters,
      int brokerPort,
      int controllerPort,
      Path dataDir,
      Duration startTimeout,
      Map<String, String> extra) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(nodeId));
    props.put(
        "controller.quorum.voters",
        voters.isEmpty()
            ? nodeId + "@" + HOST + ":" + controllerPort
            : voters.stream().map(Voter::toString).collect(Collectors.joining(",")));
    props.put("controller.listener.names", CONTROLLER_LISTENER);
    props.put(
        "listeners",
        "PLAINTEXT://"
            + HOST
            + ":"
            + brokerPort
            + ","
            + CONTROLLER_LISTENER
            + "://"
            + HOST
            + ":"
            + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
    props.put(
        "listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", dataDir.toAbsolutePath().toString());
    // One node: everything 1. A cluster: at most 3 copies of the internal topics (and of topics
    // created without a replication factor), 2 of them in sync from three nodes up, as production.
    int nodes = Math.max(1, voters.size());
    String replicas = Integer.toString(Math.min(3, nodes));
    String minIsr = nodes >= 3 ? "2" : "1";
    props.put("offsets.topic.replication.factor", replicas);
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", replicas);
    props.put("transaction.state.log.min.isr", minIsr);
    props.put("share.coordinator.state.topic.replication.factor", replicas);
    props.put("share.coordinator.state.topic.min.isr", minIsr);
    // The offsets topic has no min ISR of its own: it takes the broker's.
    props.put("min.insync.replicas", minIsr);
    props.put("default.replication.factor", replicas);
    props.put("num.partitions", "3");
    // Bounds how long startup() waits for the controller quorum (peers not started yet).
    props.put("server.max.startup.time.ms", Long.toString(startTimeout.toMillis()));
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "true");
    props.put("log.flush.interval.messages", "1");
    props.put("num.network.threads", "2");
    props.put("num.io.threads", "2");
    props.put("background.threads", "2");
    props.putAll(extra);
    return props;
  }
}
