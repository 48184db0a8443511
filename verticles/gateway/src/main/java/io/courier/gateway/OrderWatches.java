package io.courier.gateway;

import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.runtime.RoleContext;
import io.courier.runtime.metrics.Meters;
import io.courier.service.StateTopics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's watches of orders ({@link OrderWatch}): one Kafka consumer of {@value
 * Topics#ORDERS}, on a thread of its own, reading every partition from its end onwards (no group:
 * every gateway sees every order's events) and handing each order state to the watches of that
 * order, on their own contexts. The consumer starts with the first watch and stops when the last
 * verticle using it stops.
 *
 * <p>Measured: {@code courier.gateway.order.watches} (open watches), {@code
 * courier.gateway.order.watch.pending} (states held back from slow readers, at most one per watch)
 * and {@code courier.gateway.order.watch.coalesced} (states replaced by a newer one before a slow
 * reader could take them).
 */
final class OrderWatches {

  private static final Logger LOG = LoggerFactory.getLogger(OrderWatches.class);

  private final RoleContext context;
  private volatile Vertx vertx;
  private final Map<String, Set<OrderWatch>> byOrder = new ConcurrentHashMap<>();
  private final Set<OrderWatch> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger users = new AtomicInteger();
  private final Runnable countCoalesced;
  private Future<Void> started;

  /** The consumer's thread of the current start, if any; under this object's lock. */
  private Poller poller;

  OrderWatches(RoleContext context) {
    this.context = context;
    Meters meters = context.meters();
    meters.gauge(
        "courier.gateway.order.watches", "Open watches of orders (gRPC and SSE)", open::size);
    meters.gauge(
        "courier.gateway.order.watch.pending",
        "Order states held back from slow readers (at most one per watch)",
        () -> open.stream().mapToInt(OrderWatch::pending).sum());
    countCoalesced =
        meters.counter(
            "courier.gateway.order.watch.coalesced",
            "Order states replaced by a newer one before a slow reader took them");
  }

  /** A verticle of {@code vertx} starts using the watches. */
  void acquire(Vertx vertx) {
    this.vertx = vertx;
    users.incrementAndGet();
  }

  /** A verticle stops using them: the last one stops the consumer. */
  Future<Void> release() {
    if (users.decrementAndGet() > 0) {
      return Future.succeededFuture();
    }
    return stop();
  }

  /** How many watches are open. */
  int size() {
    return open.size();
  }

  /** States held back from slow readers, over every open watch. */
  int pending() {
    return open.stream().mapToInt(OrderWatch::pending).sum();
  }

  /**
   * Registers {@code watch}; completes once the consumer reads the orders topic, so that every
   * event written after this completes reaches the watch.
   */
  Future<Void> add(OrderWatch watch) {
    open.add(watch);
    byOrder.computeIfAbsent(watch.orderId(), id -> ConcurrentHashMap.newKeySet()).add(watch);
    return start();
  }

  /** Forgets {@code watch} (idempotent). */
  void remove(OrderWatch watch) {
    open.remove(watch);
    byOrder.computeIfPresent(
        watch.orderId(),
        (id, watches) -> {
          watches.remove(watch);
          return watches.isEmpty() ? null : watches;
        });
  }

  /** A state a slow reader did not get, a newer one replacing it. */
  void coalesced() {
    countCoalesced.run();
  }

  private synchronized Future<Void> start() {
    if (started == null || started.failed()) {
      Promise<Void> positioned = Promise.promise();
      started = positioned.future();
      Poller next = new Poller();
      poller = next;
      StateTopics.ensure(
              vertx,
              context.kafkaConnection(),
              context.config().kafka().topics(),
              List.of(Topics.ORDERS))
          .onComplete(
              ensured -> {
                if (ensured.failed()) {
                  positioned.fail(ensured.cause());
                  return;
                }
                Thread thread = new Thread(() -> next.poll(positioned), "courier-order-watches");
                thread.setDaemon(true);
                thread.start();
              });
    }
    return started;
  }

  /** Stops the current consumer; a later watch starts a new one (a redeployed gateway's). */
  private synchronized Future<Void> stop() {
    if (poller != null) {
      poller.stop();
      poller = null;
    }
    started = null;
    return Future.succeededFuture();
  }

  /** One start's consumer: stopped once, never restarted (the next start makes another). */
  private final class Poller {
    private volatile boolean stopping;
    private KafkaConsumer<String, byte[]> consumer;

    synchronized void stop() {
      stopping = true;
      if (consumer != null) {
        consumer.wakeup();
      }
    }

    /** The consumer's thread: positions at the end of every partition, then hands on each state. */
    void poll(Promise<Void> positioned) {
      Map<String, Object> props = new HashMap<>(context.kafkaConnection().properties());
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      props.put(ConsumerConfig.CLIENT_ID_CONFIG, "courier-gateway-order-watches");
      EventDeserializer decoder = new EventDeserializer();
      try (KafkaConsumer<String, byte[]> kafka =
          new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
        synchronized (this) {
          consumer = kafka;
          if (stopping) {
            positioned.tryFail("the gateway is stopping");
            return;
          }
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : kafka.partitionsFor(Topics.ORDERS, Duration.ofSeconds(30))) {
          partitions.add(new TopicPartition(Topics.ORDERS, info.partition()));
        }
        kafka.assign(partitions);
        kafka.seekToEnd(partitions);
        // Resolves the positions now: what is written from here on is read.
        partitions.forEach(kafka::position);
        positioned.tryComplete();
        while (!stopping) {
          for (ConsumerRecord<String, byte[]> record : kafka.poll(Duration.ofMillis(500))) {
            Set<OrderWatch> watching = byOrder.get(String.valueOf(record.key()));
            if (watching == null || record.value() == null) {
              continue;
            }
            Order order = decode(decoder, record);
            if (order != null) {
              watching.forEach(watch -> watch.arrived(order));
            }
          }
        }
      } catch (WakeupException stopped) {
        LOG.debug("order watches stopped");
      } catch (RuntimeException e) {
        LOG.warn("order watches stopped reading {}: {}", Topics.ORDERS, e.toString());
        positioned.tryFail(e);
        open.forEach(watch -> watch.broken("the orders topic cannot be read"));
      } finally {
        synchronized (this) {
          consumer = null;
        }
      }
    }
  }

  /** The order a record of the orders topic carries, or null for one that does not decode. */
  private static Order decode(EventDeserializer decoder, ConsumerRecord<String, byte[]> record) {
    try {
      Event<?> event = decoder.deserialize(record.topic(), record.headers(), record.value());
      return orderOf(event.data());
    } catch (EventDecodingException e) {
      LOG.debug(
          "skipping undecodable {}-{}@{}", record.topic(), record.partition(), record.offset());
      return null;
    }
  }

  static Order orderOf(Object data) {
    if (data instanceof OrderPlaced placed) {
      return placed.getOrder();
    }
    if (data instanceof OrderConfirmed confirmed && confirmed.hasOrder()) {
      return confirmed.getOrder();
    }
    if (data instanceof OrderCancelled cancelled && cancelled.hasOrder()) {
      return cancelled.getOrder();
    }
    return null;
  }
}
