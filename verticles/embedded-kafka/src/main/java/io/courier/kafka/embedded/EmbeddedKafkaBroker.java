package io.courier.kafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.BrokerServer;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * One KRaft node acting as broker and controller, listening on 127.0.0.1 only. The log directory is
 * formatted on first start and reused afterwards, so topics and records survive a restart when the
 * same directory is given again.
 *
 * <p>By default the node is a cluster of its own (node id 1, the only voter, replication factor 1
 * everywhere). Given {@linkplain Builder#voters(String) voters}, it is one node of a cluster with a
 * static controller quorum: every node is broker and controller, every node is formatted with the
 * same {@linkplain Builder#clusterId(String) cluster id}, and the internal topics are replicated
 * {@code min(3, voters)} times with a minimum ISR of 2 from three nodes up.
 *
 * <p>{@link #start()} returns once this node's broker is registered with the controller quorum and
 * serves clients. A quorum needs a majority of its voters, so in a multi-node cluster the nodes
 * must be started concurrently (one process or thread each): a node started alone waits for its
 * peers until the start timeout and then fails. A node restarted into a running cluster returns as
 * soon as it has caught up.
 *
 * <p>{@link #start()} and {@link #close()} block: call them from a worker thread, a test, or {@code
 * main}, never from an event loop.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String CONTROLLER_LISTENER = KraftProperties.CONTROLLER_LISTENER;
  private static final String HOST = "127.0.0.1";

  /**
   * How long a stopping node waits for the controller to move its partition leaders away. Takes a
   * heartbeat or two in a healthy cluster; without a quorum it never comes.
   */
  private static final Duration CONTROLLED_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

  private final Path dataDir;
  private final boolean deleteDataOnClose;
  private final int requestedPort;
  private final int requestedControllerPort;
  private final Duration startTimeout;
  private final Map<String, String> extraProperties;
  private final int nodeId;

  /** The quorum as given, or empty for a node that is the only voter. */
  private final List<Voter> voters;

  /** The cluster id to format with, or null for a random one. */
  private final String requestedClusterId;

  private KafkaRaftServer server;
  private int port;
  private String clusterId;

  private EmbeddedKafkaBroker(Builder builder) {
    this.dataDir = builder.dataDir;
    this.deleteDataOnClose = builder.deleteDataOnClose;
    this.requestedPort = builder.port;
    this.requestedControllerPort = builder.controllerPort;
    this.startTimeout = builder.startTimeout;
    this.extraProperties = Map.copyOf(builder.properties);
    this.nodeId = builder.nodeId;
    this.voters = List.copyOf(builder.voters);
    this.requestedClusterId = builder.clusterId;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats the log directory if needed, starts the node and waits until its broker is registered
   * and a client can reach it. In a multi-node cluster that needs a majority of the voters running:
   * start the nodes concurrently.
   *
   * @throws IllegalStateException when the broker does not come up within the start timeout, or the
   *     data directory belongs to another node or cluster
   */
  public synchronized EmbeddedKafkaBroker start() {
    if (server != null) {
      return this;
    }
    long started = System.nanoTime();
    long deadline = started + startTimeout.toNanos();
    int brokerPort = requestedPort == 0 ? freePort() : requestedPort;
    int controllerPort = controllerPort();
    try {
      Files.createDirectories(dataDir);
      Properties props =
          KraftProperties.of(
              nodeId, voters, brokerPort, controllerPort, dataDir, startTimeout, extraProperties);
      KafkaConfig config = KafkaConfig.fromProps(props, false);
      this.clusterId =
          KraftStorage.formatIfNeeded(dataDir, nodeId, requestedClusterId, CONTROLLER_LISTENER);
      KafkaRaftServer raftServer = new KafkaRaftServer(config, Time.SYSTEM);
      // Set before startup: a startup that fails half-way must still be shut down by close().
      this.server = raftServer;
      this.port = brokerPort;
      raftServer.startup();
      awaitReachable(deadline);
    } catch (IOException e) {
      closeQuietly();
      throw new UncheckedIOException("cannot prepare Kafka data directory " + dataDir, e);
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    } catch (Exception e) {
      // KafkaRaftServer is Scala: startup() throws checked exceptions it does not declare, e.g. the
      // TimeoutException of server.max.startup.time.ms when no quorum forms.
      closeQuietly();
      throw new IllegalStateException(
          "Kafka node "
              + nodeId
              + " did not start within "
              + startTimeout
              + (voters.size() > 1
                  ? " (its controller quorum needs a majority of " + voters + " running)"
                  : ""),
          e);
    }
    LOG.info(
        "Kafka broker {} listening on {} (data in {}), ready in {} ms",
        nodeId,
        bootstrapServers(),
        dataDir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return this;
  }

  /** {@code 127.0.0.1:port} of the PLAINTEXT listener; valid once started. */
  public synchronized String bootstrapServers() {
    if (server == null) {
      throw new IllegalStateException("Kafka broker is not running");
    }
    return HOST + ":" + port;
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /** The KRaft node id of this node (broker and controller). */
  public int nodeId() {
    return nodeId;
  }

  /** The cluster id this node's data directory is formatted with; valid once started. */
  public synchronized String clusterId() {
    if (server == null) {
      throw new IllegalStateException("Kafka broker is not running");
    }
    return clusterId;
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * Stops the node and waits until it is down; deletes the data if so configured. A {@link
   * #start()} in progress (a cluster node waiting for its quorum) is waited for first: Kafka cannot
   * stop a server half-way through its startup.
   */
  @Override
  public synchronized void close() {
    if (server != null) {
      KafkaRaftServer running = server;
      server = null;
      shutDownBrokerWithin(running, CONTROLLED_SHUTDOWN_TIMEOUT);
      running.shutdown();
      running.awaitShutdown();
      LOG.info("Kafka broker {} on {}:{} stopped", nodeId, HOST, port);
    }
    if (deleteDataOnClose) {
      KraftStorage.deleteRecursively(dataDir);
    }
  }

  /** Own controller port: from this node's voter entry, else as asked, else a free one. */
  private int controllerPort() {
    for (Voter voter : voters) {
      if (voter.id() == nodeId) {
        return voter.port();
      }
    }
    return requestedControllerPort == 0 ? freePort() : requestedControllerPort;
  }

  private void awaitReachable(long deadline) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + port);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    try (Admin admin = Admin.create(props)) {
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              "Kafka broker on " + HOST + ":" + port + " not reachable within " + startTimeout);
        }
        try {
          // This node's own metadata lists itself once its broker is registered and unfenced;
          // peers that are not up yet do not hold it back.
          if (admin.describeCluster().nodes().get(left, TimeUnit.NANOSECONDS).stream()
              .anyMatch(node -> node.id() == nodeId)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          LOG.debug("Kafka broker not reachable yet: {}", e.toString());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for Kafka broker", e);
        }
      }
    }
  }

  /**
   * Stops the broker half of the node first, waiting at most {@code timeout} for the controller to
   * grant a controlled shutdown. {@link KafkaRaftServer#shutdown()} waits up to five minutes for
   * that, and when the other voters of a cluster are gone already (the last node of a cluster
   * stopped one after the other) no quorum can grant it. The broker is reached by reflection:
   * KafkaRaftServer keeps it private and the Kafka version is pinned. Its own shutdown() later
   * finds the broker stopped and goes on with the controller.
   */
  private void shutDownBrokerWithin(KafkaRaftServer running, Duration timeout) {
    try {
      Field field = KafkaRaftServer.class.getDeclaredField("broker");
      field.setAccessible(true);
      Option<?> broker = (Option<?>) field.get(running);
      if (broker.isDefined()) {
        ((BrokerServer) broker.get()).shutdown(timeout);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn(
          "cannot bound the controlled shutdown of Kafka broker {}; it may wait up to 5 minutes",
          nodeId,
          e);
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException e) {
      LOG.warn("Kafka broker did not stop cleanly after a failed start", e);
    }
  }

  private static int freePort() {
    return LoopbackPorts.free();
  }

  /** Builder; every setting has a default fit for a test. */
  public static final class Builder {
    private Path dataDir;
    private boolean deleteDataOnClose;
    private int port;
    private int controllerPort;
    private Duration startTimeout = Duration.ofSeconds(60);
    private final Map<String, String> properties = new LinkedHashMap<>();
    private int nodeId = 1;
    private List<Voter> voters = List.of();
    private String clusterId;

    private Builder() {}

    /** The KRaft node id (broker and controller); default 1. */
    public Builder nodeId(int nodeId) {
      if (nodeId < 0) {
        throw new IllegalArgumentException("nodeId must be 0 or more, was " + nodeId);
      }
      this.nodeId = nodeId;
      return this;
    }

    /**
     * The static controller quorum ({@code controller.quorum.voters}), every node of the cluster as
     * {@code id@host:port} of its controller listener, comma-separated, e.g. {@code
     * 1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095}. Every node of a cluster is given the
     * same list. It must name this node, on 127.0.0.1; its port is this node's controller port.
     * Default: this node alone.
     */
    public Builder voters(String voters) {
      this.voters = Voter.parseAll(Objects.requireNonNull(voters, "voters"));
      return this;
    }

    /**
     * The cluster id to format a new data directory with; every node of a cluster needs the same
     * one. A Kafka cluster id: a UUID in URL-safe base64, 22 characters, as {@code kafka-storage
     * random-uuid} prints. Default: a random one. A directory formatted before must carry this id.
     */
    public Builder clusterId(String clusterId) {
      Objects.requireNonNull(clusterId, "clusterId");
      try {
        Uuid.fromString(clusterId);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "clusterId must be a Kafka cluster id (22 characters of URL-safe base64, e.g. "
                + Uuid.randomUuid()
                + "), was '"
                + clusterId
                + "'",
            e);
      }
      this.clusterId = clusterId;
      return this;
    }

    /** Where the log lives. Default: a new temporary directory deleted on close. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
      return this;
    }

    /** The PLAINTEXT port on 127.0.0.1; 0 (default) picks a free one. */
    public Builder port(int port) {
      this.port = requirePort(port, "port");
      return this;
    }

    /** The controller port on 127.0.0.1; 0 (default) picks a free one. */
    public Builder controllerPort(int controllerPort) {
      this.controllerPort = requirePort(controllerPort, "controllerPort");
      return this;
    }

    public Builder startTimeout(Duration startTimeout) {
      this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
      return this;
    }

    /** Any further broker property, e.g. {@code message.max.bytes}. */
    public Builder property(String name, String value) {
      properties.put(name, value);
      return this;
    }

    /**
     * @throws IllegalArgumentException when the voters leave out this node, or put it anywhere but
     *     on 127.0.0.1 or on another port than {@link #controllerPort(int)} asked for
     */
    public EmbeddedKafkaBroker build() {
      if (!voters.isEmpty()) {
        Voter self =
            voters.stream()
                .filter(voter -> voter.id() == nodeId)
                .findFirst()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "voters must include this node (id " + nodeId + "), were " + voters));
        if (!HOST.equals(self.host())) {
          throw new IllegalArgumentException(
              "voters must place this node (id "
                  + nodeId
                  + ") on "
                  + HOST
                  + ", the only address it listens on, not "
                  + self.host());
        }
        if (controllerPort != 0 && controllerPort != self.port()) {
          throw new IllegalArgumentException(
              "controllerPort "
                  + controllerPort
                  + " differs from this node's port in voters ("
                  + self
                  + ")");
        }
      }
      if (dataDir == null) {
        try {
          dataDir = Files.createTempDirectory("courier-kafka-");
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create a temporary Kafka data directory", e);
        }
        deleteDataOnClose = true;
      }
      return new EmbeddedKafkaBroker(this);
    }

    private static int requirePort(int port, String name) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(name + " must be 0..65535, was " + port);
      }
      return port;
    }
  }
}
