package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.runtime.RoleContext;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Context;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The process's order watches outlive the gateway verticles that use them. */
@DisplayName("The order watches of a process")
class OrderWatchesRestartIT extends OrderWatchFixture {

  /** What a watch wrote: its states, and why it failed, if it did. */
  private static final class Recording implements OrderWatch.Sink {
    final List<Order> written = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public void drainHandler(Runnable drained) {}

    @Override
    public void write(Order order, boolean last) {
      written.add(order);
    }

    @Override
    public void fail(String why) {
      failures.add(why);
    }
  }

  /** The runtime's configuration and Kafka connection, meters of its own. */
  private static RoleContext role() {
    KafkaConnection kafka = KafkaConnection.plaintext(runtime.bootstrapServers());
    InvocationHandler handler =
        (proxy, method, args) ->
            switch (method.getName()) {
              case "config" ->
                  args == null ? config : InvocationHandler.invokeDefault(proxy, method, args);
              case "kafkaConnection" -> kafka;
              case "meters" -> Meters.none();
              default -> throw new UnsupportedOperationException(method.getName());
            };
    return (RoleContext)
        Proxy.newProxyInstance(
            RoleContext.class.getClassLoader(), new Class<?>[] {RoleContext.class}, handler);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  @DisplayName("start their consumer again for a gateway deployed after the last one released them")
  void shouldStartAgainAfterTheLastRelease() throws Exception {
    OrderWatches watches = new OrderWatches(role());
    Context context = runtime.vertx().getOrCreateContext();

    watches.acquire(runtime.vertx());
    OrderWatch first = new OrderWatch("restart-1", context, new Recording(), watches);
    first.open().await(30, TimeUnit.SECONDS);
    context.runOnContext(v -> first.close());
    watches.release().await(10, TimeUnit.SECONDS);

    // A gateway verticle redeployed in the same process: before, its watches never started.
    watches.acquire(runtime.vertx());
    Recording sink = new Recording();
    OrderWatch second = new OrderWatch("restart-2", context, sink, watches);
    try {
      second.open().await(30, TimeUnit.SECONDS);
      Order placed = order("restart-2", 1, 1);
      context.runOnContext(v -> second.start(placed));
      Order later = order("restart-2", 2, 2);
      publish(OrderPlaced.newBuilder().setOrder(later).build(), later.getId());
      await("the newer state reaches the watch", () -> sink.written.contains(later));
      assertThat(sink.written).containsExactly(placed, later);
      assertThat(sink.failures).isEmpty();
    } finally {
      context.runOnContext(v -> second.close());
      watches.release().await(10, TimeUnit.SECONDS);
    }
  }
}
