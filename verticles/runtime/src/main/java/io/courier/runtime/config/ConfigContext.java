package io.courier.runtime.config;

import java.util.List;
import java.util.Set;

/**
 * What checks beyond a record's own values may depend on: the profile, the roles this process runs
 * and the roles this build knows.
 *
 * @param profile the configured profile, e.g. {@code dev} or {@code prod}: a label only
 * @param production {@code security.production}: the deployment is a production one, which refuses
 *     the shortcuts of development whatever the profile is called
 * @param roles the roles this process runs
 * @param knownRoles every role this build can run
 */
public record ConfigContext(
    String profile, boolean production, List<String> roles, Set<String> knownRoles) {

  public ConfigContext {
    roles = List.copyOf(roles);
    knownRoles = Set.copyOf(knownRoles);
  }

  /** Whether this is a production deployment ({@code security.production}). */
  public boolean prod() {
    return production;
  }

  /** Whether this process runs {@code role}. */
  public boolean runs(String role) {
    return roles.contains(role);
  }
}
