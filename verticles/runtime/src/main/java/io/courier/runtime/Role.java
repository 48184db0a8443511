package io.courier.runtime;

import io.courier.runtime.config.ConfigSection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * A named part of the platform that a process can run, e.g. {@code gateway} or {@code
 * order-service}. Roles are found with {@link java.util.ServiceLoader}: a module that provides one
 * lists it in {@code META-INF/services/io.courier.runtime.Role}. The runtime knows no role by name:
 * it asks each for what it contributes and iterates.
 *
 * <ul>
 *   <li>{@link #configSections()}: the parts of the configuration the role owns (a record with
 *       defaults and a validating constructor each), read by the same loader as the runtime's own;
 *   <li>{@link #faultPoints()}: where chaos tests may slow down or fail the role;
 *   <li>{@link #deployments}: its verticles, which add readiness checks, consumers and discovery
 *       registrations through the {@link RoleContext} they are given.
 * </ul>
 */
public interface Role {

  /** The name used in {@code roles} and {@code --roles}. */
  String name();

  /**
   * The configuration sections this role reads. Every section of every role on the classpath is
   * known to the loader, whichever roles a process runs.
   */
  default List<ConfigSection<?>> configSections() {
    return List.of();
  }

  /**
   * Whether a process runs this role when its configuration names none (the platform's edge, say).
   */
  default boolean runsByDefault() {
    return false;
  }

  /** The fault points this role's code offers to {@code PUT /admin/faults/{point}}. */
  default Set<String> faultPoints() {
    return Set.of();
  }

  /** The verticles to deploy, in order; each deployment's future must succeed before the next. */
  List<RoleDeployment> deployments(RoleContext context);

  /** A role from a name and a function giving its deployments; handy for small roles and tests. */
  static Role of(String name, Function<RoleContext, List<RoleDeployment>> deployments) {
    return of(name, List.of(), deployments);
  }

  /** A role that also owns configuration sections. */
  static Role of(
      String name,
      List<ConfigSection<?>> sections,
      Function<RoleContext, List<RoleDeployment>> deployments) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(deployments, "deployments");
    List<ConfigSection<?>> owned = List.copyOf(sections);
    return new Role() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<ConfigSection<?>> configSections() {
        return owned;
      }

      @Override
      public List<RoleDeployment> deployments(RoleContext context) {
        return deployments.apply(context);
      }
    };
  }
}
