package io.courier.runtime.impl;

import static io.courier.runtime.impl.JsonHttpServer.answer;

import io.courier.runtime.chaos.Faults;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The admin server's fault points: list them, set a fault at one, clear it. */
final class AdminFaults {

  // The admin server's own log, where operators look for who set a fault.
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  private AdminFaults() {}

  /** {@code GET /admin/faults}, {@code PUT} and {@code DELETE /admin/faults/<point>}. */
  static void handle(Faults faults, HttpServerRequest request, String point) {
    if (!faults.enabled()) {
      answer(
          request,
          409,
          new JsonObject()
              .put(
                  "error",
                  "fault injection is off; start the process with admin.faultInjection = true"));
      return;
    }
    if (point.isEmpty()) {
      if (request.method() == HttpMethod.GET) {
        answer(request, 200, faultsView(faults));
      } else {
        answer(request, 405, new JsonObject().put("error", "GET /admin/faults"));
      }
      return;
    }
    if (!faults.points().contains(point)) {
      answer(
          request,
          404,
          new JsonObject()
              .put("error", "no fault point '" + point + "'")
              .put("points", new JsonArray(List.copyOf(faults.points()))));
      return;
    }
    if (request.method() == HttpMethod.DELETE) {
      faults.clear(point);
      LOG.warn("fault at {} cleared", point);
      answer(request, 200, faultsView(faults));
    } else if (request.method() == HttpMethod.PUT) {
      request
          .body()
          .onSuccess(
              body -> {
                Faults.Fault fault;
                try {
                  JsonObject json = body.length() == 0 ? null : body.toJsonObject();
                  if (json == null) {
                    throw new IllegalArgumentException("the body is empty");
                  }
                  fault = Faults.Fault.fromJson(json);
                } catch (RuntimeException e) {
                  answer(
                      request,
                      400,
                      new JsonObject()
                          .put("error", "not a fault: " + e.getMessage())
                          .put("expected", "{\"latencyMs\": 0..60000, \"errorRatio\": 0..1}"));
                  return;
                }
                faults.set(point, fault);
                LOG.warn("fault at {} set: {}", point, fault.toJson().encode());
                answer(request, 200, faultsView(faults));
              });
    } else {
      answer(request, 405, new JsonObject().put("error", "PUT or DELETE"));
    }
  }

  private static JsonObject faultsView(Faults faults) {
    JsonObject view = new JsonObject();
    faults.active().forEach((point, fault) -> view.put(point, fault.toJson()));
    return new JsonObject().put("faults", view);
  }
}
