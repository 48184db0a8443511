package io.courier.runtime.admin;

import io.vertx.core.Vertx;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What parts of a process add to its admin view ({@code GET /admin}), e.g. the instances a gRPC
 * client has discovered. Each section is a JSON-able value computed when the view is asked for.
 */
public final class AdminSections {

  private static final Map<Vertx, Map<String, Supplier<Object>>> SECTIONS =
      new ConcurrentHashMap<>();

  private AdminSections() {}

  /** Adds or replaces the section {@code name} of this Vert.x instance's admin view. */
  public static void put(Vertx vertx, String name, Supplier<Object> view) {
    SECTIONS.computeIfAbsent(vertx, v -> new ConcurrentHashMap<>()).put(name, view);
  }

  public static void remove(Vertx vertx, String name) {
    Map<String, Supplier<Object>> sections = SECTIONS.get(vertx);
    if (sections != null) {
      sections.remove(name);
    }
  }

  /** The sections of this Vert.x instance, by name. */
  public static Map<String, Supplier<Object>> of(Vertx vertx) {
    return new TreeMap<>(SECTIONS.getOrDefault(vertx, Map.of()));
  }

  /** Forgets a closed Vert.x instance. */
  public static void clear(Vertx vertx) {
    SECTIONS.remove(vertx);
  }
}
