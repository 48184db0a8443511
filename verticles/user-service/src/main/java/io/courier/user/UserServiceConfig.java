package io.courier.user;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The user service: the {@code services.user} section.
 *
 * @param grpcPort gRPC port (UserService); 0 picks a free one, registered in discovery
 * @param seedFile JSON file of the users loaded at start
 */
public record UserServiceConfig(int grpcPort, String seedFile) {

  public static final UserServiceConfig DEFAULTS = new UserServiceConfig(0, "conf/seed/users.json");

  /** The section; the seed file must exist where the role runs. */
  public static final ConfigSection<UserServiceConfig> SECTION =
      ConfigSection.of("services.user", UserServiceConfig.class, DEFAULTS)
          .checkedBy(
              (config, checks, context) -> {
                if (context.runs(UserServiceRole.NAME)) {
                  checks.existingFile("seedFile", config.seedFile());
                }
              });

  public UserServiceConfig {
    new ConfigChecks().port("grpcPort", grpcPort).orThrow();
  }
}
