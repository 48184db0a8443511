package io.courier.runtime.config.impl;

import com.fasterxml.jackson.databind.JsonMappingException;
import io.courier.runtime.config.CourierConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Checks the values of a bound configuration; each problem names the key and its origin. */
public final class ConfigValidator {

  private static final Pattern HOST_PORT = Pattern.compile("[^\\s:,]+:\\d{1,5}");
  private static final Set<String> DISCOVERY_BACKENDS = Set.of("embedded", "consul");
  private static final Set<String> AUTH_MODES = Set.of("none", "jwt");

  /** The gateway's REST operations (operationIds of its OpenAPI document). */
  private static final Set<String> GATEWAY_OPERATIONS =
      Set.of("placeOrder", "getOrder", "getUser", "getStock");

  private final Set<String> knownRoles;
  private final Map<String, String> origins;
  private final String fallbackOrigin;
  private final List<String> problems = new ArrayList<>();

  /**
   * @param knownRoles the roles this build can run
   * @param origins where each key's value came from
   * @param fallbackOrigin named for keys no layer set: the config file, or "built-in default"
   */
  public ConfigValidator(
      Set<String> knownRoles, Map<String, String> origins, String fallbackOrigin) {
    this.knownRoles = knownRoles;
    this.origins = origins;
    this.fallbackOrigin = fallbackOrigin;
  }

  public List<String> validate(CourierConfig config) {
    problems.clear();
    roles(config);
    cluster(config.cluster());
    kafka(config.kafka());
    discovery(config.discovery());
    port("gateway.port", config.gateway().port());
    text("gateway.host", config.gateway().host());
    atLeast("gateway.instances", config.gateway().instances(), 1);
    atLeast("shutdown.drainTimeoutMs", config.shutdown().drainTimeoutMs(), 1);
    atLeast("shutdown.quietPeriodMs", config.shutdown().quietPeriodMs(), 0);
    if (config.shutdown().quietPeriodMs() >= config.shutdown().drainTimeoutMs()) {
      problems.add(
          "key 'shutdown.quietPeriodMs' ("
              + origin("shutdown.quietPeriodMs")
              + ") must be shorter than shutdown.drainTimeoutMs, which includes it");
    }
    List<Long> slo = config.metrics().sloMillis();
    for (int i = 0; i < slo.size(); i++) {
      if (slo.get(i) <= 0 || (i > 0 && slo.get(i) <= slo.get(i - 1))) {
        problems.add(
            "key 'metrics.sloMillis' ("
                + origin("metrics.sloMillis")
                + ") is "
                + slo
                + "; must be positive and ascending");
        break;
      }
    }
    share("tracing.sampleRatio", config.tracing().sampleRatio());
    url("tracing.otlpEndpoint", config.tracing().otlpEndpoint());
    text("tracing.serviceName", config.tracing().serviceName());
    text("admin.host", config.admin().host());
    port("admin.port", config.admin().port());
    boolean prodProfile = config.profile().equals("prod") || config.profile().endsWith("-prod");
    if (prodProfile && config.admin().faultInjection()) {
      problems.add(
          "key 'admin.faultInjection' ("
              + origin("admin.faultInjection")
              + ") is true, which the prod profile refuses: it lets anyone who reaches the admin"
              + " port fail the services");
    }
    text("management.host", config.management().host());
    port("management.port", config.management().port());
    if (config.roles().contains("resilience")) {
      text("resilience.policyFile", config.resilience().policyFile());
    }
    atLeast("resilience.reloadPeriodMs", config.resilience().reloadPeriodMs(), 10);
    port("gateway.grpcPort", config.gateway().grpcPort());
    atLeast("gateway.maxBodyBytes", config.gateway().maxBodyBytes(), 256);
    atLeast("gateway.requestTimeoutMs", config.gateway().requestTimeoutMs(), 1);
    atLeast("gateway.maxHeaderBytes", config.gateway().maxHeaderBytes(), 1024);
    atLeast("gateway.maxUriLength", config.gateway().maxUriLength(), 256);
    atLeast("gateway.headerTimeoutMs", config.gateway().headerTimeoutMs(), 100);
    atLeast("gateway.idleTimeoutMs", config.gateway().idleTimeoutMs(), 1000);
    if (config.gateway().tls().enabled()) {
      existingFile("gateway.tls.certFile", config.gateway().tls().certFile(), "a PEM certificate");
      existingFile("gateway.tls.keyFile", config.gateway().tls().keyFile(), "a PEM private key");
      atLeast("gateway.tls.reloadPeriodMs", config.gateway().tls().reloadPeriodMs(), 100);
    }
    auth(config);
    rateLimit(config.gateway().rateLimit());
    services(config);
    mtls(config.security().mtls());
    return List.copyOf(problems);
  }

  private void auth(CourierConfig config) {
    CourierConfig.AuthConfig auth = config.gateway().auth();
    if (!AUTH_MODES.contains(auth.mode())) {
      problems.add(
          "key 'gateway.auth.mode' ("
              + origin("gateway.auth.mode")
              + ") is '"
              + auth.mode()
              + "'; must be one of "
              + new java.util.TreeSet<>(AUTH_MODES));
      return;
    }
    boolean prod = config.profile().equals("prod") || config.profile().endsWith("-prod");
    if (!auth.enabled()) {
      if (prod && config.roles().contains("gateway")) {
        problems.add(
            "key 'gateway.auth.mode' ("
                + origin("gateway.auth.mode")
                + ") is 'none', which the prod profile refuses: its API would be open to anyone");
      }
      return;
    }
    if (auth.jwksUrl().isBlank() == auth.devKeyDir().isBlank()) {
      problems.add(
          "keys 'gateway.auth.jwksUrl' ("
              + origin("gateway.auth.jwksUrl")
              + ") and 'gateway.auth.devKeyDir' ("
              + origin("gateway.auth.devKeyDir")
              + "): set exactly one, the identity provider's JWKS URL or a development key"
              + " directory");
    }
    if (prod && !auth.devKeyDir().isBlank()) {
      problems.add(
          "key 'gateway.auth.devKeyDir' ("
              + origin("gateway.auth.devKeyDir")
              + ") is set, which the prod profile refuses: use gateway.auth.jwksUrl");
    }
    url("gateway.auth.jwksUrl", auth.jwksUrl());
    text("gateway.auth.issuer", auth.issuer());
    text("gateway.auth.audience", auth.audience());
    atLeast("gateway.auth.clockSkewSeconds", auth.clockSkewSeconds(), 0);
    atLeast("gateway.auth.jwksRefreshMs", auth.jwksRefreshMs(), 1000);
    atLeast("gateway.auth.jwksMinRefreshIntervalMs", auth.jwksMinRefreshIntervalMs(), 0);
    auth.scopes()
        .forEach(
            (operation, scope) -> {
              if (!GATEWAY_OPERATIONS.contains(operation)) {
                problems.add(
                    "key 'gateway.auth.scopes."
                        + operation
                        + "' ("
                        + origin("gateway.auth.scopes")
                        + ") names no API operation; known: "
                        + new java.util.TreeSet<>(GATEWAY_OPERATIONS));
              }
            });
  }

  private void mtls(CourierConfig.MtlsConfig mtls) {
    if (mtls.enabled()) {
      existingFile(
          "security.mtls.certFile", mtls.certFile(), "this process's PEM certificate chain");
      existingFile("security.mtls.keyFile", mtls.keyFile(), "its PEM private key");
      existingFile("security.mtls.caFile", mtls.caFile(), "the PEM certificate of the trusted CA");
    }
    for (String entry : mtls.allowedPeers()) {
      String[] parts = entry.split("=", -1);
      String peer = parts[parts.length - 1].strip();
      boolean wellFormed =
          parts.length <= 2
              && !peer.isEmpty()
              && peer.chars().noneMatch(Character::isWhitespace)
              && (parts.length == 1 || !parts[0].isBlank());
      if (!wellFormed) {
        problems.add(
            "key 'security.mtls.allowedPeers' ("
                + origin("security.mtls.allowedPeers")
                + ") holds '"
                + entry
                + "', which is not peer or server-role=peer");
      } else if (parts.length == 2 && !knownRoles.contains(parts[0].strip())) {
        problems.add(
            "key 'security.mtls.allowedPeers' ("
                + origin("security.mtls.allowedPeers")
                + ") holds '"
                + entry
                + "', whose server '"
                + parts[0].strip()
                + "' is no role; known roles: "
                + knownRoles.stream().sorted().collect(Collectors.joining(", ")));
      }
    }
  }

  private void rateLimit(CourierConfig.RateLimitConfig limits) {
    atLeast("gateway.rateLimit.requestsPerSecond", limits.requestsPerSecond(), 1);
    atLeast("gateway.rateLimit.burst", limits.burst(), 1);
    atLeast("gateway.rateLimit.maxLocalBuckets", limits.maxLocalBuckets(), 1);
    atLeast("gateway.rateLimit.timeoutMs", limits.timeoutMs(), 1);
    limits
        .routes()
        .forEach(
            (operation, limit) -> {
              String key = "gateway.rateLimit.routes." + operation;
              atLeast(key + ".requestsPerSecond", limit.requestsPerSecond(), 0);
              atLeast(key + ".burst", limit.burst(), 0);
            });
  }

  private void services(CourierConfig config) {
    CourierConfig.ServicesConfig services = config.services();
    text("services.host", services.host());
    port("services.user.grpcPort", services.user().grpcPort());
    port("services.inventory.grpcPort", services.inventory().grpcPort());
    port("services.paymentProvider.port", services.paymentProvider().port());
    atLeast("services.order.placeTimeoutMs", services.order().placeTimeoutMs(), 1);
    atLeast("services.paymentProvider.latencyMs", services.paymentProvider().latencyMs(), 0);
    share("services.paymentProvider.declineRate", services.paymentProvider().declineRate());
    share("services.paymentProvider.errorRate", services.paymentProvider().errorRate());
    if (config.roles().contains("user-service")) {
      existingFile("services.user.seedFile", services.user().seedFile());
    }
    if (config.roles().contains("inventory-service")) {
      existingFile("services.inventory.seedFile", services.inventory().seedFile());
    }
    url("services.payment.providerUrl", services.payment().providerUrl());
    url("services.notification.webhookUrl", services.notification().webhookUrl());
  }

  private void share(String key, double value) {
    if (!(value >= 0 && value <= 1)) {
      problems.add(
          "key '" + key + "' (" + origin(key) + ") is " + value + "; must be between 0 and 1");
    }
  }

  private void existingFile(String key, String value) {
    existingFile(key, value, "a JSON file");
  }

  private void existingFile(String key, String value, String what) {
    if (value.isBlank()) {
      problems.add(missing(key, what));
      return;
    }
    java.nio.file.Path path;
    try {
      path = java.nio.file.Path.of(value);
    } catch (java.nio.file.InvalidPathException e) {
      problems.add(
          "key '"
              + key
              + "' ("
              + origin(key)
              + ") names '"
              + value
              + "', which is no valid path: "
              + e.getReason());
      return;
    }
    if (!java.nio.file.Files.isRegularFile(path) || !java.nio.file.Files.isReadable(path)) {
      problems.add(
          "key '"
              + key
              + "' ("
              + origin(key)
              + ") names '"
              + value
              + "', which is not a readable file (relative paths start at "
              + java.nio.file.Path.of("").toAbsolutePath()
              + ")");
    }
  }

  private void url(String key, String value) {
    if (value.isBlank()) {
      return;
    }
    try {
      java.net.URI uri = new java.net.URI(value);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new java.net.URISyntaxException(value, "needs http(s)://host[:port]");
      }
    } catch (java.net.URISyntaxException e) {
      problems.add(
          "key '" + key + "' (" + origin(key) + ") is '" + value + "', not an http(s) URL");
    }
  }

  private void roles(CourierConfig config) {
    if (config.roles().isEmpty()) {
      problems.add(missing("roles", "at least one role"));
    }
    for (int i = 0; i < config.roles().size(); i++) {
      String role = config.roles().get(i);
      if (!knownRoles.contains(role)) {
        problems.add(
            "key 'roles' ("
                + origin("roles")
                + ") names unknown role '"
                + role
                + "'; known roles: "
                + knownRoles.stream().sorted().collect(Collectors.joining(", ")));
      }
      if (config.roles().indexOf(role) != i) {
        problems.add("key 'roles' (" + origin("roles") + ") names role '" + role + "' twice");
      }
    }
  }

  private void cluster(CourierConfig.ClusterConfig cluster) {
    if (!cluster.enabled()) {
      return;
    }
    text("cluster.name", cluster.name());
    text("cluster.host", cluster.host());
    if ("0.0.0.0".equals(cluster.host()) && cluster.publicHost().isBlank()) {
      problems.add(
          missing(
              "cluster.publicHost",
              "the address peers reach this member at when cluster.host is 0.0.0.0 (the pod IP)"));
    }
    port("cluster.port", cluster.port());
    port("cluster.eventBusPort", cluster.eventBusPort());
    if (cluster.kubernetes().enabled()) {
      if (cluster.kubernetes().serviceName().isBlank()
          && cluster.kubernetes().serviceDns().isBlank()) {
        problems.add(
            missing(
                "cluster.kubernetes.serviceName",
                "the headless service of the members (or set cluster.kubernetes.serviceDns)"));
      }
    } else {
      if (cluster.members().isEmpty()) {
        problems.add(missing("cluster.members", "at least one host:port"));
      }
      for (String member : cluster.members()) {
        if (!HOST_PORT.matcher(member).matches()) {
          problems.add(
              "key 'cluster.members' ("
                  + origin("cluster.members")
                  + ") holds '"
                  + member
                  + "', which is not host:port");
        }
      }
    }
  }

  private void kafka(CourierConfig.KafkaConfig kafka) {
    if (kafka.embedded().enabled()) {
      port("kafka.embedded.port", kafka.embedded().port());
      port("kafka.embedded.controllerPort", kafka.embedded().controllerPort());
      text("kafka.embedded.dataDir", kafka.embedded().dataDir());
    } else if (kafka.bootstrapServers().isBlank()) {
      problems.add(
          missing(
              "kafka.bootstrapServers",
              "the Kafka brokers as host:port,... (or enable kafka.embedded)"));
    } else {
      for (String server : kafka.bootstrapServers().split(",")) {
        if (!HOST_PORT.matcher(server.trim()).matches()) {
          problems.add(
              "key 'kafka.bootstrapServers' ("
                  + origin("kafka.bootstrapServers")
                  + ") holds '"
                  + server.trim()
                  + "', which is not host:port");
        }
      }
    }
    atLeast("kafka.producer.lingerMs", kafka.producer().lingerMs(), 0);
    atLeast("kafka.producer.deliveryTimeoutMs", kafka.producer().deliveryTimeoutMs(), 1000);
    atLeast("kafka.producer.maxRequestSizeBytes", kafka.producer().maxRequestSizeBytes(), 1024);
    atLeast("kafka.producer.maxInFlight", kafka.producer().maxInFlight(), 1);
    atLeast("kafka.producer.batchSizeBytes", kafka.producer().batchSizeBytes(), 0);
    CourierConfig.ConsumerConfig consumer = kafka.consumer();
    text("kafka.consumer.groupId", consumer.groupId());
    atLeast("kafka.consumer.maxInFlight", consumer.maxInFlight(), 1);
    atLeast("kafka.consumer.inPlaceAttempts", consumer.inPlaceAttempts(), 1);
    atLeast("kafka.consumer.backoffInitialMs", consumer.backoffInitialMs(), 1);
    atLeast("kafka.consumer.backoffMaxMs", consumer.backoffMaxMs(), consumer.backoffInitialMs());
    atLeast("kafka.consumer.retryTopicAttempts", consumer.retryTopicAttempts(), 0);
    atLeast("kafka.consumer.retryDelayMs", consumer.retryDelayMs(), 0);
    atLeast("kafka.consumer.dedupeCapacity", consumer.dedupeCapacity(), 0);
    atLeast("kafka.consumer.dedupeRetentionHours", consumer.dedupeRetentionHours(), 1);
    atLeast("kafka.consumer.commitIntervalMs", consumer.commitIntervalMs(), 10);
    mappings("kafka.bridge.publish", kafka.bridge().publish());
    mappings("kafka.bridge.consume", kafka.bridge().consume());
  }

  private void discovery(CourierConfig.DiscoveryConfig discovery) {
    if (!DISCOVERY_BACKENDS.contains(discovery.backend())) {
      problems.add(
          "key 'discovery.backend' ("
              + origin("discovery.backend")
              + ") is '"
              + discovery.backend()
              + "'; must be one of embedded, consul");
    }
    if ("consul".equals(discovery.backend())) {
      text("discovery.consulHost", discovery.consulHost());
      port("discovery.consulPort", discovery.consulPort());
      if (!discovery.consulCaFile().isBlank()) {
        if (!discovery.consulTls()) {
          problems.add(
              "key 'discovery.consulCaFile' ("
                  + origin("discovery.consulCaFile")
                  + ") is set but discovery.consulTls is false: the CA would not be used");
        }
        existingFile("discovery.consulCaFile", discovery.consulCaFile(), "a PEM file");
      }
      if (discovery.consulAclToken().chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
        problems.add(
            "key 'discovery.consulAclToken' ("
                + origin("discovery.consulAclToken")
                + ") holds whitespace or characters a header cannot carry");
      }
    }
  }

  private void mappings(String key, List<String> mappings) {
    for (String mapping : mappings) {
      String[] parts = mapping.split("=", -1);
      if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
        problems.add(
            "key '"
                + key
                + "' ("
                + origin(key)
                + ") holds '"
                + mapping
                + "', which is not from=to");
      }
    }
  }

  private void port(String key, long value) {
    if (value < 0 || value > 65_535) {
      problems.add(
          "key '" + key + "' (" + origin(key) + ") is " + value + "; must be a port, 0..65535");
    }
  }

  private void atLeast(String key, long value, long minimum) {
    if (value < minimum) {
      problems.add(
          "key '" + key + "' (" + origin(key) + ") is " + value + "; must be >= " + minimum);
    }
  }

  private void text(String key, String value) {
    if (value.isBlank()) {
      problems.add(missing(key, "a non-empty value"));
    }
  }

  private String missing(String key, String what) {
    return "missing required value for key '"
        + key
        + "' ("
        + origin(key)
        + "): needs "
        + what
        + "; set it in the config file, or "
        + io.courier.runtime.config.ConfigLoader.environmentName(key)
        + ", or -D"
        + io.courier.runtime.config.ConfigLoader.PROPERTY_PREFIX
        + key;
  }

  private String origin(String key) {
    return origins.getOrDefault(key, fallbackOrigin);
  }

  /** The dotted key path of a Jackson binding error. */
  public static String pathOf(com.fasterxml.jackson.core.JsonProcessingException e) {
    if (!(e instanceof JsonMappingException mapping)) {
      return "?";
    }
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : mapping.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      }
    }
    return path.toString();
  }
}
