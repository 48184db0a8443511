package io.courier.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.kafka.KafkaBridgeRole;
import io.courier.runtime.kafka.NonRetryableException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The kafka-bridge role")
class KafkaBridgeIT {

  private CourierRuntime runtime;

  @AfterEach
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "publishes what is sent on the bus and delivers the topic to a bus handler, parking refusals")
  void shouldBridgeBusAndKafkaBothWays(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "bridge-" + UUID.randomUUID();
    Promise<MultiMap> delivered = Promise.promise();
    Role orders =
        TestRoles.starting(
            "orders",
            (context, vertx) ->
                vertx
                    .eventBus()
                    .<OrderPlaced>consumer(
                        "orders.in",
                        message -> {
                          if (message.headers().get("ce_subject").equals("refuse")) {
                            message.fail(422, "order refused");
                          } else {
                            delivered.tryComplete(message.headers());
                            message.reply("ok");
                          }
                        })
                    .completion());
    runtime =
        CourierRuntime.start(
                new ConfigLoader(
                        Map.of(),
                        Map.of(
                            "courier.kafka.bootstrapServers", kafka.bootstrapServers(),
                            "courier.roles", "orders,kafka-bridge",
                            "courier.kafka.consumer.groupId", "bridge-" + UUID.randomUUID(),
                            "courier.kafka.bridge.publish", "orders.out=" + topic,
                            "courier.kafka.bridge.consume", topic + "=orders.in"),
                        TestRoles.named("orders", KafkaBridgeRole.NAME))
                    .load(null),
                Map.of("orders", orders, KafkaBridgeRole.NAME, new KafkaBridgeRole()))
            .await(60, TimeUnit.SECONDS);

    JsonObject published =
        request(placed("o-1"), new DeliveryOptions().addHeader("ce_subject", "o-1"))
            .await(30, TimeUnit.SECONDS);
    assertThat(published.getString("topic")).isEqualTo(topic);
    assertThat(published.getLong("offset")).isNotNegative();

    MultiMap headers = delivered.future().await(60, TimeUnit.SECONDS);
    assertThat(headers.get("ce_id")).isEqualTo(published.getString("id"));
    assertThat(headers.get("ce_type")).isEqualTo("courier.v1.OrderPlaced");
    assertThat(headers.get("ce_subject")).isEqualTo("o-1");

    Throwable missingSubject =
        request(placed("o-2"), new DeliveryOptions())
            .toCompletionStage()
            .handle((r, e) -> e)
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertThat(missingSubject)
        .isInstanceOf(ReplyException.class)
        .hasMessage("missing ce_subject header (the event's key)");
    assertThat(((ReplyException) missingSubject).failureCode()).isEqualTo(400);

    request(placed("refuse"), new DeliveryOptions().addHeader("ce_subject", "refuse"))
        .await(30, TimeUnit.SECONDS);
    DeadLetters deadLetters = new DeadLetters(runtime.vertx(), kafka.bootstrapServers());
    List<DeadLetters.DeadLetter> parked = List.of();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (parked.isEmpty() && System.nanoTime() < deadline) {
      parked = deadLetters.list(topic, 10).await(30, TimeUnit.SECONDS);
    }
    assertThat(parked)
        .singleElement()
        .satisfies(
            letter -> {
              assertThat(letter.key()).isEqualTo("refuse");
              assertThat(letter.headers())
                  .containsEntry(
                      DeliveryHeaders.ERROR_CLASS, NonRetryableException.class.getName());
              assertThat(letter.headers().get(DeliveryHeaders.ERROR_MESSAGE))
                  .contains("order refused");
            });
  }

  private Future<JsonObject> request(OrderPlaced body, DeliveryOptions options) {
    return runtime
        .vertx()
        .eventBus()
        .<JsonObject>request("orders.out", body, options)
        .map(m -> m.body());
  }

  private static OrderPlaced placed(String id) {
    return OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId(id)).build();
  }
}
