package io.courier.runtime.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.runtime.config.impl.ConfigTree;
import io.courier.runtime.config.impl.OtelVariables;
import io.courier.runtime.config.impl.RuntimeChecks;
import io.courier.runtime.config.impl.SectionBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Courier's configuration in layers, each overriding the one before:
 *
 * <ol>
 *   <li>built-in defaults: the {@code DEFAULTS} of the runtime's records and of every role's {@link
 *       ConfigSection};
 *   <li>the JSON file given with {@code --config};
 *   <li>environment variables: {@code COURIER_} + the key path in upper snake case, e.g. {@code
 *       kafka.embedded.port} is {@code COURIER_KAFKA_EMBEDDED_PORT};
 *   <li>system properties: {@code courier.} + the key path, e.g. {@code
 *       -Dcourier.kafka.embedded.port=19092};
 *   <li>command-line options such as {@code --roles}.
 * </ol>
 *
 * The standard OpenTelemetry variables ({@code OTEL_SERVICE_NAME}, {@code
 * OTEL_EXPORTER_OTLP_ENDPOINT}, ...) then set the {@code tracing.*} keys none of these layers set:
 * they beat the built-in defaults only ({@link OtelVariables}).
 *
 * <p>A key no layer knows, a value of the wrong type, or a value its record refuses fails with a
 * {@link ConfigException} whose message names the key and where the bad value came from. Every
 * section of every role on the classpath is read, whichever roles the process runs, so one set of
 * variables serves every process of a deployment.
 */
public final class ConfigLoader {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

  public static final String ENV_PREFIX = "COURIER_";
  public static final String PROPERTY_PREFIX = "courier.";

  /** Variables of the launcher scripts that share the prefix but are not configuration keys. */
  private static final Set<String> NON_KEY_ENV = Set.of("COURIER_CONFIG", "COURIER_JAVA_OPTS");

  private static final String DEFAULT_ORIGIN = "built-in default";

  private final ObjectMapper reader = new ObjectMapper();
  private final Map<String, String> environment;
  private final Map<String, String> systemProperties;
  private final Map<String, List<ConfigSection<?>>> roleSections;
  private final List<String> defaultRoles;
  private final SectionBinder binder;

  /**
   * @param environment the environment to read {@code COURIER_*} overrides from
   * @param systemProperties the properties to read {@code courier.*} overrides from
   * @param roleSections every role this build can run, with the sections it declares
   * @param defaultRoles the roles a process runs when no layer sets {@code roles}
   * @throws IllegalStateException when two roles declare different sections at one path
   */
  public ConfigLoader(
      Map<String, String> environment,
      Map<String, String> systemProperties,
      Map<String, List<ConfigSection<?>>> roleSections,
      List<String> defaultRoles) {
    this.environment = Map.copyOf(environment);
    this.systemProperties = Map.copyOf(systemProperties);
    this.roleSections = Map.copyOf(roleSections);
    this.defaultRoles = List.copyOf(defaultRoles);
    List<ConfigSection<?>> sections = new ArrayList<>(RuntimeChecks.SECTIONS);
    new TreeMap<>(roleSections).values().forEach(sections::addAll);
    this.binder = new SectionBinder(sections);
  }

  /** A loader that knows {@code roleSections} and runs no role unless a layer names some. */
  public ConfigLoader(
      Map<String, String> environment,
      Map<String, String> systemProperties,
      Map<String, List<ConfigSection<?>>> roleSections) {
    this(environment, systemProperties, roleSections, List.of());
  }

  /** A loader reading this process's environment and system properties. */
  public static ConfigLoader fromSystem(
      Map<String, List<ConfigSection<?>>> roleSections, List<String> defaultRoles) {
    Map<String, String> props = new TreeMap<>();
    Properties system = System.getProperties();
    for (String name : system.stringPropertyNames()) {
      props.put(name, system.getProperty(name));
    }
    return new ConfigLoader(System.getenv(), props, roleSections, defaultRoles);
  }

  /**
   * Loads the file (or only defaults and overrides when {@code file} is null) and validates it.
   *
   * @param file the JSON file, or null
   * @param commandLine overrides from the command line: key path to value (JSON text or a plain
   *     string), with the option's name as origin, e.g. {@code roles -> ("gateway", "--roles")}
   */
  public CourierConfig load(Path file, Map<String, Override> commandLine) {
    ConfigTree tree = new ConfigTree(defaults());
    if (file != null) {
      JsonNode fromFile = readFile(file);
      if (!fromFile.isObject()) {
        throw new ConfigException(
            file + ": must hold a JSON object, found " + ConfigTree.kind(fromFile));
      }
      tree.mergeFile((ObjectNode) fromFile, file.toString());
    }
    List<String> serviceLinks = tree.applyEnvironment(environment, NON_KEY_ENV);
    if (!serviceLinks.isEmpty()) {
      LOG.debug(
          "passed over {} Kubernetes service-link variables: {}",
          serviceLinks.size(),
          serviceLinks);
    }
    tree.applySystemProperties(systemProperties);
    commandLine.forEach(
        (path, override) -> tree.applyText(path, override.value(), override.origin()));
    OtelVariables.apply(tree, environment);
    if (!tree.problems().isEmpty()) {
      throw new ConfigException(tree.problems());
    }
    String fallback = file == null ? DEFAULT_ORIGIN : file.toString();
    Function<String, String> origin = key -> tree.origins().getOrDefault(key, fallback);

    String profile = tree.root().get("profile").asText();
    List<String> roles = new ArrayList<>();
    tree.root().get("roles").forEach(role -> roles.add(role.asText()));
    JsonNode production = tree.root().path("security").path("production");
    ConfigContext context =
        new ConfigContext(profile, production.asBoolean(false), roles, roleSections.keySet());

    List<ConfigProblem> problems = new ArrayList<>();
    Map<ConfigSection<?>, Object> bound = binder.bind(tree.root(), problems);
    ConfigChecks checks = new ConfigChecks();
    RuntimeChecks.roles(roles, checks, context);
    bound.forEach(
        (section, value) -> {
          ConfigChecks own = new ConfigChecks();
          section.check(value, own, context);
          checks.addAll(section.path(), own.problems());
        });
    problems.addAll(checks.problems());
    if (!problems.isEmpty()) {
      throw new ConfigException(problems.stream().map(p -> p.render(origin)).toList());
    }
    return assemble(profile, roles, bound);
  }

  /** Loads without command-line overrides. */
  public CourierConfig load(Path file) {
    return load(file, Map.of());
  }

  /** Every configuration key (leaf paths of the defaults) with its environment variable name. */
  public Map<String, String> environmentNames() {
    Map<String, String> names = new LinkedHashMap<>();
    for (String path : new ConfigTree(defaults()).leafPaths()) {
      names.put(path, environmentName(path));
    }
    return names;
  }

  /** The whole configuration as a file would hold it, every section at its path. */
  public ObjectNode toJson(CourierConfig config) {
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("profile", config.profile());
    top.put("roles", config.roles());
    ObjectNode root = binder.defaults(top);
    for (ConfigSection<?> section : binder.sections()) {
      JsonNode value = binder.toTree(valueOf(config, section));
      ObjectNode parent = root;
      String[] segments = section.path().split("\\.");
      for (int i = 0; i < segments.length - 1; i++) {
        parent = (ObjectNode) parent.get(segments[i]);
      }
      ((ObjectNode) parent.get(segments[segments.length - 1])).setAll((ObjectNode) value);
    }
    for (String secret : SECRETS) {
      redact(root, secret.split("\\."));
    }
    return root;
  }

  /** Keys whose values are secrets: shown as {@code (set)} or empty, never as they are. */
  private static final List<String> SECRETS =
      List.of(
          "security.identity.key",
          "discovery.consulAclToken",
          "kafka.security.password",
          "kafka.security.oauthClientSecret",
          "tracing.otlpHeaders");

  private static void redact(ObjectNode root, String[] path) {
    ObjectNode parent = root;
    for (int i = 0; i < path.length - 1; i++) {
      if (!(parent.get(path[i]) instanceof ObjectNode child)) {
        return;
      }
      parent = child;
    }
    JsonNode value = parent.get(path[path.length - 1]);
    if (value != null && value.isTextual() && !value.asText().isEmpty()) {
      parent.put(path[path.length - 1], "(set)");
    }
  }

  /** {@code kafka.embedded.dataDir} becomes {@code COURIER_KAFKA_EMBEDDED_DATA_DIR}. */
  public static String environmentName(String path) {
    StringBuilder name = new StringBuilder(ENV_PREFIX);
    for (char c : path.toCharArray()) {
      if (c == '.') {
        name.append('_');
      } else if (Character.isUpperCase(c)) {
        name.append('_').append(c);
      } else {
        name.append(Character.toUpperCase(c));
      }
    }
    return name.toString();
  }

  /** A command-line override: the value as text and the option it came from. */
  public record Override(String value, String origin) {}

  private ObjectNode defaults() {
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("profile", CourierConfig.DEFAULT_PROFILE);
    top.put("roles", defaultRoles);
    return binder.defaults(top);
  }

  private static CourierConfig assemble(
      String profile, List<String> roles, Map<ConfigSection<?>, Object> bound) {
    Map<String, Object> byPath = new LinkedHashMap<>();
    bound.forEach((section, value) -> byPath.put(section.path(), value));
    Map<String, Object> roleSections = new LinkedHashMap<>(byPath);
    RuntimeChecks.SECTIONS.forEach(section -> roleSections.remove(section.path()));
    return new CourierConfig(
        profile,
        roles,
        (ClusterConfig) byPath.get("cluster"),
        (KafkaConfig) byPath.get("kafka"),
        (DiscoveryConfig) byPath.get("discovery"),
        (ServicesConfig) byPath.get("services"),
        (GrpcConfig) byPath.get("grpc"),
        (ShutdownConfig) byPath.get("shutdown"),
        (ManagementConfig) byPath.get("management"),
        (MetricsConfig) byPath.get("metrics"),
        (AdminConfig) byPath.get("admin"),
        (TracingConfig) byPath.get("tracing"),
        (SecurityConfig) byPath.get("security"),
        roleSections);
  }

  private static Object valueOf(CourierConfig config, ConfigSection<?> section) {
    return switch (section.path()) {
      case "cluster" -> config.cluster();
      case "kafka" -> config.kafka();
      case "discovery" -> config.discovery();
      case "services" -> config.services();
      case "grpc" -> config.grpc();
      case "shutdown" -> config.shutdown();
      case "management" -> config.management();
      case "metrics" -> config.metrics();
      case "admin" -> config.admin();
      case "tracing" -> config.tracing();
      case "security" -> config.security();
      default -> config.section(section);
    };
  }

  private JsonNode readFile(Path file) {
    try {
      return reader.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file");
    } catch (JsonProcessingException e) {
      // Jackson's stream limits (nesting over 1000, a number over 1000 digits) carry no location.
      JsonLocation at = e.getLocation();
      throw new ConfigException(
          file
              + ": not valid JSON"
              + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
              + ": "
              + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot be read: " + e.getMessage());
    }
  }
}
