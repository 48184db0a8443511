package io.courier.runtime.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.runtime.config.impl.ConfigValidator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads Courier's configuration in layers, each overriding the one before:
 *
 * <ol>
 *   <li>built-in defaults ({@code courier-defaults.json} in this module);
 *   <li>the JSON file given with {@code --config};
 *   <li>environment variables: {@code COURIER_} + the key path in upper snake case, e.g. {@code
 *       kafka.embedded.port} is {@code COURIER_KAFKA_EMBEDDED_PORT};
 *   <li>system properties: {@code courier.} + the key path, e.g. {@code
 *       -Dcourier.kafka.embedded.port=19092};
 *   <li>command-line options such as {@code --roles}.
 * </ol>
 *
 * A key no layer knows, a value of the wrong type, or a missing required value fails with a {@link
 * ConfigException} whose message names the key and where the bad value came from.
 */
public final class ConfigLoader {

  public static final String ENV_PREFIX = "COURIER_";
  public static final String PROPERTY_PREFIX = "courier.";

  /** Variables of the launcher scripts that share the prefix but are not configuration keys. */
  private static final Set<String> NON_KEY_ENV = Set.of("COURIER_CONFIG", "COURIER_JAVA_OPTS");

  private static final String DEFAULTS = "courier-defaults.json";
  private static final String DEFAULT_ORIGIN = "built-in default";

  private final ObjectMapper mapper =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .build();

  private final Map<String, String> environment;
  private final Map<String, String> systemProperties;
  private final Set<String> knownRoles;

  /**
   * @param environment the environment to read {@code COURIER_*} overrides from
   * @param systemProperties the properties to read {@code courier.*} overrides from
   * @param knownRoles the role names this build can run
   */
  public ConfigLoader(
      Map<String, String> environment,
      Map<String, String> systemProperties,
      Set<String> knownRoles) {
    this.environment = Map.copyOf(environment);
    this.systemProperties = Map.copyOf(systemProperties);
    this.knownRoles = Set.copyOf(knownRoles);
  }

  /** A loader reading this process's environment and system properties. */
  public static ConfigLoader fromSystem(Set<String> knownRoles) {
    Map<String, String> props = new TreeMap<>();
    Properties system = System.getProperties();
    for (String name : system.stringPropertyNames()) {
      props.put(name, system.getProperty(name));
    }
    return new ConfigLoader(System.getenv(), props, knownRoles);
  }

  /**
   * Loads the file (or only defaults and overrides when {@code file} is null) and validates it.
   *
   * @param file the JSON file, or null
   * @param commandLine overrides from the command line: key path to value (JSON text or a plain
   *     string), with the option's name as origin, e.g. {@code roles -> ("gateway", "--roles")}
   */
  public CourierConfig load(Path file, Map<String, Override> commandLine) {
    ObjectNode merged = defaults();
    Map<String, String> origins = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();

    if (file != null) {
      String origin = file.toString();
      JsonNode fromFile = readFile(file);
      if (!fromFile.isObject()) {
        throw new ConfigException(origin + ": must hold a JSON object, found " + kind(fromFile));
      }
      mergeChecked((ObjectNode) fromFile, merged, "", origin, origins, problems);
    }
    applyEnvironment(merged, origins, problems);
    applySystemProperties(merged, origins, problems);
    commandLine.forEach(
        (path, override) ->
            applyText(merged, path, override.value(), override.origin(), origins, problems));
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }

    CourierConfig config = bind(merged, origins);
    List<String> invalid =
        new ConfigValidator(knownRoles, origins, file == null ? DEFAULT_ORIGIN : file.toString())
            .validate(config);
    if (!invalid.isEmpty()) {
      throw new ConfigException(invalid);
    }
    return config;
  }

  /** Loads without command-line overrides. */
  public CourierConfig load(Path file) {
    return load(file, Map.of());
  }

  /** Every configuration key (leaf paths of the defaults) with its environment variable name. */
  public Map<String, String> environmentNames() {
    Map<String, String> names = new LinkedHashMap<>();
    for (String path : leafPaths(defaults(), "")) {
      names.put(path, environmentName(path));
    }
    return names;
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
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS + " missing from the classpath");
      }
      return (ObjectNode) mapper.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + DEFAULTS, e);
    }
  }

  private JsonNode readFile(Path file) {
    try {
      return mapper.readTree(Files.readAllBytes(file));
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

  /** Merges {@code source} into {@code target}, refusing keys and types the defaults lack. */
  private static void mergeChecked(
      ObjectNode source,
      ObjectNode target,
      String prefix,
      String origin,
      Map<String, String> origins,
      List<String> problems) {
    Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String path = prefix + field.getKey();
      JsonNode known = target.get(field.getKey());
      JsonNode value = field.getValue();
      if (known == null) {
        problems.add(
            "unknown key '" + path + "' in " + origin + suggestion(field.getKey(), target));
      } else if (known.isObject()) {
        if (value.isObject()) {
          mergeChecked(
              (ObjectNode) value, (ObjectNode) known, path + ".", origin, origins, problems);
        } else {
          problems.add(wrongType(path, origin, "an object", value));
        }
      } else {
        String expected = expectedType(known);
        if (!hasType(value, known)) {
          problems.add(wrongType(path, origin, expected, value));
        } else {
          // A fraction written as 1 stays a fraction, so later overrides convert to its type.
          target.set(
              field.getKey(),
              known.isFloatingPointNumber()
                  ? JsonNodeFactory.instance.numberNode(value.asDouble())
                  : value);
          origins.put(path, origin);
        }
      }
    }
  }

  private void applyEnvironment(
      ObjectNode merged, Map<String, String> origins, List<String> problems) {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String path : leafPaths(merged, "")) {
      byName.put(environmentName(path), path);
    }
    new TreeMap<>(environment)
        .forEach(
            (name, value) -> {
              if (!name.startsWith(ENV_PREFIX) || NON_KEY_ENV.contains(name)) {
                return;
              }
              String path = byName.get(name);
              if (path == null) {
                problems.add(
                    "unknown environment variable " + name + ": no such configuration key");
              } else {
                applyText(merged, path, value, "environment variable " + name, origins, problems);
              }
            });
  }

  private void applySystemProperties(
      ObjectNode merged, Map<String, String> origins, List<String> problems) {
    List<String> paths = leafPaths(merged, "");
    new TreeMap<>(systemProperties)
        .forEach(
            (name, value) -> {
              if (!name.startsWith(PROPERTY_PREFIX)) {
                return;
              }
              String path = name.substring(PROPERTY_PREFIX.length());
              if (!paths.contains(path)) {
                problems.add("unknown system property " + name + ": no such configuration key");
              } else {
                applyText(merged, path, value, "system property " + name, origins, problems);
              }
            });
  }

  /** Sets one leaf from text, converting it to the type the defaults give that key. */
  private void applyText(
      ObjectNode merged,
      String path,
      String text,
      String origin,
      Map<String, String> origins,
      List<String> problems) {
    String[] segments = path.split("\\.");
    ObjectNode parent = merged;
    for (int i = 0; i < segments.length - 1; i++) {
      JsonNode child = parent.get(segments[i]);
      if (child == null || !child.isObject()) {
        problems.add("unknown key '" + path + "' in " + origin);
        return;
      }
      parent = (ObjectNode) child;
    }
    String leaf = segments[segments.length - 1];
    JsonNode known = parent.get(leaf);
    if (known == null || known.isObject()) {
      problems.add("unknown key '" + path + "' in " + origin);
      return;
    }
    JsonNode value = convert(text, known);
    if (value == null) {
      problems.add(
          "key '"
              + path
              + "' in "
              + origin
              + " must be "
              + expectedType(known)
              + ", was '"
              + text
              + "'");
      return;
    }
    parent.set(leaf, value);
    origins.put(path, origin);
  }

  private static JsonNode convert(String text, JsonNode known) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    String trimmed = text.trim();
    if (known.isBoolean()) {
      return switch (trimmed.toLowerCase(Locale.ROOT)) {
        case "true" -> nodes.booleanNode(true);
        case "false" -> nodes.booleanNode(false);
        default -> null;
      };
    }
    if (known.isIntegralNumber()) {
      try {
        return nodes.numberNode(Long.parseLong(trimmed));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (known.isFloatingPointNumber()) {
      try {
        return nodes.numberNode(Double.parseDouble(trimmed));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (known.isArray()) {
      ArrayNode array = nodes.arrayNode();
      JsonNode element = known.isEmpty() ? nodes.textNode("") : known.get(0);
      for (String item : trimmed.split(",")) {
        if (!item.isBlank()) {
          JsonNode converted =
              element.isNumber() ? convert(item, element) : nodes.textNode(item.trim());
          if (converted == null) {
            return null;
          }
          array.add(converted);
        }
      }
      return array;
    }
    return nodes.textNode(text);
  }

  private CourierConfig bind(ObjectNode merged, Map<String, String> origins) {
    try {
      return mapper.treeToValue(merged, CourierConfig.class);
    } catch (JsonProcessingException e) {
      String path = ConfigValidator.pathOf(e);
      throw new ConfigException(
          "key '"
              + path
              + "' ("
              + origins.getOrDefault(path, DEFAULT_ORIGIN)
              + ") cannot be read: "
              + e.getOriginalMessage());
    }
  }

  private static List<String> leafPaths(ObjectNode node, String prefix) {
    List<String> paths = new ArrayList<>();
    node.fields()
        .forEachRemaining(
            field -> {
              String path = prefix + field.getKey();
              if (field.getValue().isObject()) {
                paths.addAll(leafPaths((ObjectNode) field.getValue(), path + "."));
              } else {
                paths.add(path);
              }
            });
    return paths;
  }

  private static boolean hasType(JsonNode value, JsonNode known) {
    if (known.isBoolean()) {
      return value.isBoolean();
    }
    if (known.isIntegralNumber()) {
      return value.isIntegralNumber();
    }
    if (known.isFloatingPointNumber()) {
      return value.isNumber();
    }
    if (known.isTextual()) {
      return value.isTextual();
    }
    if (known.isArray()) {
      if (!value.isArray()) {
        return false;
      }
      JsonNode element = known.isEmpty() ? JsonNodeFactory.instance.textNode("") : known.get(0);
      for (JsonNode item : value) {
        if (!hasType(item, element)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  private static String expectedType(JsonNode known) {
    if (known.isBoolean()) {
      return "true or false";
    }
    if (known.isIntegralNumber()) {
      return "a whole number";
    }
    if (known.isFloatingPointNumber()) {
      return "a number";
    }
    if (known.isArray()) {
      return known.isEmpty() || !known.get(0).isNumber()
          ? "a list of strings"
          : "a list of whole numbers";
    }
    return "a string";
  }

  private static String wrongType(String path, String origin, String expected, JsonNode value) {
    return "key '"
        + path
        + "' in "
        + origin
        + " must be "
        + expected
        + ", was "
        + kind(value)
        + " "
        + value;
  }

  private static String kind(JsonNode value) {
    return switch (value.getNodeType()) {
      case OBJECT -> "an object";
      case ARRAY -> "a list";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> value.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }

  private static String suggestion(String key, ObjectNode known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    Iterator<String> names = known.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      int distance = distance(key.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT));
      if (distance < bestDistance) {
        bestDistance = distance;
        best = name;
      }
    }
    return best != null && bestDistance <= 3 ? " (did you mean '" + best + "'?)" : "";
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
