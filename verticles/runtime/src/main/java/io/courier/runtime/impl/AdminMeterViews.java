package io.courier.runtime.impl;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The admin view's sections read from the process's meters: breakers, bulkheads, consumer lag. */
final class AdminMeterViews {

  private AdminMeterViews() {}

  /** Each target's breaker state: CLOSED, HALF_OPEN or OPEN. */
  static JsonObject breakers(MeterRegistry registry) {
    JsonObject breakers = new JsonObject();
    for (Gauge gauge : registry.find("courier.resilience.breaker.state").gauges()) {
      double value = gauge.value();
      breakers.put(
          gauge.getId().getTag("target"),
          value == 0 ? "CLOSED" : value == 1 ? "HALF_OPEN" : value == 2 ? "OPEN" : "UNKNOWN");
    }
    return breakers;
  }

  /** Each target's bulkhead: running, queued and its limit now. */
  static JsonObject bulkheads(MeterRegistry registry) {
    JsonObject bulkheads = new JsonObject();
    for (String measure : List.of("running", "queued", "limit")) {
      for (Gauge gauge : registry.find("courier.resilience.bulkhead." + measure).gauges()) {
        String target = gauge.getId().getTag("target");
        if (!bulkheads.containsKey(target)) {
          bulkheads.put(target, new JsonObject());
        }
        bulkheads.getJsonObject(target).put(measure, (long) gauge.value());
      }
    }
    return bulkheads;
  }

  /** Each consumer group's lag, in all and by partition. */
  static JsonObject consumers(MeterRegistry registry) {
    JsonObject consumers = new JsonObject();
    for (Gauge gauge : registry.find("courier.kafka.consumer.lag").gauges()) {
      consumers.put(
          gauge.getId().getTag("group"),
          new JsonObject().put("lag", (long) gauge.value()).put("partitions", new JsonObject()));
    }
    for (Gauge gauge : registry.find("courier.kafka.consumer.partition.lag").gauges()) {
      JsonObject group = consumers.getJsonObject(gauge.getId().getTag("group"));
      if (group != null) {
        group
            .getJsonObject("partitions")
            .put(
                gauge.getId().getTag("topic") + "-" + gauge.getId().getTag("partition"),
                (long) gauge.value());
      }
    }
    return consumers;
  }
}
