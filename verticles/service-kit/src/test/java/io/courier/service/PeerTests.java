package io.courier.service;

import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.InventoryServiceGrpcClient;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.contract.v1.StockLevel;
import io.courier.resilience.Deadline;
import io.courier.resilience.ResilienceConfig;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** What the peer tests share: a counting inventory service, policies from a file, calls. */
final class PeerTests {

  private PeerTests() {}

  /**
   * An inventory service that counts its calls and answers 7 in stock, or fails with {@code
   * sickStatus} while {@code sick} says so.
   */
  static InventoryServiceService inventory(
      AtomicInteger count, BooleanSupplier sick, GrpcStatus sickStatus) {
    return new InventoryServiceService() {
      @Override
      public Future<GetStockResponse> getStock(GetStockRequest request) {
        count.incrementAndGet();
        if (sick.getAsBoolean()) {
          return Future.failedFuture(new StatusException(sickStatus, "on command"));
        }
        return Future.succeededFuture(
            GetStockResponse.newBuilder()
                .setStock(StockLevel.newBuilder().setSku(request.getSku()).setAvailable(7))
                .build());
      }
    };
  }

  /** The policies of {@code policyFile}, loaded as the service {@code role} loads them. */
  static Policies policies(Vertx vertx, Path policyFile, String role) throws Exception {
    return policies(vertx, policyFile, role, Meters.none());
  }

  /** As {@link #policies(Vertx, Path, String)}, measured in {@code meters}. */
  static Policies policies(Vertx vertx, Path policyFile, String role, Meters meters)
      throws Exception {
    return load(
            vertx,
            new ConfigLoader(
                    Map.of(),
                    Map.of(
                        "courier.resilience.policyFile",
                        policyFile.toString(),
                        "courier.kafka.bootstrapServers",
                        "127.0.0.1:9092",
                        "courier.roles",
                        role),
                    Map.of(role, List.of(ResilienceConfig.SECTION)))
                .load(null),
            meters)
        .await(10, TimeUnit.SECONDS);
  }

  /** The policies of a loaded configuration's policy file, outside a runtime. */
  static Future<Policies> load(Vertx vertx, CourierConfig config) {
    return load(vertx, config, Meters.none());
  }

  private static Future<Policies> load(Vertx vertx, CourierConfig config, Meters meters) {
    return Policies.load(
        vertx, config.section(ResilienceConfig.SECTION), meters, new AdminSections());
  }

  /** {@code count} GetStock calls, 10 at a time, each under {@code deadline}; the failures. */
  static List<String> calls(GrpcPeer peer, int count, Duration deadline) throws Exception {
    List<String> failures = new ArrayList<>();
    for (int done = 0; done < count; done += 10) {
      List<Future<GetStockResponse>> batch = new ArrayList<>();
      for (int i = 0; i < Math.min(10, count - done); i++) {
        batch.add(
            peer.<GetStockRequest, GetStockResponse>call(
                Deadline.after(deadline),
                InventoryServiceGrpcClient.GetStock,
                GetStockRequest.newBuilder().setSku("sku-1").build(),
                null));
      }
      for (Future<GetStockResponse> call : batch) {
        Throwable error =
            call.map(answer -> (Throwable) null)
                .otherwise(e -> e)
                .await(deadline.toSeconds() + 10, TimeUnit.SECONDS);
        if (error != null) {
          failures.add(java.time.LocalTime.now() + " " + error);
        }
      }
    }
    return failures;
  }
}
