package io.courier.runtime;

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
}
