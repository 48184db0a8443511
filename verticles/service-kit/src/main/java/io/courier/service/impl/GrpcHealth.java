package io.courier.service.impl;

import com.google.protobuf.Descriptors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import io.vertx.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.vertx.grpc.health.v1.HealthProto;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code grpc.health.v1.Health} as every Courier gRPC server serves it: {@code Check} and {@code
 * Watch} answer for {@code ""} (the server as a whole) and for each service the server hosts, all
 * following the process's readiness ({@code /health/ready}): SERVING while ready, NOT_SERVING while
 * starting or draining. Check of any other name is NOT_FOUND; Watch of one is SERVICE_UNKNOWN and
 * stays open, as the protocol says. A Watch stream re-reads readiness every {@code interval} and
 * sends a status when it changed; when its connection is shut down (the server stopping), it is
 * sent NOT_SERVING and ended UNAVAILABLE, so it does not hold the shutdown open.
 *
 * <p>Readiness is read at most once per {@link #FRESH_FOR} however many callers ask, so an
 * unauthenticated caller cannot make each call run the process's checks (a discovery probe among
 * them).
 */
public final class GrpcHealth implements Service {

  private static final Logger LOG = LoggerFactory.getLogger(GrpcHealth.class);

  /** The service's name, {@code grpc.health.v1.Health}. */
  public static final ServiceName NAME = ServiceName.create("grpc.health.v1.Health");

  /** The paths a server answers before any admission: no token, identity or allow-list. */
  public static final Set<String> UNADMITTED_PATHS =
      Set.of("/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch");

  /** How long one reading of readiness answers every caller. */
  static final Duration FRESH_FOR = Duration.ofMillis(200);

  private static final Descriptors.ServiceDescriptor DESCRIPTOR =
      HealthProto.getDescriptor().findServiceByName("Health");

  private static final ServiceMethod<HealthCheckRequest, HealthCheckResponse> CHECK =
      ServiceMethod.server(
          NAME,
          "Check",
          GrpcMessageEncoder.encoder(),
          GrpcMessageDecoder.decoder(HealthCheckRequest.newBuilder()));

  private static final ServiceMethod<HealthCheckRequest, HealthCheckResponse> WATCH =
      ServiceMethod.server(
          NAME,
          "Watch",
          GrpcMessageEncoder.encoder(),
          GrpcMessageDecoder.decoder(HealthCheckRequest.newBuilder()));

  private final Vertx vertx;
  private final Set<String> known;
  private final Supplier<Future<Boolean>> readiness;
  private final long intervalMs;

  /** The open Watch streams, by connection. */
  private final Map<HttpConnection, Set<Watcher>> watchers = new ConcurrentHashMap<>();

  /** The last reading of readiness and when it was taken ({@link System#nanoTime()}). */
  private volatile Future<Boolean> reading;

  private volatile long readAt;

  /** The timer re-reading readiness for watchers, or -1 while none watch. Guarded by this. */
  private long timer = -1;

  /**
   * @param services the fully-qualified names of the services the server hosts (this one included)
   * @param readiness whether the process is ready; a failed future counts as not
   * @param interval how often Watch streams re-read readiness
   */
  public GrpcHealth(
      Vertx vertx, Set<String> services, Supplier<Future<Boolean>> readiness, Duration interval) {
    this.vertx = vertx;
    this.readiness = readiness;
    this.intervalMs = Math.max(1, interval.toMillis());
    Set<String> names = new HashSet<>(services);
    names.add("");
    names.add(NAME.fullyQualifiedName());
    this.known = Set.copyOf(names);
  }

  @Override
  public ServiceName name() {
    return NAME;
  }

  @Override
  public Descriptors.ServiceDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public void bind(GrpcServer server) {
    server.callHandler(CHECK, this::check);
    server.callHandler(WATCH, this::watch);
  }

  private void check(GrpcServerRequest<HealthCheckRequest, HealthCheckResponse> request) {
    request.handler(
        asked -> {
          GrpcServerResponse<HealthCheckRequest, HealthCheckResponse> response = request.response();
          if (!known.contains(asked.getService())) {
            response
                .status(GrpcStatus.NOT_FOUND)
                .statusMessage("this server has no service '" + asked.getService() + "'")
                .end();
            return;
          }
          status()
              .onComplete(
                  status ->
                      quietly(
                          () ->
                              response.end(
                                  HealthCheckResponse.newBuilder()
                                      .setStatus(status.result())
                                      .build())));
        });
  }

  private void watch(GrpcServerRequest<HealthCheckRequest, HealthCheckResponse> request) {
    request.handler(
        asked -> {
          GrpcServerResponse<HealthCheckRequest, HealthCheckResponse> response = request.response();
          boolean hosted = known.contains(asked.getService());
          Watcher watcher = new Watcher(request.connection(), response, hosted);
          request.exceptionHandler(e -> forget(watcher));
          response.exceptionHandler(e -> forget(watcher));
          if (hosted) {
            status().onComplete(status -> watcher.send(status.result()));
          } else {
            // The protocol: SERVICE_UNKNOWN, and the stream stays open in case it appears.
            watcher.send(ServingStatus.SERVICE_UNKNOWN);
          }
          watch(watcher);
        });
  }

  private void watch(Watcher watcher) {
    Set<Watcher> on =
        watchers.computeIfAbsent(
            watcher.connection,
            connection -> {
              connection.shutdownHandler(v -> shuttingDown(connection));
              return ConcurrentHashMap.newKeySet();
            });
    on.add(watcher);
    synchronized (this) {
      if (timer == -1) {
        timer = vertx.setPeriodic(intervalMs, id -> tick());
      }
    }
  }

  private void forget(Watcher watcher) {
    Set<Watcher> on = watchers.get(watcher.connection);
    if (on != null) {
      on.remove(watcher);
      if (on.isEmpty()) {
        watchers.remove(watcher.connection, on);
      }
    }
    synchronized (this) {
      if (watchers.isEmpty() && timer != -1) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }

  /** Re-reads readiness and tells each watcher whose last status differs. */
  private void tick() {
    status()
        .onComplete(
            status ->
                watchers
                    .values()
                    .forEach(
                        on ->
                            on.stream()
                                .filter(w -> w.hosted)
                                .forEach(w -> w.sendChanged(status.result()))));
  }

  /** The connection is shutting down: its watchers hear NOT_SERVING, and their streams end. */
  private void shuttingDown(HttpConnection connection) {
    Set<Watcher> on = watchers.getOrDefault(connection, Set.of());
    for (Watcher watcher : Set.copyOf(on)) {
      if (watcher.hosted) {
        watcher.sendChanged(ServingStatus.NOT_SERVING);
      }
      quietly(
          () ->
              watcher
                  .response
                  .status(GrpcStatus.UNAVAILABLE)
                  .statusMessage("the server is shutting down")
                  .end());
      forget(watcher);
    }
  }

  /** SERVING when the process is ready, NOT_SERVING when not (or when readiness fails). */
  private Future<ServingStatus> status() {
    long now = System.nanoTime();
    Future<Boolean> last = reading;
    if (last == null || (last.isComplete() && now - readAt > FRESH_FOR.toNanos())) {
      last = readiness.get().otherwise(false);
      reading = last;
      readAt = now;
    }
    return last.map(ready -> ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  private static HealthCheckResponse response(ServingStatus status) {
    return HealthCheckResponse.newBuilder().setStatus(status).build();
  }

  /** Writes to a stream its caller may have reset meanwhile: that write is dropped. */
  private static void quietly(Runnable write) {
    try {
      write.run();
    } catch (IllegalStateException closed) {
      LOG.debug("a health answer came after its caller had gone: {}", closed.getMessage());
    }
  }

  /** One open Watch stream and the status it was last sent. */
  private final class Watcher {
    private final HttpConnection connection;
    private final GrpcServerResponse<HealthCheckRequest, HealthCheckResponse> response;

    /** Whether it watches a service the server hosts (else it was told SERVICE_UNKNOWN). */
    private final boolean hosted;

    private final AtomicReference<ServingStatus> sent = new AtomicReference<>();

    Watcher(
        HttpConnection connection,
        GrpcServerResponse<HealthCheckRequest, HealthCheckResponse> response,
        boolean hosted) {
      this.connection = connection;
      this.response = response;
      this.hosted = hosted;
    }

    /** Sends {@code status} if none was sent yet (the stream's first answer). */
    void send(ServingStatus status) {
      if (sent.compareAndSet(null, status)) {
        write(status);
      }
    }

    /** Sends {@code status} unless it was the last one sent. */
    void sendChanged(ServingStatus status) {
      if (sent.getAndSet(status) != status) {
        write(status);
      }
    }

    private void write(ServingStatus status) {
      try {
        response.write(response(status)).onFailure(e -> forget(this));
      } catch (IllegalStateException closed) {
        forget(this);
      }
    }
  }
}
