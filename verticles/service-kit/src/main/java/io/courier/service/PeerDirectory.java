package io.courier.service;

import io.courier.discovery.ServiceInstance;
import io.courier.runtime.admin.AdminSections;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.function.BinaryOperator;
import java.util.function.Supplier;

/**
 * The peers every client of one process has discovered, as its admin view's {@code discovered}
 * section: per service, the instances known, each with its breaker state. Held weakly, so a client
 * that is gone drops out.
 */
final class PeerDirectory implements Supplier<Object> {

  /** The admin view's section. */
  static final String SECTION = "discovered";

  private final Set<PeerInstances> peers =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  /** The process's directory, made on first use. */
  static PeerDirectory of(AdminSections admin) {
    return admin.section(SECTION, PeerDirectory.class, PeerDirectory::new);
  }

  void add(PeerInstances instances) {
    peers.add(instances);
  }

  /** Per service, the instances this process's clients know of, with their breaker states. */
  @Override
  public Object get() {
    Map<String, Map<String, ServiceInstance>> known = new TreeMap<>();
    Map<String, String> breakerStates = new HashMap<>();
    synchronized (peers) {
      for (PeerInstances peer : peers) {
        Map<String, ServiceInstance> instances =
            known.computeIfAbsent(peer.service(), k -> new TreeMap<>());
        peer.known().forEach(instance -> instances.put(instance.id(), instance));
        peer.breakerStates()
            .forEach((address, state) -> breakerStates.merge(address, state.name(), worst()));
      }
    }
    JsonObject view = new JsonObject();
    known.forEach(
        (service, instances) -> {
          JsonArray list = new JsonArray();
          for (ServiceInstance instance : instances.values()) {
            list.add(
                new JsonObject()
                    .put("id", instance.id())
                    .put("address", instance.host() + ":" + instance.port())
                    .put("breaker", breakerStates.getOrDefault(instance.address(), "CLOSED"))
                    .put("tags", new JsonObject(new TreeMap<String, Object>(instance.tags()))));
          }
          view.put(service, list);
        });
    return view;
  }

  /** Two clients' breakers of one instance: the view shows the less healthy state. */
  private static BinaryOperator<String> worst() {
    List<String> order = List.of("CLOSED", "HALF_OPEN", "OPEN");
    return (a, b) -> order.indexOf(a) >= order.indexOf(b) ? a : b;
  }
}
