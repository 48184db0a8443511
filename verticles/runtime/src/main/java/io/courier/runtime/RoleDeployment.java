package io.courier.runtime;

import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * One verticle deployment of a role.
 *
 * @param name a label for logs and errors
 * @param verticle makes one instance per {@code options.getInstances()}
 * @param options deployment options (instances, threading model)
 */
public record RoleDeployment(
    String name, Supplier<? extends Deployable> verticle, DeploymentOptions options) {

  public RoleDeployment {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(verticle, "verticle");
    options = new DeploymentOptions(Objects.requireNonNull(options, "options"));
  }

  /** A deployment of {@code instances} event-loop instances. */
  public static RoleDeployment of(
      String name, Supplier<? extends Deployable> verticle, int instances) {
    return new RoleDeployment(name, verticle, new DeploymentOptions().setInstances(instances));
  }
}
