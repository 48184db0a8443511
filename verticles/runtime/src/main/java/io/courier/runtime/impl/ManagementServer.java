package io.courier.runtime.impl;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The small HTTP server every process runs, whatever its roles, for orchestrators and load
 * balancers: {@code /health/live}, {@code /health/ready} and {@code /health/started}. Each answers
 * 200 or 503 with the checks as JSON. It starts before any role and stops after the last one, so
 * probes see a process starting, ready, draining and stopping.
 */
public final class ManagementServer extends JsonHttpServer {

  private final HealthChecks liveness;
  private final HealthChecks readiness;
  private final Optional<PrometheusMeterRegistry> registry;
  private final BooleanSupplier started;

  /**
   * @param registry what {@code /metrics} renders, when metrics are on
   * @param started whether start-up has finished (Kubernetes' startup probe)
   */
  public ManagementServer(
      Vertx vertx,
      HealthChecks liveness,
      HealthChecks readiness,
      Optional<PrometheusMeterRegistry> registry,
      BooleanSupplier started) {
    super(vertx);
    this.liveness = liveness;
    this.readiness = readiness;
    this.registry = registry;
    this.started = started;
  }

  @Override
  protected void handle(HttpServerRequest request) {
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      answer(request, 405, new JsonObject().put("error", "only GET and HEAD"));
      return;
    }
    switch (request.path()) {
      case "/health/live" -> check(request, liveness);
      case "/health/ready" -> check(request, readiness);
      case "/metrics" -> metrics(request);
      case "/health/started" ->
          answer(
              request,
              started.getAsBoolean() ? 200 : 503,
              new JsonObject().put("started", started.getAsBoolean()));
      default ->
          answer(
              request,
              404,
              new JsonObject()
                  .put("error", "no such path")
                  .put("paths", "/health/live, /health/ready, /health/started, /metrics"));
    }
  }

  /** Prometheus text format, rendered on a worker: a scrape walks every meter. */
  private void metrics(HttpServerRequest request) {
    if (registry.isEmpty()) {
      answer(request, 404, new JsonObject().put("error", "metrics are disabled (metrics.enabled)"));
      return;
    }
    vertx
        .executeBlocking(() -> registry.get().scrape(), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                answer(request, 500, new JsonObject().put("error", ar.cause().getMessage()));
                return;
              }
              request
                  .response()
                  .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                  .putHeader("Cache-Control", "no-store")
                  .end(ar.result());
            });
  }

  private static void check(HttpServerRequest request, HealthChecks checks) {
    checks
        .checkStatus()
        .onComplete(
            ar -> {
              CheckResult result = ar.succeeded() ? ar.result() : CheckResult.from("", ar.cause());
              boolean up = Boolean.TRUE.equals(result.getUp());
              answer(request, up ? 200 : 503, result.toJson());
            });
  }
}
