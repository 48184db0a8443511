package io.courier.runtime.config;

/**
 * Checks of a configuration section that its record's constructor cannot make: those that depend on
 * the profile or the roles this process runs (a file that must exist only when its role runs, a
 * shortcut production refuses), or that read the file system.
 *
 * @param <T> the section's record type
 */
@FunctionalInterface
public interface SectionCheck<T> {

  /**
   * Adds a problem to {@code checks} for each rule {@code value} breaks, with keys relative to the
   * section.
   */
  void check(T value, ConfigChecks checks, ConfigContext context);
}
