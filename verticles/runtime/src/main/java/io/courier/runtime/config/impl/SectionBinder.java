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
import java.util.Comparator;
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
   * Binds every section of {@code merged}; a section whose values its records refuse is left out
   * and its problems added to {@code problems}, the section's own before those of the records in
   * it.
   *
   * <p>A record refuses its values in its constructor, and the first refusal stops Jackson. So that
   * one bad nested record (a route's limit) does not hide the problems of the rest (the limit's own
   * defaults), the refused record is put back to its defaults, which are valid, and the section
   * bound again, until nothing more is refused.
   */
  public Map<ConfigSection<?>, Object> bind(ObjectNode merged, List<ConfigProblem> problems) {
    Map<ConfigSection<?>, Object> bound = new LinkedHashMap<>();
    ObjectNode defaults = defaults(Map.of());
    for (ConfigSection<?> section : sections) {
      ObjectNode own = ownKeys(merged, section);
      ObjectNode fallback = ownKeys(defaults, section);
      List<Refusal> refusals = new ArrayList<>();
      Object value = null;
      while (value == null) {
        try {
          value = mapper.treeToValue(own, section.type());
        } catch (JsonProcessingException e) {
          String at = JsonPaths.of(e);
          boolean nested = !at.isEmpty() && !at.equals("?");
          String prefix = nested ? section.path() + "." + at : section.path();
          refusals.add(new Refusal(nested ? at.split("\\.").length : 0, problemsOf(e, prefix)));
          if (!nested || !revert(own, fallback, at)) {
            break;
          }
        }
      }
      refusals.sort(Comparator.comparingInt(Refusal::depth));
      refusals.forEach(refusal -> problems.addAll(refusal.problems()));
      if (value != null && refusals.isEmpty()) {
        bound.put(section, value);
      }
    }
    return bound;
  }

  /** What one binding attempt was refused for, and how deep in the section. */
  private record Refusal(int depth, List<ConfigProblem> problems) {}

  private static List<ConfigProblem> problemsOf(JsonProcessingException e, String prefix) {
    Optional<InvalidConfigException> invalid = Causes.find(e, InvalidConfigException.class);
    if (invalid.isPresent()) {
      return invalid.get().problems().stream().map(problem -> problem.under(prefix)).toList();
    }
    return List.of(ConfigProblem.invalid(prefix, "cannot be read: " + e.getOriginalMessage()));
  }

  /**
   * Puts the object at {@code path} of {@code own} back to its value in {@code fallback}; false
   * when there is none or it already is.
   */
  private static boolean revert(ObjectNode own, ObjectNode fallback, String path) {
    String[] segments = path.split("\\.");
    JsonNode target = own;
    JsonNode source = fallback;
    for (int i = 0; i < segments.length - 1; i++) {
      target = target == null ? null : target.get(segments[i]);
      source = source == null ? null : source.get(segments[i]);
    }
    String leaf = segments[segments.length - 1];
    JsonNode original = source == null ? null : source.get(leaf);
    if (!(target instanceof ObjectNode parent)
        || original == null
        || original.equals(parent.get(leaf))) {
      return false;
    }
    parent.set(leaf, original.deepCopy());
    return true;
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
