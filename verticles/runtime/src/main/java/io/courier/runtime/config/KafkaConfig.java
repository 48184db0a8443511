package io.courier.runtime.config;

import java.util.List;

/**
 * Kafka.
 *
 * @param bootstrapServers {@code host:port,...}; ignored when the embedded broker runs
 * @param embedded the in-process broker of the dev profile
 * @param producer the shared producer
 * @param consumer defaults of every event consumer
 * @param bridge event-bus to Kafka mappings of the {@code kafka-bridge} role
 * @param topics how the topics Courier creates are laid out and replicated
 * @param ownership how the instances of a stateful service share its state topic's partitions
 * @param security how every Kafka client authenticates and encrypts: TLS, SASL
 */
public record KafkaConfig(
    String bootstrapServers,
    EmbeddedKafkaConfig embedded,
    ProducerConfig producer,
    ConsumerConfig consumer,
    BridgeConfig bridge,
    TopicsConfig topics,
    OwnershipConfig ownership,
    KafkaSecurityConfig security) {

  public static final KafkaConfig DEFAULTS =
      new KafkaConfig(
          "",
          EmbeddedKafkaConfig.DEFAULTS,
          ProducerConfig.DEFAULTS,
          ConsumerConfig.DEFAULTS,
          BridgeConfig.DEFAULTS,
          TopicsConfig.DEFAULTS,
          OwnershipConfig.DEFAULTS,
          KafkaSecurityConfig.DEFAULTS);

  public KafkaConfig {
    ConfigChecks checks = new ConfigChecks();
    if (!embedded.enabled() && !bootstrapServers.isBlank()) {
      for (String server : bootstrapServers.split(",")) {
        checks.hostPort("bootstrapServers", server.trim());
      }
    }
    checks.orThrow();
  }

  /**
   * Whether the embedded broker stands in for {@code bootstrapServers}; without it they are
   * required, which the loader checks (the defaults leave them empty).
   */
  public boolean needsBootstrapServers() {
    return !embedded.enabled() && bootstrapServers.isBlank();
  }

  /**
   * Partition ownership of a stateful service (orders, stock): Kafka's group protocol assigns each
   * instance its share of the state topic's partitions.
   *
   * @param sessionTimeoutMs how long an instance that stopped answering keeps its partitions before
   *     the group gives them to others (a killed owner's keys wait this long, plus their replay)
   * @param releaseTimeoutMs how long an owner losing a partition waits for the operations on it to
   *     finish before it lets the partition go
   */
  public record OwnershipConfig(long sessionTimeoutMs, long releaseTimeoutMs) {

    public static final OwnershipConfig DEFAULTS = new OwnershipConfig(10_000, 5_000);

    public OwnershipConfig {
      new ConfigChecks()
          .atLeast("sessionTimeoutMs", sessionTimeoutMs, 1_000)
          .atLeast("releaseTimeoutMs", releaseTimeoutMs, 0)
          .orThrow();
    }
  }

  /**
   * The topics Courier creates (state, events, retry, dead-letter and processed-ids topics): every
   * one with this replication and {@code min.insync.replicas}, and state and event topics with this
   * many partitions (which decide which instance owns a key). An existing topic whose settings
   * differ stops start-up, naming the topic and the setting.
   *
   * @param partitions partitions of each state and event topic
   * @param replicationFactor copies of every partition; 3 in production, 1 on one broker
   * @param minInSyncReplicas copies that must have a record before it is acknowledged ({@code
   *     acks=all}); 2 in production, so one broker may fail without losing an acknowledged write
   */
  public record TopicsConfig(int partitions, int replicationFactor, int minInSyncReplicas) {

    public static final TopicsConfig DEFAULTS = new TopicsConfig(6, 1, 1);

    public TopicsConfig {
      ConfigChecks checks =
          new ConfigChecks()
              .atLeast("partitions", partitions, 1)
              .atLeast("replicationFactor", replicationFactor, 1)
              .atLeast("minInSyncReplicas", minInSyncReplicas, 1);
      if (minInSyncReplicas > replicationFactor) {
        checks.invalid(
            "minInSyncReplicas",
            "is "
                + minInSyncReplicas
                + "; must be at most kafka.topics.replicationFactor ("
                + replicationFactor
                + "), or no write could ever be acknowledged");
      }
      checks.orThrow();
    }
  }

  /**
   * The in-process KRaft broker.
   *
   * @param enabled start it before any role
   * @param port PLAINTEXT port on 127.0.0.1
   * @param controllerPort KRaft controller port on 127.0.0.1
   * @param dataDir log directory; kept across restarts
   */
  public record EmbeddedKafkaConfig(boolean enabled, int port, int controllerPort, String dataDir) {

    public static final EmbeddedKafkaConfig DEFAULTS =
        new EmbeddedKafkaConfig(false, 9092, 9093, ".courier/data/kafka");

    public EmbeddedKafkaConfig {
      if (enabled) {
        new ConfigChecks()
            .port("port", port)
            .port("controllerPort", controllerPort)
            .text("dataDir", dataDir)
            .orThrow();
      }
    }
  }

  /**
   * The shared Kafka producer. It is always idempotent with {@code acks=all}: an acknowledged event
   * is on every in-sync replica.
   *
   * @param lingerMs how long to wait to fill a batch
   * @param deliveryTimeoutMs upper bound on the time to report success or failure of a send
   * @param maxRequestSizeBytes largest record batch the producer sends
   * @param maxInFlight events sent and not yet acknowledged past which publishing fails fast
   * @param batchSizeBytes per-partition batch size; keyed events spread over partitions, so larger
   *     batches than Kafka's 16 KiB default pay off
   */
  public record ProducerConfig(
      int lingerMs,
      int deliveryTimeoutMs,
      int maxRequestSizeBytes,
      int maxInFlight,
      int batchSizeBytes) {

    public static final ProducerConfig DEFAULTS =
        new ProducerConfig(5, 30_000, 1_048_576, 20_000, 131_072);

    public ProducerConfig {
      new ConfigChecks()
          .atLeast("lingerMs", lingerMs, 0)
          .atLeast("deliveryTimeoutMs", deliveryTimeoutMs, 1000)
          .atLeast("maxRequestSizeBytes", maxRequestSizeBytes, 1024)
          .atLeast("maxInFlight", maxInFlight, 1)
          .atLeast("batchSizeBytes", batchSizeBytes, 0)
          .orThrow();
    }
  }

  /**
   * Event consumers.
   *
   * @param groupId consumer group of the process's consumers
   * @param maxInFlight records received and not completed, at most; partitions pause before a poll
   *     could pass it, so handlers running at once never exceed it either
   * @param inPlaceAttempts handler attempts before a record moves to the retry topic
   * @param backoffInitialMs first in-place back-off; doubles per attempt, with jitter
   * @param backoffMaxMs largest in-place back-off
   * @param retryTopicAttempts passes through {@code <topic>.retry} before the dead-letter topic
   * @param retryDelayMs how long a record waits on the retry topic
   * @param dedupeCapacity processed event ids remembered in memory
   * @param dedupeRetentionHours how long the processed-ids topic keeps an id
   * @param commitIntervalMs how often completed offsets are committed
   * @param retryLaterMaxMs how long a record whose handler keeps saying "a dependency is down"
   *     ({@code RetryLaterException}) may wait before it goes to the dead-letter topic; while it
   *     waits, its key and its partition's commits wait too
   * @param releaseTimeoutMs how long a consumer giving partitions up in a rebalance waits for the
   *     handlers already running on their records, so it commits what they complete and the member
   *     taking the partitions over does not handle those records beside them; past it the
   *     partitions are let go anyway (a WARN naming them, {@code
   *     courier_kafka_consumer_release_timeouts_total}). The group's rebalance waits as long, so it
   *     is kept short, as {@code kafka.ownership.releaseTimeoutMs} is for partition owners; it must
   *     stay below Kafka's {@code max.poll.interval.ms} (300 s), past which the member is put out
   *     of the group. A stopping consumer waits within its drain deadline instead; a crashed one
   *     not at all
   */
  public record ConsumerConfig(
      String groupId,
      int maxInFlight,
      int inPlaceAttempts,
      long backoffInitialMs,
      long backoffMaxMs,
      int retryTopicAttempts,
      long retryDelayMs,
      int dedupeCapacity,
      int dedupeRetentionHours,
      long commitIntervalMs,
      long retryLaterMaxMs,
      long releaseTimeoutMs) {

    /** Kafka's {@code max.poll.interval.ms}, which the consumers leave at its default. */
    private static final long MAX_POLL_INTERVAL_MS = 300_000;

    public static final ConsumerConfig DEFAULTS =
        new ConsumerConfig(
            "courier", 1000, 3, 100, 5000, 2, 5000, 200_000, 168, 1000, 3_600_000, 5_000);

    public ConsumerConfig {
      new ConfigChecks()
          .text("groupId", groupId)
          .atLeast("maxInFlight", maxInFlight, 1)
          .atLeast("inPlaceAttempts", inPlaceAttempts, 1)
          .atLeast("backoffInitialMs", backoffInitialMs, 1)
          .atLeast("backoffMaxMs", backoffMaxMs, backoffInitialMs)
          .atLeast("retryTopicAttempts", retryTopicAttempts, 0)
          .atLeast("retryDelayMs", retryDelayMs, 0)
          .atLeast("dedupeCapacity", dedupeCapacity, 0)
          .atLeast("dedupeRetentionHours", dedupeRetentionHours, 1)
          .atLeast("commitIntervalMs", commitIntervalMs, 10)
          .atLeast("retryLaterMaxMs", retryLaterMaxMs, 100)
          .atLeast("releaseTimeoutMs", releaseTimeoutMs, 0)
          .require(
              releaseTimeoutMs < MAX_POLL_INTERVAL_MS,
              "releaseTimeoutMs",
              "is "
                  + releaseTimeoutMs
                  + "; must be < "
                  + MAX_POLL_INTERVAL_MS
                  + " (Kafka's max.poll.interval.ms), or a rebalance would put the member out of"
                  + " its group")
          .orThrow();
    }

    /**
     * The same settings with at most {@code bound} records in flight, e.g. to stay inside the
     * bulkhead of the calls the handler makes.
     */
    public ConsumerConfig withMaxInFlight(int bound) {
      return with(groupId, Math.max(1, Math.min(maxInFlight, bound)));
    }

    /** The same settings for another consumer group. */
    public ConsumerConfig withGroupId(String group) {
      return with(group, maxInFlight);
    }

    private ConsumerConfig with(String group, int records) {
      return new ConsumerConfig(
          group,
          records,
          inPlaceAttempts,
          backoffInitialMs,
          backoffMaxMs,
          retryTopicAttempts,
          retryDelayMs,
          dedupeCapacity,
          dedupeRetentionHours,
          commitIntervalMs,
          retryLaterMaxMs,
          releaseTimeoutMs);
    }
  }

  /**
   * Event bus <-> Kafka mappings.
   *
   * @param publish {@code address=topic}: events sent to the address are published to the topic
   * @param consume {@code topic=address}: events of the topic are requested on the address; the
   *     reply acknowledges them
   */
  public record BridgeConfig(List<String> publish, List<String> consume) {

    public static final BridgeConfig DEFAULTS = new BridgeConfig(List.of(), List.of());

    public BridgeConfig {
      publish = List.copyOf(publish);
      consume = List.copyOf(consume);
      new ConfigChecks().mappings("publish", publish).mappings("consume", consume).orThrow();
    }
  }
}
