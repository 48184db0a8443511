package io.courier.notification;

import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import java.util.List;

/** The {@code notification-service} role: one {@link NotificationVerticle}. */
public final class NotificationServiceRole implements Role {

  public static final String NAME = "notification-service";

  /** The consumer group of the role's Kafka consumers. */
  public static final String CONSUMER_GROUP = NAME;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ConfigSection<?>> configSections() {
    return List.of(NotificationServiceConfig.SECTION);
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(RoleDeployment.of("notifications", () -> new NotificationVerticle(context), 1));
  }
}
