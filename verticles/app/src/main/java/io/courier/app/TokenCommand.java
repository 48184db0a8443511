package io.courier.app;

import io.courier.gateway.DevSigningKey;
import io.courier.gateway.GatewayConfig;
import io.courier.gateway.GatewayConfig.AuthConfig;
import io.courier.runtime.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code courier token}: a bearer token for the dev profile's gateway, signed ES256 with the
 * development key of {@code gateway.auth.devKeyDir} (created if missing). Only the token goes to
 * standard output, so {@code TOKEN=$(courier token --sub u-0001 --scope orders:write)} works.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description =
        "Mint a development bearer token: `courier token --sub u-0001 --scope orders:write`.")
final class TokenCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @Option(names = "--sub", required = true, description = "The subject (a user id).")
  String subject;

  @Option(
      names = "--scope",
      split = ",",
      description = "Scopes to grant (orders:write, orders:read, admin); repeat or separate by ,")
  List<String> scopes = List.of();

  @Option(
      names = "--ttl",
      defaultValue = "60",
      description = "Minutes the token stays valid. Default: ${DEFAULT-VALUE}")
  long minutes;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AuthConfig auth;
    try {
      auth = options.load().section(GatewayConfig.SECTION).auth();
    } catch (ConfigException e) {
      e.problems().forEach(problem -> err.println("courier: configuration error: " + problem));
      err.flush();
      return RunCommand.EXIT_CONFIG;
    }
    if (auth.devKeyDir().isBlank()) {
      err.println(
          "courier: this configuration has no gateway.auth.devKeyDir; tokens for it come from"
              + " its identity provider ("
              + (auth.jwksUrl().isBlank() ? "gateway.auth.mode is " + auth.mode() : auth.jwksUrl())
              + ")");
      err.flush();
      return 2;
    }
    if (minutes < 1) {
      err.println("courier: --ttl must be at least 1 minute");
      err.flush();
      return 2;
    }
    DevSigningKey key = DevSigningKey.loadOrCreate(Path.of(auth.devKeyDir()));
    out.println(
        key.mint(
            auth.issuer(),
            auth.audience(),
            subject,
            new LinkedHashSet<>(scopes),
            Duration.ofMinutes(minutes)));
    out.flush();
    return 0;
  }
}
