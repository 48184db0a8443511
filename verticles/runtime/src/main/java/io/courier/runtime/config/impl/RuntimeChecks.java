package io.courier.runtime.config.impl;

import io.courier.runtime.config.AdminConfig;
import io.courier.runtime.config.ClusterConfig;
import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigContext;
import io.courier.runtime.config.ConfigSection;
import io.courier.runtime.config.DiscoveryConfig;
import io.courier.runtime.config.GrpcConfig;
import io.courier.runtime.config.IdentityConfig;
import io.courier.runtime.config.KafkaConfig;
import io.courier.runtime.config.ManagementConfig;
import io.courier.runtime.config.MetricsConfig;
import io.courier.runtime.config.MtlsConfig;
import io.courier.runtime.config.SecurityConfig;
import io.courier.runtime.config.ServicesConfig;
import io.courier.runtime.config.ShutdownConfig;
import io.courier.runtime.config.TracingConfig;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The runtime's own sections, and the checks of their values that the records cannot make alone:
 * the roles named, what production (security.production) refuses, and files that must exist.
 */
public final class RuntimeChecks {

  /** The runtime's sections, in the order a file lists them. */
  public static final List<ConfigSection<?>> SECTIONS =
      List.of(
          ConfigSection.of("cluster", ClusterConfig.class, ClusterConfig.DEFAULTS),
          ConfigSection.of("kafka", KafkaConfig.class, KafkaConfig.DEFAULTS)
              .checkedBy(RuntimeChecks::kafka),
          ConfigSection.of("discovery", DiscoveryConfig.class, DiscoveryConfig.DEFAULTS)
              .checkedBy(RuntimeChecks::discovery),
          ConfigSection.of("services", ServicesConfig.class, ServicesConfig.DEFAULTS),
          ConfigSection.of("grpc", GrpcConfig.class, GrpcConfig.DEFAULTS),
          ConfigSection.of("shutdown", ShutdownConfig.class, ShutdownConfig.DEFAULTS),
          ConfigSection.of("metrics", MetricsConfig.class, MetricsConfig.DEFAULTS),
          ConfigSection.of("tracing", TracingConfig.class, TracingConfig.DEFAULTS),
          ConfigSection.of("admin", AdminConfig.class, AdminConfig.DEFAULTS)
              .checkedBy(RuntimeChecks::admin),
          ConfigSection.of("management", ManagementConfig.class, ManagementConfig.DEFAULTS),
          ConfigSection.of("security", SecurityConfig.class, SecurityConfig.DEFAULTS)
              .checkedBy(RuntimeChecks::security));

  private RuntimeChecks() {}

  /** The {@code roles} key: at least one, each known, none twice. */
  public static void roles(List<String> roles, ConfigChecks checks, ConfigContext context) {
    if (roles.isEmpty()) {
      checks.missing("roles", "at least one role");
    }
    for (int i = 0; i < roles.size(); i++) {
      String role = roles.get(i);
      if (!context.knownRoles().contains(role)) {
        checks.invalid(
            "roles", "names unknown role '" + role + "'; known roles: " + known(context));
      }
      if (roles.indexOf(role) != i) {
        checks.invalid("roles", "names role '" + role + "' twice");
      }
    }
  }

  private static void kafka(KafkaConfig kafka, ConfigChecks checks, ConfigContext context) {
    if (kafka.needsBootstrapServers()) {
      checks.missing(
          "bootstrapServers", "the Kafka brokers as host:port,... (or enable kafka.embedded)");
    }
    if (kafka.embedded().enabled() && !kafka.security().protocol().equals("PLAINTEXT")) {
      checks.invalid(
          "security.protocol",
          "is "
              + kafka.security().protocol()
              + ", but the embedded broker (kafka.embedded.enabled) speaks PLAINTEXT only");
    }
    if (context.prod() && kafka.embedded().enabled()) {
      checks.invalid(
          "embedded.enabled",
          "is true, which production (security.production) refuses: the embedded broker is one"
              + " node in this process, so an acknowledged write has one copy");
    }
  }

  private static void discovery(
      DiscoveryConfig discovery, ConfigChecks checks, ConfigContext context) {
    if (!discovery.consul() && !discovery.consulImport()) {
      return;
    }
    if (!discovery.consulCaFile().isBlank()) {
      if (!discovery.consulTls()) {
        checks.invalid(
            "consulCaFile", "is set but discovery.consulTls is false: the CA would not be used");
      }
      checks.existingFile("consulCaFile", discovery.consulCaFile(), "a PEM file");
    }
    if (discovery.consulAclToken().chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      checks.invalid("consulAclToken", "holds whitespace or characters a header cannot carry");
    }
  }

  private static void admin(AdminConfig admin, ConfigChecks checks, ConfigContext context) {
    if (context.prod() && admin.faultInjection()) {
      checks.invalid(
          "faultInjection",
          "is true, which production (security.production) refuses: it lets anyone who reaches"
              + " the admin port fail the services");
    }
    if (admin.enabled() && !admin.loopback() && !admin.authenticated()) {
      checks.invalid(
          "host",
          "is '"
              + admin.host()
              + "', which is not loopback, and admin.tokenFile is empty"
              + (context.prod()
                  ? ", which no profile allows, production (security.production) included"
                  : "")
              + ": anyone who reaches the"
              + " admin port could read the cluster and replay dead letters; set admin.tokenFile"
              + " to a file holding a bearer token (from a Secret), or keep admin.host on"
              + " 127.0.0.1 and reach it with kubectl port-forward");
    }
    if (admin.authenticated()) {
      checks.existingFile("tokenFile", admin.tokenFile(), "a file holding the bearer token");
      String token = AdminTokens.read(admin.tokenFile());
      if (token != null && !AdminTokens.headerSafe(token)) {
        checks.invalid(
            "tokenFile",
            "names a file whose token holds whitespace or characters a header cannot carry");
      } else if (token != null && token.length() < AdminTokens.MIN_LENGTH) {
        checks.invalid(
            "tokenFile",
            "names a file whose token has "
                + token.length()
                + " characters; a bearer token needs at least "
                + AdminTokens.MIN_LENGTH
                + " (e.g. openssl rand -hex 32)");
      }
    }
  }

  private static void security(
      SecurityConfig security, ConfigChecks checks, ConfigContext context) {
    IdentityConfig identity = security.identity();
    if (identity.required() && identity.none()) {
      checks.missing(
          "identity.key",
          "the identity key (base64 of 32 random bytes, from a Secret as"
              + " COURIER_SECURITY_IDENTITY_KEY): identity.required is true");
    }
    if (context.prod() && !identity.devKeyDir().isBlank()) {
      checks.invalid(
          "identity.devKeyDir",
          "is set, which production (security.production) refuses: give security.identity.key"
              + " from a Secret");
    }
    if (context.prod() && !identity.required()) {
      checks.invalid(
          "identity.required",
          "is false, which production (security.production) refuses: a peer asserting no"
              + " identity would act as the"
              + " platform");
    }
    MtlsConfig mtls = security.mtls();
    if (context.prod() && !mtls.enabled()) {
      checks.invalid(
          "mtls.enabled",
          "is false, which production (security.production) refuses: gRPC and the event bus"
              + " between services would be"
              + " cleartext and unauthenticated");
    }
    if (mtls.enabled()) {
      checks.existingFile("mtls.certFile", mtls.certFile(), "this process's PEM certificate chain");
      checks.existingFile("mtls.keyFile", mtls.keyFile(), "its PEM private key");
      checks.existingFile("mtls.caFile", mtls.caFile(), "the PEM certificate of the trusted CA");
    }
    for (String entry : mtls.allowedPeers()) {
      String server = MtlsConfig.serverOf(entry);
      if (!MtlsConfig.wellFormed(entry)) {
        checks.invalid(
            "mtls.allowedPeers",
            "holds '"
                + entry
                + "', which is not peer, server-role=peer or server-role/Method=peer");
      } else if (!server.isEmpty() && !context.knownRoles().contains(server)) {
        checks.invalid(
            "mtls.allowedPeers",
            "holds '"
                + entry
                + "', whose server '"
                + server
                + "' is no role; known roles: "
                + known(context));
      }
    }
  }

  private static String known(ConfigContext context) {
    return context.knownRoles().stream().sorted().collect(Collectors.joining(", "));
  }
}
