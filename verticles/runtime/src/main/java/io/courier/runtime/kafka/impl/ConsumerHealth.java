package io.courier.runtime.kafka.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;

/**
 * What readiness reads of the poll thread: whether the group has assigned partitions (an empty
 * share included) at least once, when poll last returned, how many partitions are assigned, why the
 * thread died. The poll thread writes them; readiness reads them from wherever it runs.
 */
final class ConsumerHealth {

  /**
   * How long the poll thread may go without returning from {@code poll} before readiness calls the
   * consumer stuck. The loop polls every 100 ms; only a commit on revocation (10 s at most) or a
   * long flush holds it up, and a revocation's wait for running handlers, which {@code
   * releaseTimeoutMs} bounds and which is reported as releasing instead.
   */
  private static final long POLL_STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final String group;
  private final List<String> topics;

  private volatile boolean joined;
  private volatile long lastPollNanos = System.nanoTime();
  private volatile int assignedPartitions;
  private volatile RuntimeException failure;
  private volatile List<String> releasing = List.of();

  ConsumerHealth(String group, List<String> topics) {
    this.group = group;
    this.topics = topics;
  }

  /** The group assigned partitions; {@code partitions} are assigned now. */
  void joined(int partitions) {
    assignedPartitions = partitions;
    joined = true;
  }

  /** Poll returned just now; {@code partitions} are assigned. */
  void polled(int partitions) {
    lastPollNanos = System.nanoTime();
    assignedPartitions = partitions;
  }

  /**
   * A revocation waits for the handlers running on {@code partitions} before giving them up; none
   * once it is done.
   */
  void releasing(List<TopicPartition> partitions) {
    releasing = partitions.stream().map(TopicPartition::toString).toList();
  }

  /** The poll thread stopped on {@code error}. */
  void failed(RuntimeException error) {
    failure = error;
  }

  /**
   * The consumer as readiness sees it: up once the group has given it its share of partitions
   * (possibly none, when the group has more members than partitions) while its poll thread keeps
   * polling; down while joining, after the thread stopped on an error, or when it has not polled
   * for {@link #POLL_STALL_NANOS}. A later rebalance does not take it down: every member of the
   * group rebalances at once, and readiness must not drop them all together; while it waits for the
   * handlers of partitions it gives up, it says which ({@code releasing}).
   */
  Status status(boolean running, int inFlight) {
    JsonObject data = new JsonObject().put("group", group).put("topics", new JsonArray(topics));
    RuntimeException error = failure;
    long sincePollNanos = System.nanoTime() - lastPollNanos;
    if (error != null) {
      return Status.KO(data.put("reason", "stopped on an error: " + error));
    }
    if (!running) {
      return Status.KO(data.put("reason", "stopped"));
    }
    if (!joined) {
      return Status.KO(data.put("reason", "joining the group"));
    }
    List<String> waitingFor = releasing;
    if (!waitingFor.isEmpty()) {
      return Status.OK(
          data.put("partitions", assignedPartitions)
              .put("inFlight", inFlight)
              .put("releasing", new JsonArray(waitingFor)));
    }
    if (sincePollNanos > POLL_STALL_NANOS) {
      return Status.KO(
          data.put(
              "reason", "no poll for " + TimeUnit.NANOSECONDS.toMillis(sincePollNanos) + " ms"));
    }
    return Status.OK(data.put("partitions", assignedPartitions).put("inFlight", inFlight));
  }
}
