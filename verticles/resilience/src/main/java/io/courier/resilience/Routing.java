package io.courier.resilience;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Which version of a target's instances (their {@code version} tag in discovery) a call goes to: a
 * target's optional {@code routing} section in the policy file.
 *
 * <pre>{@code
 * "routing": {"weights": {"1": 95, "2": 5}, "stickyBy": "subject", "preferZone": true}
 * }</pre>
 *
 * <ul>
 *   <li>A call whose request carries {@value #HEADER} goes only to instances of that version
 *       ({@code byHeader}, default true); when none is known the call is refused, unless {@code
 *       onMissingVersion} is {@code weights}, which routes it by the weights instead.
 *   <li>Otherwise {@code weights} (version to a non-negative integer share) split the calls over
 *       the versions that have instances; without weights any instance takes any call.
 *   <li>{@code stickyBy: "subject"} makes the split a hash of the caller's subject instead of a
 *       random draw, so one user always lands on the same version while the weights stand.
 *   <li>{@code preferZone} picks among the chosen version's healthy instances in the caller's zone
 *       ({@code discovery.zone}) when it has some, else among all of them.
 * </ul>
 *
 * @param byHeader whether a request's {@value #HEADER} chooses the version (default true)
 * @param weights shares by version, or null
 * @param stickyBy {@code subject}, or null for a random split
 * @param preferZone whether instances in the caller's zone come first (default false)
 * @param onMissingVersion {@code refuse} (default) or {@code weights}
 */
public record Routing(
    Boolean byHeader,
    Map<String, Integer> weights,
    String stickyBy,
    Boolean preferZone,
    String onMissingVersion) {

  /** The request header (gRPC metadata, event-bus header) naming the version a call must reach. */
  public static final String HEADER = "x-courier-version";

  /** What a version looks like: the header's value and a weight's key. */
  public static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");

  private static final Set<String> STICKY = Set.of("subject");
  private static final Set<String> MISSING = Set.of("refuse", "weights");

  public Routing {
    weights = weights == null ? null : new TreeMap<>(weights);
  }

  public boolean followsHeader() {
    return byHeader == null || byHeader;
  }

  public boolean zonePreferred() {
    return preferZone != null && preferZone;
  }

  /** Whether a request for a version without instances falls back to the weights. */
  public boolean fallsBackToWeights() {
    return "weights".equals(onMissingVersion);
  }

  /** The weights in version order (empty when none are declared). */
  public Map<String, Integer> weightsByVersion() {
    return weights == null ? Map.of() : weights;
  }

  void validate(PolicyProblems at) {
    if (weights != null) {
      if (weights.isEmpty()) {
        at.at("weights").add("must name at least one version");
      }
      long total = 0;
      for (Map.Entry<String, Integer> weight : weights.entrySet()) {
        String version = weight.getKey();
        if (!VERSION.matcher(version).matches()) {
          at.at("weights").add("version '" + version + "' must match " + VERSION.pattern());
          continue;
        }
        Integer share = weight.getValue();
        if (share == null || share < 0 || share > 1_000_000) {
          at.at("weights").at(version).add("must be 0..1000000, was " + share);
        } else {
          total += share;
        }
      }
      if (!weights.isEmpty() && total == 0) {
        at.at("weights").add("must give at least one version a weight above 0");
      }
    }
    if (stickyBy != null) {
      at.check("stickyBy", STICKY.contains(stickyBy), stickyBy, "must be subject");
      if (weights == null) {
        at.at("stickyBy").add("needs weights to stick to");
      }
    }
    if (onMissingVersion != null) {
      at.check(
          "onMissingVersion",
          MISSING.contains(onMissingVersion),
          onMissingVersion,
          "must be refuse or weights");
      if (fallsBackToWeights() && weights == null) {
        at.at("onMissingVersion").add("weights needs weights to fall back to");
      }
    }
  }
}
