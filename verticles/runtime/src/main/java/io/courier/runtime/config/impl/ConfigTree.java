package io.courier.runtime.config.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.runtime.config.ConfigLoader;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The configuration as one JSON tree while its layers are applied: it starts as the defaults of
 * every section, and each layer may only set keys the defaults have, to values of the type the
 * defaults give them. Remembers where each key's value came from.
 */
public final class ConfigTree {

  private final ObjectNode root;
  private final Map<String, String> origins = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();

  /**
   * @param defaults every key with its default value
   */
  public ConfigTree(ObjectNode defaults) {
    this.root = defaults.deepCopy();
  }

  public ObjectNode root() {
    return root;
  }

  /** Where each key's value came from, by key path; keys no layer set are absent. */
  public Map<String, String> origins() {
    return origins;
  }

  /** What the layers applied so far got wrong. */
  public List<String> problems() {
    return problems;
  }

  /** Every leaf key path, e.g. {@code kafka.embedded.port}. */
  public List<String> leafPaths() {
    return leafPaths(root, "");
  }

  /** Merges a file's object, refusing keys and types the defaults lack. */
  public void mergeFile(ObjectNode source, String origin) {
    mergeChecked(source, root, "", origin);
  }

  /**
   * Applies {@code COURIER_*} variables; other variables, the non-key ones and a kubelet's service
   * links ({@link ServiceLinks}) are passed over.
   *
   * @return the service-link variables passed over, by name
   */
  public List<String> applyEnvironment(Map<String, String> environment, Set<String> nonKeys) {
    List<String> serviceLinks = new ArrayList<>();
    Map<String, String> byName = new LinkedHashMap<>();
    for (String path : leafPaths()) {
      byName.put(ConfigLoader.environmentName(path), path);
    }
    new TreeMap<>(environment)
        .forEach(
            (name, value) -> {
              if (!name.startsWith(ConfigLoader.ENV_PREFIX) || nonKeys.contains(name)) {
                return;
              }
              if (ServiceLinks.isServiceLink(name, value)) {
                serviceLinks.add(name);
                return;
              }
              String path = byName.get(name);
              if (path == null) {
                problems.add(
                    "unknown environment variable " + name + ": no such configuration key");
              } else {
                applyText(path, value, "environment variable " + name);
              }
            });
    return serviceLinks;
  }

  /** Applies {@code courier.*} system properties. */
  public void applySystemProperties(Map<String, String> properties) {
    List<String> paths = leafPaths();
    new TreeMap<>(properties)
        .forEach(
            (name, value) -> {
              if (!name.startsWith(ConfigLoader.PROPERTY_PREFIX)) {
                return;
              }
              String path = name.substring(ConfigLoader.PROPERTY_PREFIX.length());
              if (!paths.contains(path)) {
                problems.add("unknown system property " + name + ": no such configuration key");
              } else {
                applyText(path, value, "system property " + name);
              }
            });
  }

  /** Sets one leaf from text, converting it to the type the defaults give that key. */
  public void applyText(String path, String text, String origin) {
    String[] segments = path.split("\\.");
    ObjectNode parent = root;
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

  /** The node at a dotted path, or null. */
  public JsonNode at(String path) {
    JsonNode node = root;
    for (String segment : path.split("\\.")) {
      node = node == null ? null : node.get(segment);
    }
    return node;
  }

  private void mergeChecked(ObjectNode source, ObjectNode target, String prefix, String origin) {
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
          mergeChecked((ObjectNode) value, (ObjectNode) known, path + ".", origin);
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

  static List<String> leafPaths(ObjectNode node, String prefix) {
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

  /** How a JSON value is named in messages: an object, a list, a string... */
  public static String kind(JsonNode value) {
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
