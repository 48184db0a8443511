package io.courier.runtime.kafka;

import io.courier.runtime.health.Readiness;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.tracing.KafkaTracing;
import io.vertx.core.Vertx;
import java.util.Objects;

/**
 * What Courier's Kafka clients report to: the process's meters, the trace context they carry
 * through record headers, and the readiness checks a consumer adds while it runs. A runtime hands
 * its own to the clients it creates for roles.
 *
 * @param meters where publish and consume meters go
 * @param tracing spans and trace context of published and consumed records
 * @param readiness where a consumer adds its check
 */
public record KafkaObservability(Meters meters, KafkaTracing tracing, Readiness readiness) {

  public KafkaObservability {
    Objects.requireNonNull(meters, "meters");
    Objects.requireNonNull(tracing, "tracing");
    Objects.requireNonNull(readiness, "readiness");
  }

  /** No meters, no tracing, and readiness checks of their own: clients used outside a runtime. */
  public static KafkaObservability none(Vertx vertx) {
    return new KafkaObservability(Meters.none(), KafkaTracing.none(), Readiness.create(vertx));
  }
}
