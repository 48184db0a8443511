package io.courier.runtime.config;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One thing wrong with a configuration, with the keys it concerns relative to the record that found
 * it. The loader renders it with each key's full path and origin (the file, variable or property
 * its value came from), e.g. {@code key 'gateway.port' (conf/dev.json) is 70000; must be a port,
 * 0..65535}.
 */
public final class ConfigProblem {

  private enum Kind {
    INVALID,
    MISSING,
    KEYS
  }

  private final Kind kind;
  private final List<String> keys;
  private final String originKey;
  private final String text;

  private ConfigProblem(Kind kind, List<String> keys, String originKey, String text) {
    this.kind = kind;
    this.keys = List.copyOf(keys);
    this.originKey = originKey;
    this.text = Objects.requireNonNull(text, "text");
  }

  /** {@code key 'K' (origin) TEXT}, e.g. TEXT {@code is 0; must be >= 1}. */
  public static ConfigProblem invalid(String key, String text) {
    return new ConfigProblem(Kind.INVALID, List.of(key), key, text);
  }

  /**
   * As {@link #invalid(String, String)}, naming {@code key} but the origin of {@code originKey}: a
   * map entry (whose own key no layer names) takes the origin of its map.
   */
  public static ConfigProblem invalid(String key, String originKey, String text) {
    return new ConfigProblem(Kind.INVALID, List.of(key), originKey, text);
  }

  /** A required value left empty: says what it needs and every way to set it. */
  public static ConfigProblem missing(String key, String what) {
    return new ConfigProblem(Kind.MISSING, List.of(key), key, what);
  }

  /**
   * Several keys that only together are wrong: {@code keys 'A' (origin) and 'B' (origin): TEXT}.
   */
  public static ConfigProblem keys(List<String> keys, String text) {
    return new ConfigProblem(Kind.KEYS, keys, keys.get(0), text);
  }

  /** The same problem with every key under {@code prefix} (a section's path). */
  public ConfigProblem under(String prefix) {
    if (prefix.isEmpty()) {
      return this;
    }
    return new ConfigProblem(
        kind,
        keys.stream().map(key -> prefix + "." + key).toList(),
        prefix + "." + originKey,
        text);
  }

  /** The keys, as far as known (relative until the loader places them). */
  public List<String> keys() {
    return keys;
  }

  /**
   * The message a user reads.
   *
   * @param origin where the value of a key came from
   */
  public String render(Function<String, String> origin) {
    String key = keys.get(0);
    return switch (kind) {
      case INVALID -> "key '" + key + "' (" + origin.apply(originKey) + ") " + text;
      case MISSING ->
          "missing required value for key '"
              + key
              + "' ("
              + origin.apply(key)
              + "): needs "
              + text
              + "; set it in the config file, or "
              + ConfigLoader.environmentName(key)
              + ", or -D"
              + ConfigLoader.PROPERTY_PREFIX
              + key;
      case KEYS ->
          "keys "
              + keys.stream()
                  .map(k -> "'" + k + "' (" + origin.apply(k) + ")")
                  .collect(Collectors.joining(" and "))
              + ": "
              + text;
    };
  }

  /** The message without origins, for a record built in code rather than loaded. */
  @Override
  public String toString() {
    String key = keys.get(0);
    return switch (kind) {
      case INVALID -> "key '" + key + "' " + text;
      case MISSING -> "missing required value for key '" + key + "': needs " + text;
      case KEYS ->
          "keys "
              + keys.stream().map(k -> "'" + k + "'").collect(Collectors.joining(" and "))
              + ": "
              + text;
    };
  }
}
