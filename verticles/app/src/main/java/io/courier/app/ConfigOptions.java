package io.courier.app;

import io.courier.runtime.Roles;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command that reads configuration shares. */
final class ConfigOptions {

  static final Path DEFAULT_CONFIG = Path.of("conf", "dev.json");

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "JSON configuration file. Default: $COURIER_CONFIG, else conf/dev.json if present,"
              + " else built-in defaults.")
  Path config;

  @Option(
      names = {"-r", "--roles"},
      split = ",",
      paramLabel = "ROLE",
      description = "Roles to run, overriding the file's 'roles' (comma-separated).")
  List<String> roles;

  /** The configuration file to read, or null for built-in defaults only. */
  Path file() {
    if (config != null) {
      return config;
    }
    String fromEnv = System.getenv("COURIER_CONFIG");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    return Files.exists(DEFAULT_CONFIG) ? DEFAULT_CONFIG : null;
  }

  /** Loads and validates the configuration with every override applied. */
  CourierConfig load() {
    Map<String, ConfigLoader.Override> overrides = new LinkedHashMap<>();
    if (roles != null) {
      overrides.put("roles", new ConfigLoader.Override(String.join(",", roles), "--roles"));
    }
    return Roles.configLoader().load(file(), overrides);
  }
}
