package io.courier.runtime.config.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.runtime.Causes;
import io.courier.runtime.config.ConfigProblem;
import io.courier.runtime.config.ConfigSection;
import io.courier.runtime.config.InvalidConfigException;
import io.courier.runtime.config.JsonPaths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Places sections in one tree and binds each back to its record. A section's subtree is bound
 * without the keys of sections nested in it ({@code services} without {@code services.user}); the
 * record's validating constructor reports its problems, which come back with their keys under the
 * section's path.
 */
public final class SectionBinder {

  private final ObjectMapper mapper =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .build();

  private final List<ConfigSection<?>> sections;

  /**
   * @throws IllegalStateException when two different sections claim one path, or a section's key is
   *     another section's path
   */
  public SectionBinder(Collection<? extends ConfigSection<?>> sections) {
    Map<String, ConfigSection<?>> byPath = new LinkedHashMap<>();
    for (ConfigSection<?> section : sections) {
      ConfigSection<?> before = byPath.putIfAbsent(section.path(), section);
      if (before != null && before != section) {
        throw new IllegalStateException(
            "two configuration sections at '" + section.path() + "': " + before + ", " + section);
      }
    }
    this.sections = List.copyOf(byPath.values());
  }

  public List<ConfigSection<?>> sections() {
    return sections;
  }

  /** Every section's defaults at its path, after the given top-level values. */
  public ObjectNode defaults(Map<String, Object> topLevel) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    topLevel.forEach((key, value) -> root.set(key, mapper.valueToTree(value)));
    for (ConfigSection<?> section : sections) {
      place(root, section, mapper.valueToTree(section.defaults()));
    }
    return root;
  }

  /** The JSON form of a value, e.g. a section's record (its keys as in a file). */
  public JsonNode toTree(Object value) {
    return mapper.valueToTree(value);
  }

  /**
   * Binds every section of {@code merged}; a section whose values its record refuses is left out
   * and its problems added to {@code problems}.
   */
  public Map<ConfigSection<?>, Object> bind(ObjectNode merged, List<ConfigProblem> problems) {
    Map<ConfigSection<?>, Object> bound = new LinkedHashMap<>();
    for (ConfigSection<?> section : sections) {
      ObjectNode own = ownKeys(merged, section);
      try {
        bound.put(section, mapper.treeToValue(own, section.type()));
      } catch (JsonProcessingException e) {
        String at = JsonPaths.of(e);
        String prefix = at.isEmpty() || at.equals("?") ? section.path() : section.path() + "." + at;
        Optional<InvalidConfigException> invalid = Causes.find(e, InvalidConfigException.class);
        if (invalid.isPresent()) {
          invalid.get().problems().forEach(problem -> problems.add(problem.under(prefix)));
        } else {
          problems.add(ConfigProblem.invalid(prefix, "cannot be read: " + e.getOriginalMessage()));
        }
      }
    }
    return bound;
  }

  /** The section's subtree without the keys that belong to sections nested in it. */
  private ObjectNode ownKeys(ObjectNode merged, ConfigSection<?> section) {
    JsonNode node = merged;
    for (String segment : section.path().split("\\.")) {
      node = node.get(segment);
    }
    ObjectNode own = ((ObjectNode) node).deepCopy();
    for (ConfigSection<?> other : sections) {
      String prefix = section.path() + ".";
      if (other.path().startsWith(prefix)) {
        own.remove(other.path().substring(prefix.length()).split("\\.")[0]);
      }
    }
    return own;
  }

  private static void place(ObjectNode root, ConfigSection<?> section, JsonNode value) {
    String[] segments = section.path().split("\\.");
    ObjectNode parent = root;
    for (int i = 0; i < segments.length - 1; i++) {
      JsonNode child = parent.get(segments[i]);
      if (child == null) {
        child = parent.putObject(segments[i]);
      } else if (!child.isObject()) {
        throw new IllegalStateException(
            section + " sits under key '" + segments[i] + "', which is a value of another section");
      }
      parent = (ObjectNode) child;
    }
    String leaf = segments[segments.length - 1];
    JsonNode existing = parent.get(leaf);
    if (existing == null) {
      parent.set(leaf, value);
      return;
    }
    if (!existing.isObject() || !value.isObject()) {
      throw new IllegalStateException(section + " clashes with a key of another section");
    }
    List<String> clashes = new ArrayList<>();
    value
        .fields()
        .forEachRemaining(
            field -> {
              if (existing.has(field.getKey())) {
                clashes.add(field.getKey());
              }
              ((ObjectNode) existing).set(field.getKey(), field.getValue());
            });
    if (!clashes.isEmpty()) {
      throw new IllegalStateException(section + " and a nested section both have keys " + clashes);
    }
  }
}
