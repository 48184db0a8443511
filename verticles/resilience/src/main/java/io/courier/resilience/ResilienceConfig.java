package io.courier.resilience;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * Where the resilience policies are read from: the {@code resilience} section, shared by the {@code
 * resilience} role (its proxy serves the file's targets) and every service whose calls and inbound
 * limits follow the file.
 *
 * @param policyFile JSON file of policies and targets
 * @param reloadPeriodMs how often the file is checked for changes
 * @param consulKey a Consul KV key (on the agent {@code discovery.consulHost}/{@code consulPort},
 *     with its token and TLS) whose value, while it has one, is the policies in force instead of
 *     the file: the same JSON, validated the same way, followed with blocking queries; empty reads
 *     the file only
 */
public record ResilienceConfig(String policyFile, long reloadPeriodMs, String consulKey) {

  public static final ResilienceConfig DEFAULTS =
      new ResilienceConfig("conf/resilience.json", 2000, "");

  /** The section, declared by every role that reads the policy file. */
  public static final ConfigSection<ResilienceConfig> SECTION =
      ConfigSection.of("resilience", ResilienceConfig.class, DEFAULTS)
          .checkedBy(
              (config, checks, context) -> {
                if (context.runs(ResilienceRole.NAME)) {
                  checks.text("policyFile", config.policyFile());
                }
              });

  public ResilienceConfig {
    ConfigChecks checks = new ConfigChecks().atLeast("reloadPeriodMs", reloadPeriodMs, 10);
    if (consulKey.startsWith("/") || consulKey.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
      checks.invalid(
          "consulKey",
          "is '"
              + consulKey
              + "'; a Consul KV key has no leading '/' and no spaces or control characters"
              + " (e.g. courier/resilience)");
    }
    checks.orThrow();
  }

  /** Whether the policies also come from a Consul KV key. */
  public boolean fromConsul() {
    return !consulKey.isBlank();
  }
}
