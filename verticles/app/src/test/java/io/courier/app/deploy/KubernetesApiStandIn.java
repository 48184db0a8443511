package io.courier.app.deploy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The few read-only endpoints of a Kubernetes API server that Hazelcast's Kubernetes discovery (API
 * mode, {@code service-name}) reads, over plain HTTP on 127.0.0.1, for one namespace holding one
 * running pod:
 *
 * <ul>
 *   <li>{@code GET /apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices[?labelSelector=
 *       kubernetes.io/service-name=NAME]}: the EndpointSlices the endpoint-slice controller would
 *       keep, one per Service of the namespace that selects the pod, with the pod as its endpoint
 *       (ready when the Service publishes not-ready addresses);
 *   <li>{@code GET /api/v1/namespaces/{ns}/pods/{name}}: the pod, scheduled on node {@value #NODE};
 *   <li>{@code GET /api/v1/nodes/{name}}: that node.
 * </ul>
 *
 * Every request must carry the service-account token as a bearer token (401 otherwise); anything
 * else is answered 404 and remembered in {@link #unserved()}.
 */
final class KubernetesApiStandIn implements AutoCloseable {

  static final String NODE = "node-1";

  private final HttpServer server;
  private final String token;
  private final Set<String> served = new ConcurrentSkipListSet<>();
  private final Set<String> unserved = new ConcurrentSkipListSet<>();
  private volatile RunningPod pod;

  /** The pod the namespace holds, with the Services of its namespace. */
  record RunningPod(
      String namespace,
      String name,
      String ip,
      Map<String, String> labels,
      List<Service> services) {}

  KubernetesApiStandIn(String token) throws IOException {
    this.token = token;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** What {@code kubernetes-master} is for a client of this stand-in. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The pod the namespace now holds; forgets what was asked for before. */
  void pod(RunningPod pod) {
    this.pod = pod;
    served.clear();
    unserved.clear();
  }

  /** Paths (without query) that were asked for and answered. */
  Set<String> served() {
    return Set.copyOf(served);
  }

  /** Requests (method and path with query) this stand-in answered 404. */
  Set<String> unserved() {
    return Set.copyOf(unserved);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String query = exchange.getRequestURI().getRawQuery();
      if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        respond(exchange, 401, status(401, "Unauthorized"));
        return;
      }
      JsonObject body = "GET".equals(exchange.getRequestMethod()) ? answer(path, query) : null;
      if (body == null) {
        unserved.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
        respond(exchange, 404, status(404, "NotFound"));
        return;
      }
      served.add(path);
      respond(exchange, 200, body);
    }
  }

  private JsonObject answer(String path, String query) {
    RunningPod running = pod;
    if (running == null) {
      return null;
    }
    String namespaced = "/namespaces/" + running.namespace();
    if (path.equals("/apis/discovery.k8s.io/v1" + namespaced + "/endpointslices")) {
      String wanted = serviceNameSelected(query);
      JsonArray items = new JsonArray();
      for (Service service : running.services()) {
        Map<String, String> selector = service.getSpec().getSelector();
        boolean selects =
            selector != null
                && !selector.isEmpty()
                && running.labels().entrySet().containsAll(selector.entrySet());
        if (selects && (wanted == null || wanted.equals(service.getMetadata().getName()))) {
          items.add(slice(running, service));
        }
      }
      return new JsonObject()
          .put("kind", "EndpointSliceList")
          .put("apiVersion", "discovery.k8s.io/v1")
          .put("metadata", new JsonObject().put("resourceVersion", "1"))
          .put("items", items);
    }
    if (path.equals("/api/v1" + namespaced + "/pods/" + running.name())) {
      return new JsonObject()
          .put("kind", "Pod")
          .put("apiVersion", "v1")
          .put(
              "metadata",
              new JsonObject()
                  .put("name", running.name())
                  .put("namespace", running.namespace())
                  .put("labels", new JsonObject(Map.copyOf(running.labels()))))
          .put("spec", new JsonObject().put("nodeName", NODE))
          .put(
              "status",
              new JsonObject()
                  .put("phase", "Running")
                  .put("podIP", running.ip())
                  .put("hostIP", running.ip()));
    }
    if (path.equals("/api/v1/nodes/" + NODE)) {
      return new JsonObject()
          .put("kind", "Node")
          .put("apiVersion", "v1")
          .put(
              "metadata",
              new JsonObject()
                  .put("name", NODE)
                  .put("labels", new JsonObject().put("kubernetes.io/hostname", NODE)))
          .put(
              "status",
              new JsonObject()
                  .put(
                      "addresses",
                      new JsonArray()
                          .add(
                              new JsonObject()
                                  .put("type", "InternalIP")
                                  .put("address", running.ip()))));
    }
    return null;
  }

  private static String serviceNameSelected(String query) {
    if (query == null) {
      return null;
    }
    for (String parameter : query.split("&")) {
      String decoded = URLDecoder.decode(parameter, StandardCharsets.UTF_8);
      String prefix = "labelSelector=kubernetes.io/service-name=";
      if (decoded.startsWith(prefix)) {
        return decoded.substring(prefix.length());
      }
    }
    return null;
  }

  private static JsonObject slice(RunningPod running, Service service) {
    boolean ready = Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses());
    JsonArray ports = new JsonArray();
    for (ServicePort port : service.getSpec().getPorts()) {
      // A slice lists the pods' (target) ports; the manifests' Services target container ports
      // of the same number, so the Service port stands for it.
      ports.add(
          new JsonObject()
              .put("name", port.getName())
              .put("port", port.getPort())
              .put("protocol", "TCP"));
    }
    String name = service.getMetadata().getName();
    return new JsonObject()
        .put(
            "metadata",
            new JsonObject()
                .put("name", name + "-abcde")
                .put("namespace", running.namespace())
                .put("labels", new JsonObject().put("kubernetes.io/service-name", name)))
        .put("addressType", "IPv4")
        .put(
            "endpoints",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put("addresses", new JsonArray().add(running.ip()))
                        .put(
                            "conditions",
                            new JsonObject()
                                .put("ready", ready)
                                .put("serving", ready)
                                .put("terminating", false))
                        .put("nodeName", NODE)
                        .put(
                            "targetRef",
                            new JsonObject()
                                .put("kind", "Pod")
                                .put("name", running.name())
                                .put("namespace", running.namespace()))))
        .put("ports", ports);
  }

  private static JsonObject status(int code, String reason) {
    return new JsonObject()
        .put("kind", "Status")
        .put("apiVersion", "v1")
        .put("status", "Failure")
        .put("reason", reason)
        .put("code", code);
  }

  private static void respond(HttpExchange exchange, int code, JsonObject body) throws IOException {
    byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
