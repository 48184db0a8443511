package io.courier.runtime.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A part of the configuration a role owns: where it sits in the file ({@code gateway}, {@code
 * services.user}), the immutable record it binds to (whose constructor validates its values), the
 * record's defaults, and the checks that need more than the values ({@link SectionCheck}). Roles
 * declare their sections ({@code Role.configSections()}); the {@link ConfigLoader} reads every
 * section of every role on the classpath the same way: defaults, then the file, {@code COURIER_*}
 * variables, {@code courier.*} properties and command-line options.
 *
 * <p>Several roles may declare the same section object (say, a policy file every service reads);
 * two different sections at one path are refused.
 *
 * @param <T> the record type
 */
public final class ConfigSection<T> {

  private static final Pattern PATH = Pattern.compile("[a-z][A-Za-z0-9]*(\\.[a-z][A-Za-z0-9]*)*");

  private final String path;
  private final Class<T> type;
  private final T defaults;
  private final SectionCheck<T> check;

  private ConfigSection(String path, Class<T> type, T defaults, SectionCheck<T> check) {
    if (!PATH.matcher(Objects.requireNonNull(path, "path")).matches()) {
      throw new IllegalArgumentException(
          "a section path is dotted lowerCamel names, e.g. services.user; was '" + path + "'");
    }
    if (!Objects.requireNonNull(type, "type").isRecord()) {
      throw new IllegalArgumentException(type.getName() + " is not a record");
    }
    this.path = path;
    this.type = type;
    this.defaults = type.cast(Objects.requireNonNull(defaults, "defaults"));
    this.check = Objects.requireNonNull(check, "check");
  }

  /** A section at {@code path} bound to {@code type}, with {@code defaults} for every key. */
  public static <T> ConfigSection<T> of(String path, Class<T> type, T defaults) {
    return new ConfigSection<>(path, type, defaults, (value, checks, context) -> {});
  }

  /** This section with checks that depend on the profile, the roles or the file system. */
  public ConfigSection<T> checkedBy(SectionCheck<T> check) {
    return new ConfigSection<>(path, type, defaults, check);
  }

  /** Where the section sits, e.g. {@code services.user}. */
  public String path() {
    return path;
  }

  public Class<T> type() {
    return type;
  }

  /** The value every key has unless a layer sets it. */
  public T defaults() {
    return defaults;
  }

  /** Adds the problems of {@code value} that its constructor could not see. */
  public void check(Object value, ConfigChecks checks, ConfigContext context) {
    check.check(type.cast(value), checks, context);
  }

  @Override
  public String toString() {
    return "section '" + path + "' (" + type.getSimpleName() + ")";
  }
}
