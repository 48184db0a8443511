package io.courier.kafka.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KRaft node acting as broker and controller, listening on 127.0.0.1 only. The log directory is
 * formatted on first start and reused afterwards, so topics and records survive a restart when the
 * same directory is given again.
 *
 * <p>{@link #start()} and {@link #close()} block: call them from a worker thread, a test, or {@code
 * main}, never from an event loop.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String HOST = "127.0.0.1";

  private final Path dataDir;
  private final boolean deleteDataOnClose;
  private final int requestedPort;
  private final int requestedControllerPort;
  private final Duration startTimeout;
  private final Map<String, String> extraProperties;

  private KafkaRaftServer server;
  private int port;

  private EmbeddedKafkaBroker(Builder builder) {
    this.dataDir = builder.dataDir;
    this.deleteDataOnClose = builder.deleteDataOnClose;
    this.requestedPort = builder.port;
    this.requestedControllerPort = builder.controllerPort;
    this.startTimeout = builder.startTimeout;
    this.extraProperties = Map.copyOf(builder.properties);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats the log directory if needed, starts the node and waits until a client can reach it.
   *
   * @throws IllegalStateException when the broker does not come up within the start timeout
   */
  public synchronized EmbeddedKafkaBroker start() {
    if (server != null) {
      return this;
    }
    long started = System.nanoTime();
    int brokerPort = requestedPort == 0 ? freePort() : requestedPort;
    int controllerPort = requestedControllerPort == 0 ? freePort() : requestedControllerPort;
    try {
      Files.createDirectories(dataDir);
      Properties props = brokerProperties(brokerPort, controllerPort);
      KafkaConfig config = KafkaConfig.fromProps(props, false);
      formatIfNeeded();
      KafkaRaftServer raftServer = new KafkaRaftServer(config, Time.SYSTEM);
      raftServer.startup();
      this.server = raftServer;
      this.port = brokerPort;
      awaitReachable();
    } catch (IOException e) {
      closeQuietly();
      throw new UncheckedIOException("cannot prepare Kafka data directory " + dataDir, e);
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    }
    LOG.info(
        "Kafka broker listening on {} (data in {}), ready in {} ms",
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

  public Path dataDir() {
    return dataDir;
  }

  /** Stops the node and waits until it is down; deletes the data if so configured. */
  @Override
  public synchronized void close() {
    if (server != null) {
      KafkaRaftServer running = server;
      server = null;
      running.shutdown();
      running.awaitShutdown();
      LOG.info("Kafka broker on {}:{} stopped", HOST, port);
    }
    if (deleteDataOnClose) {
      deleteRecursively(dataDir);
    }
  }

  private Properties brokerProperties(int brokerPort, int controllerPort) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
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
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("min.insync.replicas", "1");
    props.put("default.replication.factor", "1");
    props.put("num.partitions", "3");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "true");
    props.put("log.flush.interval.messages", "1");
    props.put("num.network.threads", "2");
    props.put("num.io.threads", "2");
    props.put("background.threads", "2");
    props.putAll(extraProperties);
    return props;
  }

  private void formatIfNeeded() {
    if (Files.exists(dataDir.resolve("meta.properties"))) {
      return;
    }
    Formatter formatter =
        new Formatter()
            .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
            .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
            .setNodeId(1)
            .setClusterId(Uuid.randomUuid().toString())
            .setDirectories(List.of(dataDir.toAbsolutePath().toString()))
            .setMetadataLogDirectory(dataDir.toAbsolutePath().toString())
            .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
            .setControllerListenerName(CONTROLLER_LISTENER)
            .setIgnoreFormatted(true);
    try {
      formatter.run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka log directory " + dataDir, e);
    }
  }

  private void awaitReachable() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + port);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    long deadline = System.nanoTime() + startTimeout.toNanos();
    try (Admin admin = Admin.create(props)) {
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              "Kafka broker on " + HOST + ":" + port + " not reachable within " + startTimeout);
        }
        try {
          if (!admin.describeCluster().nodes().get(left, TimeUnit.NANOSECONDS).isEmpty()) {
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

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(EmbeddedKafkaBroker::deleteFile);
    } catch (IOException e) {
      LOG.warn("could not delete Kafka data directory {}", dir, e);
    }
  }

  private static void deleteFile(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.warn("could not delete {}", path, e);
    }
  }

  /** Builder; every setting has a default fit for a test. */
  public static final class Builder {
    private Path dataDir;
    private boolean deleteDataOnClose;
    private int port;
    private int controllerPort;
    private Duration startTimeout = Duration.ofSeconds(60);
    private final Map<String, String> properties = new LinkedHashMap<>();

    private Builder() {}

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

    public EmbeddedKafkaBroker build() {
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
