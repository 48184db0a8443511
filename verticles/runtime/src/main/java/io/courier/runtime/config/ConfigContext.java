package io.courier.runtime.config;

import java.util.List;
import java.util.Set;

/**
 * What checks beyond a record's own values may depend on: the profile, the roles this process runs
 * and the roles this build knows.
 *
 * @param profile the configured profile, e.g. {@code dev} or {@code prod}
 * @param roles the roles this process runs
 * @param knownRoles every role this build can run
 */
public record ConfigContext(String profile, List<String> roles, Set<String> knownRoles) {

  public ConfigContext {
    roles = List.copyOf(roles);
    knownRoles = Set.copyOf(knownRoles);
  }

  /**
   * Whether the profile is a production one ({@code prod} or {@code *-prod}), which refuses the
   * shortcuts of development.
   */
  public boolean prod() {
    return profile.equals("prod") || profile.endsWith("-prod");
  }

  /** Whether this process runs {@code role}. */
  public boolean runs(String role) {
    return roles.contains(role);
  }
}
