package io.courier.runtime.kafka;

import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.kafka.impl.KafkaBridgeVerticle;
import java.util.List;

/**
 * The {@code kafka-bridge} role: lets any verticle publish to Kafka by sending on the event bus,
 * and delivers Kafka events to event-bus handlers, as {@code kafka.bridge} maps them.
 */
public final class KafkaBridgeRole implements Role {

  public static final String NAME = "kafka-bridge";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(RoleDeployment.of(NAME, () -> new KafkaBridgeVerticle(context), 1));
  }
}
