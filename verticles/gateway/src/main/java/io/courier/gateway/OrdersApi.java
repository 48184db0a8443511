package io.courier.gateway;

import com.google.protobuf.Timestamp;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.InventoryServiceGrpcClient;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.contract.v1.StockLevel;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcClient;
import io.courier.resilience.Deadline;
import io.courier.runtime.Causes;
import io.courier.runtime.tracing.SpanDeadline;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.openapi.validation.ValidatedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The REST operations. Requests reach these handlers only once the OpenAPI contract validated them;
 * the handlers turn them into contract messages, call the services and write JSON, or a problem for
 * any failure.
 */
final class OrdersApi {

  private final Backends backends;
  private final Duration timeout;

  OrdersApi(Backends backends, Duration timeout) {
    this.backends = backends;
    this.timeout = timeout;
  }

  void placeOrder(RoutingContext routing) {
    ValidatedRequest request = routing.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    ServiceError badKey = keyProblem(routing.request().getHeader(IDEMPOTENCY_KEY));
    if (badKey != null) {
      Problems.send(routing, badKey, List.of());
      return;
    }
    Deadline deadline = deadline(routing);
    if (deadline == null) {
      return;
    }
    Optional<RequestedVersion> version = version(routing);
    if (version == null) {
      return;
    }
    backends
        .orders
        .place(
            placeOrderRequest(request, routing.request().getHeader(IDEMPOTENCY_KEY)),
            deadline,
            EdgeAuth.identity(routing),
            version.orElse(null))
        .onComplete(
            done -> {
              if (done.failed()) {
                Problems.send(routing, ServiceError.of(done.cause()), List.of());
                return;
              }
              PlaceOrderResponse placed = done.result().body();
              String id = placed.getOrderId();
              if (done.result().degraded()) {
                routing.response().putHeader(DEGRADED, done.result().degradedBy());
              }
              routing
                  .response()
                  .setStatusCode(202)
                  .putHeader("Content-Type", "application/json")
                  .putHeader("Location", "/api/v1/orders/" + id)
                  .end(
                      new JsonObject()
                          .put("orderId", id)
                          .put("status", status(placed.getStatus()))
                          .encode());
            });
  }

  static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /**
   * The response header of an answer the platform gave with a dependency down, part of it from a
   * fallback (a cached user profile, say): its value names the dependency, e.g. {@code
   * user-service}.
   */
  static final String DEGRADED = "Courier-Degraded";

  /**
   * What is wrong with an {@code Idempotency-Key} as sent, or null: the contract's 1 to 128
   * characters hold for the raw value too, not only for the validator's decoded one.
   */
  static ServiceError keyProblem(String raw) {
    int length = raw == null ? 0 : raw.codePointCount(0, raw.length());
    if (length >= 1 && length <= 128) {
      return null;
    }
    return ServiceError.badField(
        "invalid-header",
        IDEMPOTENCY_KEY,
        "Idempotency-Key must be 1 to 128 characters as sent, was " + length);
  }

  /**
   * The contract message of a POST /api/v1/orders the OpenAPI contract validated, with {@code
   * idempotencyKey} the header exactly as sent: the validator's own view of it is decoded (it reads
   * {@code %41} as {@code A}, and a JSON-looking value as JSON), which would make two different
   * keys one.
   */
  static PlaceOrderRequest placeOrderRequest(ValidatedRequest request, String idempotencyKey) {
    JsonObject body = request.getBody().getJsonObject();
    PlaceOrderRequest.Builder place =
        PlaceOrderRequest.newBuilder()
            .setUserId(body.getString("userId"))
            .setIdempotencyKey(idempotencyKey);
    JsonArray items = body.getJsonArray("items");
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.getJsonObject(i);
      place.addItems(
          LineItem.newBuilder()
              .setSku(item.getString("sku"))
              .setQuantity(item.getInteger("quantity")));
    }
    return place.build();
  }

  void getOrder(RoutingContext routing) {
    String id = pathParameter(routing, "id");
    Deadline deadline = deadline(routing);
    if (deadline == null) {
      return;
    }
    Optional<RequestedVersion> version = version(routing);
    if (version == null) {
      return;
    }
    respond(
        routing,
        backends
            .orders
            .get(id, deadline, EdgeAuth.identity(routing), version.orElse(null))
            .map(found -> orderJson(found.getOrder())));
  }

  void getUser(RoutingContext routing) {
    String id = pathParameter(routing, "id");
    Deadline deadline = deadline(routing);
    if (deadline == null) {
      return;
    }
    Optional<RequestedVersion> version = version(routing);
    if (version == null) {
      return;
    }
    Future<JsonObject> user =
        backends
            .users
            .<GetUserRequest, GetUserResponse>call(
                deadline,
                UserServiceGrpcClient.GetUser,
                GetUserRequest.newBuilder().setUserId(id).build(),
                EdgeAuth.identity(routing),
                version.orElse(null))
            .map(found -> userJson(found.getUser()))
            .recover(error -> notFoundAs(error, "unknown-user", "no user with id '" + id + "'"));
    respond(routing, user);
  }

  void getStock(RoutingContext routing) {
    String sku = pathParameter(routing, "sku");
    Deadline deadline = deadline(routing);
    if (deadline == null) {
      return;
    }
    Optional<RequestedVersion> version = version(routing);
    if (version == null) {
      return;
    }
    Future<JsonObject> stock =
        backends
            .inventory
            .<GetStockRequest, GetStockResponse>call(
                deadline,
                InventoryServiceGrpcClient.GetStock,
                GetStockRequest.newBuilder().setSku(sku).build(),
                EdgeAuth.identity(routing),
                version.orElse(null))
            .map(found -> stockJson(found.getStock()))
            .recover(error -> notFoundAs(error, "unknown-sku", "no SKU '" + sku + "'"));
    respond(routing, stock);
  }

  /**
   * The version the request's {@value RequestedVersion#HEADER} asks for (empty without one): it
   * travels on to every hop, and a target whose policy routes by version sends the request's calls
   * only to instances of it. Null, with a 400 problem sent, when the header is malformed.
   */
  /** The version the request asks for; null when the header is malformed (400 answered). */
  static Optional<RequestedVersion> version(RoutingContext routing) {
    try {
      return RequestedVersion.from(routing.request().headers());
    } catch (IllegalArgumentException malformed) {
      Problems.send(
          routing,
          ServiceError.badField("invalid-header", RequestedVersion.HEADER, malformed.getMessage()),
          List.of());
      return null;
    }
  }

  /** The header in which a caller says how long it waits for the answer, in milliseconds. */
  static final String TIMEOUT_HEADER = "Courier-Timeout-Ms";

  /**
   * The request's deadline: what the caller's {@link #TIMEOUT_HEADER} allows, capped by {@code
   * gateway.requestTimeoutMs} (which alone applies when the header is absent). It travels on to the
   * order, user and inventory services, each hop with what is left of it. Null, with a 400 problem
   * sent, when the header is not a whole number of milliseconds from 1 up.
   */
  Deadline deadline(RoutingContext routing) {
    String raw = routing.request().getHeader(TIMEOUT_HEADER);
    Deadline capped = Deadline.after(timeout);
    Deadline deadline = capped;
    if (raw != null) {
      long millis = timeoutMillis(raw);
      if (millis < 1) {
        Problems.send(
            routing,
            ServiceError.badField(
                "invalid-header",
                TIMEOUT_HEADER,
                TIMEOUT_HEADER
                    + " must be a whole number of milliseconds from 1 up, was '"
                    + (raw.length() > 32 ? raw.substring(0, 32) + "..." : raw)
                    + "'"),
            List.of());
        return null;
      }
      deadline = Deadline.after(Duration.ofMillis(millis)).earliest(capped);
    }
    SpanDeadline.record(deadline.remaining());
    return deadline;
  }

  /** The header's milliseconds, or -1 when it is not 1 to 18 ASCII digits. */
  static long timeoutMillis(String raw) {
    if (raw.isEmpty() || raw.length() > 18) {
      return -1;
    }
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    return Long.parseLong(raw);
  }

  private static String pathParameter(RoutingContext routing, String name) {
    ValidatedRequest request = routing.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    return request.getPathParameters().get(name).getString();
  }

  private static void respond(RoutingContext routing, Future<JsonObject> answer) {
    answer.onComplete(
        done -> {
          if (done.failed()) {
            Problems.send(routing, ServiceError.of(done.cause()), List.of());
          } else {
            routing
                .response()
                .putHeader("Content-Type", "application/json")
                .end(done.result().encode());
          }
        });
  }

  private static <T> Future<T> notFoundAs(Throwable error, String type, String detail) {
    boolean notFound =
        Causes.find(
                error,
                InvalidStatusException.class,
                status -> status.actualStatus() == GrpcStatus.NOT_FOUND)
            .isPresent();
    return Future.failedFuture(notFound ? ServiceError.notFound(type, detail).failure() : error);
  }

  static String status(OrderStatus status) {
    return switch (status) {
      case ORDER_STATUS_CONFIRMED -> "CONFIRMED";
      case ORDER_STATUS_CANCELLED -> "CANCELLED";
      default -> "PENDING";
    };
  }

  static JsonObject orderJson(Order order) {
    JsonArray items = new JsonArray();
    for (LineItem item : order.getItemsList()) {
      items.add(
          new JsonObject()
              .put("sku", item.getSku())
              .put("quantity", item.getQuantity())
              .put("unitPriceMinor", item.getUnitPrice().getAmountMinor())
              .put("currency", item.getUnitPrice().getCurrency()));
    }
    JsonObject json =
        new JsonObject()
            .put("orderId", order.getId())
            .put("userId", order.getUserId())
            .put("status", status(order.getStatus()))
            .put("items", items)
            .put("createdAt", instant(order.getCreatedAt()))
            .put("updatedAt", instant(order.getUpdatedAt()));
    if (!order.getCancelReason().isEmpty()) {
      json.put("reason", order.getCancelReason());
    }
    if (!order.getPaymentId().isEmpty()) {
      json.put("paymentId", order.getPaymentId());
    }
    return json;
  }

  private static JsonObject userJson(User user) {
    return new JsonObject()
        .put("id", user.getId())
        .put("name", user.getName())
        .put("email", user.getEmail())
        .put("active", user.getActive());
  }

  private static JsonObject stockJson(StockLevel stock) {
    return new JsonObject()
        .put("sku", stock.getSku())
        .put("available", stock.getAvailable())
        .put("reserved", stock.getReserved())
        .put("sold", stock.getSold());
  }

  private static String instant(Timestamp time) {
    return Instant.ofEpochSecond(time.getSeconds(), time.getNanos()).toString();
  }
}
