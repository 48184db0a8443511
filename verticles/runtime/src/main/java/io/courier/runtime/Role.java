package io.courier.runtime;

import java.util.List;

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
}
