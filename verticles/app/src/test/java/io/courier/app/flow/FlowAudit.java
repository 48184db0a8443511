package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PaymentFailed;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What a multi-process flow test checks from the outside once the load is over: every accepted
 * order reached CONFIRMED or CANCELLED, no stock is left reserved, every SKU's stock adds up and
 * its sold count matches the confirmed orders, and Kafka holds for each order exactly one
 * OrderPlaced, one payment outcome and one terminal order event, the ones its status calls for
 * (none lost, none applied twice). Kafka's records are counted per order ({@link Ledger}), so a
 * second PaymentCompleted for an order fails the audit; a redelivered copy of the same event (same
 * id, same payload) is counted as a copy, not as a second event.
 */
final class FlowAudit {

  private FlowAudit() {}

  /**
   * @param orderIds accepted orders: idempotency key to order id
   */
  static void verify(
      FlowClient client, FlowSeeds seeds, Map<String, String> orderIds, String bootstrapServers) {
    assertThat(new HashSet<>(orderIds.values())).hasSize(orderIds.size());
    Map<String, JsonObject> terminal = new ConcurrentHashMap<>();
    FlowClient.awaitUntil(
        "every accepted order CONFIRMED or CANCELLED",
        Duration.ofSeconds(180),
        () -> {
          for (String id : orderIds.values()) {
            if (!terminal.containsKey(id)) {
              JsonObject order = FlowAudit.getOrNull(client, "/api/v1/orders/" + id);
              if (order != null && !"PENDING".equals(order.getString("status"))) {
                terminal.put(id, order);
              }
            }
          }
          return terminal.size() == orderIds.size();
        });

    Map<String, Long> soldBySku = new HashMap<>();
    terminal.values().stream()
        .filter(o -> "CONFIRMED".equals(o.getString("status")))
        .forEach(
            o ->
                o.getJsonArray("items")
                    .forEach(
                        item -> {
                          JsonObject line = (JsonObject) item;
                          soldBySku.merge(
                              line.getString("sku"), (long) line.getInteger("quantity"), Long::sum);
                        }));
    FlowClient.awaitUntil(
        "no SKU holds reserved stock",
        Duration.ofSeconds(90),
        () ->
            seeds.skus().stream()
                .allMatch(
                    sku -> {
                      JsonObject level = FlowAudit.getOrNull(client, "/api/v1/inventory/" + sku);
                      return level != null && level.getLong("reserved") == 0;
                    }));
    for (String sku : seeds.skus()) {
      JsonObject level = FlowAudit.getOrNull(client, "/api/v1/inventory/" + sku);
      assertThat(level.getLong("available") + level.getLong("reserved") + level.getLong("sold"))
          .as(sku)
          .isEqualTo(seeds.stock());
      assertThat(level.getLong("sold"))
          .as("sold of %s", sku)
          .isEqualTo(soldBySku.getOrDefault(sku, 0L));
    }

    Ledger ledger = Ledger.read(bootstrapServers);
    for (JsonObject order : terminal.values()) {
      String id = order.getString("orderId");
      Trail trail = ledger.trail(id);
      assertThat(trail.duplicates()).as("events applied twice for %s", order.encode()).isEmpty();
      assertThat(trail.gaps(order.getString("status")))
          .as("events missing for %s", order.encode())
          .isEmpty();
    }
  }

  /** An event's identity and content: a record equal in both is a copy of the same event. */
  private record Fingerprint(String id, Message data) {}

  /**
   * The records of one kind that Kafka holds for one order. {@link #records()} counts every record;
   * {@link #distinct()} counts the events among them, where a record with the id and the payload of
   * one already counted is a redelivered copy (a producer that wrote an event again after a crash,
   * before it committed what caused it; consumers drop it on its id). A record with the same id but
   * another payload counts as another event: the step that produced it ran twice (a second charge
   * gives another payment id, a second confirmation another update time).
   */
  static final class Tally {
    private final List<Event<?>> records = new ArrayList<>();
    private final Set<Fingerprint> distinct = new LinkedHashSet<>();

    void add(Event<?> event) {
      records.add(event);
      distinct.add(new Fingerprint(event.id(), event.data()));
    }

    int records() {
      return records.size();
    }

    int distinct() {
      return distinct.size();
    }

    /** Redelivered copies: records beyond the distinct events. */
    int copies() {
      return records.size() - distinct.size();
    }

    /** The short type names of the distinct events, in the order first read. */
    List<String> types() {
      List<String> types = new ArrayList<>();
      distinct.forEach(f -> types.add(f.data().getDescriptorForType().getName()));
      return types;
    }
  }

  /** What Kafka holds for one order: its OrderPlaced, its payment outcome, its terminal event. */
  static final class Trail {
    final Tally placed = new Tally();
    final Tally outcomes = new Tally();
    final Tally terminal = new Tally();

    /**
     * What was applied more than once: more than one OrderPlaced, more than one payment outcome
     * (two PaymentCompleted with different payment ids, or a PaymentCompleted and a PaymentFailed),
     * more than one terminal order event. Empty when every step happened at most once.
     */
    List<String> duplicates() {
      List<String> found = new ArrayList<>();
      check(found, "OrderPlaced", placed);
      check(found, "payment outcome", outcomes);
      check(found, "terminal order event", terminal);
      return found;
    }

    private static void check(List<String> found, String what, Tally tally) {
      if (tally.distinct() > 1) {
        found.add(
            what
                + " "
                + tally.distinct()
                + " times in "
                + tally.records()
                + " records: "
                + tally.types());
      }
    }

    /**
     * What is missing for an order the REST API shows in {@code status}: its OrderPlaced; for a
     * CONFIRMED order a PaymentCompleted and an OrderConfirmed, for a CANCELLED one a PaymentFailed
     * and an OrderCancelled. Empty when the events match the status.
     */
    List<String> gaps(String status) {
      List<String> found = new ArrayList<>();
      if (placed.records() == 0) {
        found.add("no OrderPlaced");
      }
      String outcome =
          switch (status) {
            case "CONFIRMED" -> "PaymentCompleted";
            case "CANCELLED" -> "PaymentFailed";
            default -> null;
          };
      String end =
          switch (status) {
            case "CONFIRMED" -> "OrderConfirmed";
            case "CANCELLED" -> "OrderCancelled";
            default -> null;
          };
      if (end == null) {
        found.add("status " + status + " is not terminal");
      }
      if (outcome != null && !outcomes.types().contains(outcome)) {
        found.add(status + " without " + outcome + " (payment outcomes: " + outcomes.types() + ")");
      }
      if (end != null && !terminal.types().contains(end)) {
        found.add(status + " without " + end + " (terminal events: " + terminal.types() + ")");
      }
      return found;
    }
  }

  /**
   * Every OrderPlaced, OrderConfirmed, OrderCancelled, PaymentCompleted and PaymentFailed read from
   * Kafka, counted per order id.
   */
  static final class Ledger {
    private final Map<String, Trail> trails = new HashMap<>();

    /** The ledger of everything the order and payment topics hold now. */
    static Ledger read(String bootstrapServers) {
      try (Reader reader = new Reader(bootstrapServers)) {
        return reader.catchUp();
      }
    }

    /** Counts the event under its order; other events are ignored. */
    Ledger add(Event<?> event) {
      Message data = event.data();
      if (data instanceof OrderPlaced p) {
        trail(p.getOrder().getId()).placed.add(event);
      } else if (data instanceof OrderConfirmed c) {
        trail(c.getOrderId()).terminal.add(event);
      } else if (data instanceof OrderCancelled c) {
        trail(c.getOrderId()).terminal.add(event);
      } else if (data instanceof PaymentCompleted c) {
        trail(c.getOrderId()).outcomes.add(event);
      } else if (data instanceof PaymentFailed f) {
        trail(f.getOrderId()).outcomes.add(event);
      }
      return this;
    }

    /** The order's trail; an empty one when Kafka holds nothing for it. */
    Trail trail(String orderId) {
      return trails.computeIfAbsent(orderId, k -> new Trail());
    }

    /** Redelivered copies over the given orders, every kind of event together. */
    int copies(Collection<String> orderIds) {
      int copies = 0;
      for (String id : orderIds) {
        Trail trail = trail(id);
        copies += trail.placed.copies() + trail.outcomes.copies() + trail.terminal.copies();
      }
      return copies;
    }
  }

  /**
   * Reads the order and payment topics into one {@link Ledger}, from their start; each {@link
   * #catchUp()} goes on from where the last one stopped, so a test that audits again and again
   * reads every record once. Not thread-safe; survives a broker restart (the consumer reconnects).
   */
  static final class Reader implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final EventDeserializer decoder = new EventDeserializer();
    private final Ledger ledger = new Ledger();
    private long undecodable;

    Reader(String bootstrapServers) {
      Map<String, Object> props = new HashMap<>();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(Topics.ORDERS, Topics.PAYMENTS)) {
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
          partitions.add(new TopicPartition(topic, info.partition()));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    /** Reads up to the end the topics have now; the ledger of everything read so far. */
    Ledger catchUp() {
      Map<TopicPartition, Long> end =
          consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30));
      while (end.entrySet().stream()
          .anyMatch(e -> consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue())) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.value() == null) {
            continue;
          }
          try {
            ledger.add(decoder.deserialize(record.topic(), record.headers(), record.value()));
          } catch (EventDecodingException e) {
            // Poison a test wrote on purpose: no order's event (consumers park it, too).
            undecodable++;
          }
        }
      }
      return ledger;
    }

    /** Records skipped because they were no event. */
    long undecodable() {
      return undecodable;
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  static JsonObject getOrNull(FlowClient client, String path) {
    try {
      return client.getJson(path);
    } catch (Exception e) {
      return null;
    }
  }
}
