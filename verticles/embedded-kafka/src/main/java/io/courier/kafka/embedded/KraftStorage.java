package io.courier.kafka.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A KRaft node's log directory: formatted once, checked to be this node's, deleted on request. */
final class KraftStorage {

  private static final Logger LOG = LoggerFactory.getLogger(KraftStorage.class);

  private KraftStorage() {}

  /**
   * Formats the log directory on first start, as {@code kafka-storage format} does for a static
   * quorum: this node's id, the cluster id, and no initial controllers (with {@code
   * controller.quorum.voters} set, the voters come from the configuration and kraft.version stays
   * 0; Kafka refuses {@code --initial-controllers} then). A directory formatted before must belong
   * to the same node and, if one was asked for, the same cluster.
   *
   * @return the cluster id the directory is formatted with
   */
  static String formatIfNeeded(
      Path dataDir, int nodeId, String requestedClusterId, String controllerListener)
      throws IOException {
    Path meta = dataDir.resolve("meta.properties");
    if (Files.exists(meta)) {
      return checkFormatted(dataDir, meta, nodeId, requestedClusterId);
    }
    String id = requestedClusterId != null ? requestedClusterId : Uuid.randomUuid().toString();
    Formatter formatter =
        new Formatter()
            .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
            .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
            .setNodeId(nodeId)
            .setClusterId(id)
            .setDirectories(List.of(dataDir.toAbsolutePath().toString()))
            .setMetadataLogDirectory(dataDir.toAbsolutePath().toString())
            .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
            .setControllerListenerName(controllerListener)
            .setHasDynamicQuorum(false)
            .setIgnoreFormatted(true);
    try {
      formatter.run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka log directory " + dataDir, e);
    }
    return id;
  }

  private static String checkFormatted(
      Path dataDir, Path meta, int nodeId, String requestedClusterId) throws IOException {
    Properties formatted = new Properties();
    try (var in = Files.newInputStream(meta)) {
      formatted.load(in);
    }
    String formattedNode = formatted.getProperty("node.id");
    String formattedCluster = formatted.getProperty("cluster.id");
    if (!Integer.toString(nodeId).equals(formattedNode)) {
      throw new IllegalStateException(
          "Kafka data directory "
              + dataDir
              + " belongs to node "
              + formattedNode
              + ", not node "
              + nodeId);
    }
    if (requestedClusterId != null && !requestedClusterId.equals(formattedCluster)) {
      throw new IllegalStateException(
          "Kafka data directory "
              + dataDir
              + " belongs to cluster "
              + formattedCluster
              + ", not cluster "
              + requestedClusterId);
    }
    return formattedCluster;
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(KraftStorage::deleteFile);
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
}
