package io.courier.runtime;

import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.ConfigSection;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The roles on the classpath, found with {@link ServiceLoader}. */
public final class Roles {

  private Roles() {}

  /** Every role this build can run, by name. */
  public static Map<String, Role> available() {
    Map<String, Role> roles = new TreeMap<>();
    for (Role role : ServiceLoader.load(Role.class)) {
      Role previous = roles.put(role.name(), role);
      if (previous != null) {
        throw new IllegalStateException(
            "two roles named '"
                + role.name()
                + "': "
                + previous.getClass().getName()
                + " and "
                + role.getClass().getName());
      }
    }
    return roles;
  }

  /** Each role's name with the configuration sections it declares. */
  public static Map<String, List<ConfigSection<?>>> configSections(Collection<Role> roles) {
    Map<String, List<ConfigSection<?>>> sections = new TreeMap<>();
    roles.forEach(role -> sections.put(role.name(), role.configSections()));
    return sections;
  }

  /** The roles that run when a configuration names none, in name order. */
  public static List<String> defaults(Collection<Role> roles) {
    return roles.stream().filter(Role::runsByDefault).map(Role::name).sorted().toList();
  }

  /**
   * A loader that knows these roles' sections and defaults, reading the given environment and
   * properties.
   */
  public static ConfigLoader configLoader(
      Map<String, String> environment,
      Map<String, String> systemProperties,
      Map<String, Role> roles) {
    return new ConfigLoader(
        environment, systemProperties, configSections(roles.values()), defaults(roles.values()));
  }

  /** A loader for the roles on the classpath, reading this process's environment and properties. */
  public static ConfigLoader configLoader() {
    Collection<Role> roles = available().values();
    return ConfigLoader.fromSystem(configSections(roles), defaults(roles));
  }
}
