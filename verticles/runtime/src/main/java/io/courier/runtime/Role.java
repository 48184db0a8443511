package io.courier.runtime;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A named part of the platform that a process can run, e.g. {@code gateway} or {@code
 * order-service}. Roles are found with {@link java.util.ServiceLoader}: a module that provides one
 * lists it in {@code META-INF/services/io.courier.runtime.Role}.
 */
public interface Role {

  /** The name used in {@code roles} and {@code --roles}. */
  String name();

  /** The verticles to deploy, in order; each deployment's future must succeed before the next. */
  List<RoleDeployment> deployments(RoleContext context);

  /** A role from a name and a function giving its deployments; handy for small roles and tests. */
  static Role of(String name, Function<RoleContext, List<RoleDeployment>> deployments) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(deployments, "deployments");
    return new Role() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<RoleDeployment> deployments(RoleContext context) {
        return deployments.apply(context);
      }
    };
  }
}
