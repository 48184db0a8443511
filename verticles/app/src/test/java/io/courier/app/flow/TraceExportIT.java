package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.courier.codec.flow.Addresses;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One order, one trace, three processes: the fat JAR runs the edge (gateway + notifications), the
 * order process (orders + payments) and the stock process (users + inventory) in one Hazelcast
 * cluster on 127.0.0.1 with the broker of this JVM, each configured through the standard {@code
 * OTEL_*} variables alone to export OTLP/HTTP to a receiver in this test. An order placed with a
 * {@code traceparent} header comes back as spans of that one trace from all three processes, each
 * naming its service and instance, linked hop by hop: the edge's HTTP server span, the event-bus
 * send into the order service, its gRPC call into the inventory service, the Kafka records it
 * publishes and the consumers that handle them.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("A trace across three processes")
class TraceExportIT {

  private static final Logger LOG = LoggerFactory.getLogger(TraceExportIT.class);
  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

  /** The caller's span, as the test's traceparent names it. */
  private static final String CALLER_SPAN = "00f067aa0ba902b7";

  private static final String RESERVE_STOCK = "/courier.v1.InventoryService/ReserveStock";

  @TempDir Path work;

  private final List<CourierProcess> processes = new ArrayList<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<String> exportHeaders = new CopyOnWriteArrayList<>();
  private final List<String> exporters = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private HttpServer receiver;

  /** One span as the receiver got it, with the resource of the process that sent it. */
  record Received(Map<String, String> resource, Span span) {
    String service() {
      return resource.get("service.name");
    }

    String id() {
      return hex(span.getSpanId());
    }

    String parent() {
      return hex(span.getParentSpanId());
    }

    String attribute(String key) {
      return strings(span.getAttributesList()).get(key);
    }

    /** Kind, name and what it addressed, for the log and failure messages. */
    @Override
    public String toString() {
      String target =
          Optional.ofNullable(attribute("url.path"))
              .or(() -> Optional.ofNullable(attribute("url.full")))
              .orElse(attribute("messaging.destination.name"));
      return service()
          + " "
          + span.getKind()
          + " '"
          + span.getName()
          + "' "
          + target
          + " "
          + id()
          + " <- "
          + parent();
    }
  }

  @BeforeEach
  void startReceiver() throws Exception {
    vertx = Vertx.vertx();
    receiver =
        vertx
            .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
            .requestHandler(this::export)
            .listen()
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
  }

  /** The OTLP/HTTP traces endpoint: protobuf in, an empty (all accepted) protobuf answer out. */
  private void export(HttpServerRequest request) {
    if (!"/v1/traces".equals(request.path())) {
      request.response().setStatusCode(404).end();
      return;
    }
    exportHeaders.add(String.valueOf(request.getHeader("x-courier-test")));
    request
        .body()
        .onSuccess(
            body -> {
              try {
                ExportTraceServiceRequest export =
                    ExportTraceServiceRequest.parseFrom(body.getBytes());
                for (ResourceSpans resource : export.getResourceSpansList()) {
                  Map<String, String> attributes =
                      strings(resource.getResource().getAttributesList());
                  exporters.add(attributes.get("service.name"));
                  for (ScopeSpans scope : resource.getScopeSpansList()) {
                    scope.getSpansList().forEach(s -> received.add(new Received(attributes, s)));
                  }
                }
                request
                    .response()
                    .putHeader("Content-Type", "application/x-protobuf")
                    .end(
                        Buffer.buffer(
                            ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
              } catch (IOException e) {
                LOG.error("not an ExportTraceServiceRequest", e);
                request.response().setStatusCode(400).end();
              }
            })
        .onFailure(e -> request.response().setStatusCode(500).end());
  }

  @AfterEach
  void stopAll() throws Exception {
    for (CourierProcess process : processes) {
      process.stop();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(240)
  @DisplayName("links the edge, the event bus, gRPC and Kafka of one order across every process")
  void shouldExportOneTraceAcrossThreeProcesses(EmbeddedKafkaBroker kafka) throws Exception {
    String run = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";
    FlowSeeds seeds = FlowSeeds.write(work, run, 2, 2, 100);
    int[] hz = {CourierProcess.freePort(), CourierProcess.freePort(), CourierProcess.freePort()};
    int http = CourierProcess.freePort();
    Map<String, String> common =
        CourierProcess.clusterEnv("trace-" + run, hz, kafka.bootstrapServers(), seeds);
    common.put("COURIER_GATEWAY_PORT", Integer.toString(http));
    String collector = "http://127.0.0.1:" + receiver.actualPort();
    // Only traces a caller samples: the test's own, not the cluster's background traffic.
    common.put("OTEL_TRACES_SAMPLER", "parentbased_always_off");
    common.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    common.put("OTEL_EXPORTER_OTLP_HEADERS", "x-courier-test=otlp%20ok");

    Map<String, String> stock = env(common, hz[2], "user-service,inventory-service");
    // The traces endpoint as it is, and the service named by the resource attributes.
    stock.put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector + "/v1/traces");
    stock.put("OTEL_RESOURCE_ATTRIBUTES", "service.name=courier-stock,deployment.environment=it");
    Map<String, String> orders = env(common, hz[1], "order-service,payment-service");
    orders.put("OTEL_EXPORTER_OTLP_ENDPOINT", collector);
    orders.put("OTEL_SERVICE_NAME", "courier-orders");
    orders.put("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=it");
    Map<String, String> edge = env(common, hz[0], "gateway,notification-service");
    edge.put("OTEL_EXPORTER_OTLP_ENDPOINT", collector + "/");
    edge.put("OTEL_SERVICE_NAME", "courier-edge");
    edge.put("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=it");
    // One after the other: three JVMs booting at once on two cores starve each other.
    for (Map.Entry<String, Map<String, String>> each :
        List.of(Map.entry("stock", stock), Map.entry("orders", orders), Map.entry("edge", edge))) {
      CourierProcess process =
          CourierProcess.start(
              each.getKey(), JAR, ROOT, ROOT.resolve("conf/cluster.json"), each.getValue());
      processes.add(process);
      LOG.info("{}: {}", each.getKey(), process.awaitReady(120));
    }

    String traceId = UUID.randomUUID().toString().replace("-", "");
    FlowClient client =
        new FlowClient(
            "http://127.0.0.1:" + http, FlowClient.adminToken(CourierProcess.keyDir(seeds)));
    HttpResponse<String> answer =
        client.send(
            client
                .request("/api/v1/orders")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", run + "traced")
                .header("traceparent", "00-" + traceId + "-" + CALLER_SPAN + "-01")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        FlowClient.orderBody(
                            seeds.userIds().get(0),
                            List.of(new FlowClient.Line(seeds.skus().get(0), 1))))));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    String orderId = new JsonObject(answer.body()).getString("orderId");
    LOG.info("order {} in trace {}", orderId, traceId);

    // The last hop, the payment outcome back in the order service, and the inventory service's
    // part: each process sends its batch every 5 s.
    try {
      FlowClient.awaitUntil(
          "the payment outcome consumed by the order service, and the stock process's spans",
          Duration.ofSeconds(45),
          () ->
              trace(traceId).stream().anyMatch(TraceExportIT::isPaymentOutcome)
                  && trace(traceId).stream().anyMatch(s -> "courier-stock".equals(s.service())));
    } finally {
      LOG.info("exports from {}", exporters);
    }
    // Parents end after their children and may sit in another process's next batch.
    FlowClient.awaitUntil(
        "every parent span exported", Duration.ofSeconds(20), () -> dangling(traceId).isEmpty());
    List<Received> trace = trace(traceId);
    trace.forEach(s -> LOG.info("span {}", s));

    // One trace id, three processes, each named by its OTEL_* variables.
    Map<String, Set<String>> instances =
        trace.stream()
            .collect(
                Collectors.groupingBy(
                    Received::service,
                    Collectors.mapping(
                        s -> s.resource().get("service.instance.id"), Collectors.toSet())));
    assertThat(instances).containsOnlyKeys("courier-edge", "courier-orders", "courier-stock");
    assertThat(instances.values()).allSatisfy(ids -> assertThat(ids).hasSize(1));
    assertThat(instances.values().stream().flatMap(Set::stream).distinct())
        .as("instance ids")
        .hasSize(3)
        .allSatisfy(id -> assertThat(id).matches(".+/\\d+|pid-\\d+"));
    assertThat(trace)
        .allSatisfy(
            s -> {
              assertThat(s.resource()).containsEntry("deployment.environment", "it");
              assertThat(s.resource()).containsEntry("telemetry.sdk.language", "java");
            });
    assertThat(roles(trace, "courier-edge")).isEqualTo("gateway,notification-service");
    assertThat(roles(trace, "courier-orders")).isEqualTo("order-service,payment-service");
    assertThat(roles(trace, "courier-stock")).isEqualTo("user-service,inventory-service");
    assertThat(exportHeaders).isNotEmpty().allMatch("otlp ok"::equals);
    assertThat(dangling(traceId)).as("parents no process exported").isEmpty();

    // The edge's HTTP server span continues the caller's.
    Received server =
        one(
            trace,
            "the edge's server span",
            s ->
                s.service().equals("courier-edge")
                    && s.span().getKind() == SpanKind.SPAN_KIND_SERVER
                    && "/api/v1/orders".equals(s.attribute("url.path")));
    assertThat(server.parent()).isEqualTo(CALLER_SPAN);

    // Every other span descends from it: no hop started a trace of its own or lost its parent.
    assertThat(trace)
        .filteredOn(s -> s != server)
        .allSatisfy(s -> assertThat(ancestors(trace, s)).as(s.toString()).contains(server.id()));

    // The event-bus hop: a client span in the edge, the order service's server span its child in
    // the other process, on the same address.
    List<Received> sends =
        some(
            trace,
            "the edge's event-bus sends",
            s ->
                s.service().equals("courier-edge")
                    && s.span().getKind() == SpanKind.SPAN_KIND_CLIENT
                    && startsWith(
                        s.attribute("messaging.destination.name"), Addresses.ORDER_PLACE));
    List<Received> placings =
        some(
            trace,
            "the order service's event-bus receipts",
            s ->
                s.service().equals("courier-orders")
                    && s.span().getKind() == SpanKind.SPAN_KIND_SERVER
                    && startsWith(
                        s.attribute("messaging.destination.name"), Addresses.ORDER_PLACE));
    assertThat(placings)
        .allSatisfy(
            placing -> {
              Received send = byId(sends, placing.parent()).orElseThrow();
              assertThat(placing.attribute("messaging.destination.name"))
                  .isEqualTo(send.attribute("messaging.destination.name"));
            });

    // The gRPC call into the inventory service: its server span in the stock process is the
    // child of the order service's client span, made while placing the order.
    List<Received> reserved =
        some(
            trace,
            "the inventory service's gRPC server spans",
            s ->
                s.service().equals("courier-stock")
                    && s.span().getKind() == SpanKind.SPAN_KIND_SERVER
                    && RESERVE_STOCK.equals(s.attribute("url.path")));
    assertThat(reserved)
        .allSatisfy(
            stockSide -> {
              Received call = byId(trace, stockSide.parent()).orElseThrow();
              assertThat(call.service()).isEqualTo("courier-orders");
              assertThat(call.span().getKind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
              assertThat(call.attribute("url.full")).endsWith(RESERVE_STOCK);
              assertThat(ancestors(trace, call)).containsAnyElementsOf(ids(placings));
            });

    // Kafka: the order events the order service publishes, each consumer span a child of, and
    // linked to, the producer span of its record, in whichever process consumes it.
    List<Received> published =
        some(
            trace,
            "the order events' producer spans",
            s ->
                s.service().equals("courier-orders")
                    && s.span().getKind() == SpanKind.SPAN_KIND_PRODUCER
                    && "courier.orders".equals(s.attribute("messaging.destination.name")));
    List<Received> consumers =
        some(trace, "consumer spans", s -> s.span().getKind() == SpanKind.SPAN_KIND_CONSUMER);
    assertThat(consumers).anyMatch(s -> ids(published).contains(s.parent()));
    assertThat(consumers)
        .allSatisfy(
            s -> {
              Received producer = byId(trace, s.parent()).orElseThrow();
              assertThat(producer.span().getKind()).isEqualTo(SpanKind.SPAN_KIND_PRODUCER);
              assertThat(s.attribute("messaging.destination.name"))
                  .isEqualTo(producer.attribute("messaging.destination.name"));
              assertThat(s.span().getLinksList())
                  .anyMatch(link -> hex(link.getSpanId()).equals(producer.id()));
            });
    List<Received> outcome =
        some(
            trace,
            "the payment outcome's consumer span in the order service",
            s ->
                s.service().equals("courier-orders")
                    && s.span().getKind() == SpanKind.SPAN_KIND_CONSUMER
                    && "courier.payments".equals(s.attribute("messaging.destination.name"))
                    && "order-service".equals(s.attribute("messaging.consumer.group.name")));
    assertThat(outcome)
        .allSatisfy(s -> assertThat(ancestors(trace, s)).containsAnyElementsOf(ids(published)));

    for (CourierProcess process : processes) {
      assertThat(process.stderr).noneMatch(line -> line.contains("has been blocked for"));
    }
  }

  private static Map<String, String> env(Map<String, String> common, int hzPort, String roles) {
    Map<String, String> env = new HashMap<>(common);
    env.put("COURIER_CLUSTER_PORT", Integer.toString(hzPort));
    env.put("COURIER_ROLES", roles);
    return env;
  }

  private static boolean isPaymentOutcome(Received s) {
    return s.span().getName().equals("courier.payments process")
        && "order-service".equals(s.attribute("messaging.consumer.group.name"));
  }

  private List<Received> trace(String traceId) {
    return received.stream().filter(s -> hex(s.span().getTraceId()).equals(traceId)).toList();
  }

  /** Parent ids of the trace's spans that no received span has, the caller's aside. */
  private Set<String> dangling(String traceId) {
    List<Received> trace = trace(traceId);
    Set<String> ids = trace.stream().map(Received::id).collect(Collectors.toSet());
    return trace.stream()
        .map(Received::parent)
        .filter(parent -> !parent.isEmpty() && !parent.equals(CALLER_SPAN) && !ids.contains(parent))
        .collect(Collectors.toSet());
  }

  private static String roles(List<Received> trace, String service) {
    return trace.stream()
        .filter(s -> s.service().equals(service))
        .map(s -> s.resource().get("courier.roles"))
        .findFirst()
        .orElse(null);
  }

  private static Received one(List<Received> trace, String what, Predicate<Received> test) {
    List<Received> found = trace.stream().filter(test).toList();
    assertThat(found).as(what + " among " + trace).hasSize(1);
    return found.get(0);
  }

  private static List<Received> some(List<Received> trace, String what, Predicate<Received> test) {
    List<Received> found = trace.stream().filter(test).toList();
    assertThat(found).as(what + " among " + trace).isNotEmpty();
    return found;
  }

  private static List<String> ids(List<Received> spans) {
    return spans.stream().map(Received::id).toList();
  }

  private static Optional<Received> byId(List<Received> trace, String id) {
    return trace.stream().filter(s -> s.id().equals(id)).findFirst();
  }

  /** The ids of {@code span}'s ancestors in {@code trace}, nearest first. */
  private static List<String> ancestors(List<Received> trace, Received span) {
    List<String> ids = new ArrayList<>();
    Optional<Received> at = byId(trace, span.parent());
    while (at.isPresent() && !ids.contains(at.get().id())) {
      ids.add(at.get().id());
      at = byId(trace, at.get().parent());
    }
    return ids;
  }

  private static boolean startsWith(String text, String prefix) {
    return text != null && text.startsWith(prefix);
  }

  private static boolean endsWith(String text, String suffix) {
    return text != null && text.endsWith(suffix);
  }

  private static Map<String, String> strings(List<KeyValue> attributes) {
    Map<String, String> map = new HashMap<>();
    attributes.forEach(kv -> map.put(kv.getKey(), kv.getValue().getStringValue()));
    return map;
  }

  private static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }
}
