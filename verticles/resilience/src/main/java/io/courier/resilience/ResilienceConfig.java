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
 */
public record ResilienceConfig(String policyFile, long reloadPeriodMs) {

  public static final ResilienceConfig DEFAULTS =
      new ResilienceConfig("conf/resilience.json", 2000);

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
    new ConfigChecks().atLeast("reloadPeriodMs", reloadPeriodMs, 10).orThrow();
  }
}
