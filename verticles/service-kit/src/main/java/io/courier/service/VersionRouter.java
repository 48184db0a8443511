package io.courier.service;

import io.courier.discovery.ServiceInstance;
import io.courier.resilience.Routing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Chooses the version of a target's instances one call goes to, by its {@link Routing}: the
 * requested version when the policy follows the header, else a share of the weights, drawn at
 * random or, sticky, from a hash of the caller's subject (consistent: the weights are ranges of [0,
 * 1) in version order, so moving 5 % of the weight moves only the keys in those 5 %).
 */
final class VersionRouter {

  /** The discovery tag naming an instance's version. */
  static final String VERSION_TAG = "version";

  /** The discovery tag naming an instance's zone. */
  static final String ZONE_TAG = "zone";

  private VersionRouter() {}

  /**
   * The version the call goes to, or null for any instance (no routing, no weights, or nothing
   * known yet: the caller's usual "no instance" answer applies then).
   *
   * @param target the target, named in refusals
   * @param requested the request's version, or null
   * @param stickyKey the caller's subject, or null
   * @throws ServiceError.Failure 503 {@code version-unavailable} when the requested version has no
   *     instance (and the policy does not fall back to the weights), or no weighted version has one
   */
  static String choose(
      String target,
      Routing routing,
      List<ServiceInstance> known,
      RequestedVersion requested,
      String stickyKey,
      RandomGenerator random) {
    if (routing == null || known.isEmpty()) {
      return null;
    }
    Set<String> present = new HashSet<>();
    for (ServiceInstance instance : known) {
      present.add(instance.tags().getOrDefault(VERSION_TAG, ""));
    }
    if (requested != null && routing.followsHeader()) {
      if (present.contains(requested.value())) {
        return requested.value();
      }
      if (!routing.fallsBackToWeights()) {
        throw ServiceError.unavailable(
                "version-unavailable",
                "no instance of version '" + requested.value() + "' of " + target + " is known")
            .failure();
      }
    }
    Map<String, Integer> weights = routing.weightsByVersion();
    if (weights.isEmpty()) {
      return null;
    }
    List<Map.Entry<String, Integer>> available = new ArrayList<>();
    long total = 0;
    for (Map.Entry<String, Integer> weight : weights.entrySet()) {
      if (weight.getValue() > 0 && present.contains(weight.getKey())) {
        available.add(weight);
        total += weight.getValue();
      }
    }
    if (available.isEmpty()) {
      throw ServiceError.unavailable(
              "version-unavailable",
              "no instance of a weighted version " + weights.keySet() + " of " + target)
          .failure();
    }
    double point =
        stickyKey != null && "subject".equals(routing.stickyBy())
            ? point(stickyKey)
            : random.nextDouble();
    double at = point * total;
    long upTo = 0;
    for (Map.Entry<String, Integer> weight : available) {
      upTo += weight.getValue();
      if (at < upTo) {
        return weight.getKey();
      }
    }
    return available.get(available.size() - 1).getKey();
  }

  /** Whether {@code instance} is of {@code version} (any, when null). */
  static boolean of(ServiceInstance instance, String version) {
    return version == null || version.equals(instance.tags().get(VERSION_TAG));
  }

  /** Whether {@code instance} is in {@code zone}. */
  static boolean in(ServiceInstance instance, String zone) {
    return zone.equals(instance.tags().get(ZONE_TAG));
  }

  /** Where a key falls in [0, 1): FNV-1a over its UTF-8 bytes, then a 64-bit finaliser. */
  static double point(String key) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    hash ^= hash >>> 33;
    hash *= 0xff51afd7ed558ccdL;
    hash ^= hash >>> 33;
    hash *= 0xc4ceb9fe1a85ec53L;
    hash ^= hash >>> 33;
    return (hash >>> 11) * 0x1.0p-53;
  }
}
