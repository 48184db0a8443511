package io.courier.service;

import io.courier.resilience.InboundPolicy;
import io.courier.runtime.config.GrpcConfig;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.security.IdentitySeal;
import io.courier.runtime.security.MutualTls;
import io.courier.service.impl.GrpcAdmission;
import io.courier.service.impl.GrpcHealth;
import io.courier.service.impl.GrpcReflection;
import io.courier.service.impl.IdentityLocal;
import io.courier.service.impl.InvalidMessages;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * gRPC servers as Courier runs them: incoming {@code grpc-timeout} deadlines enforced and
 * propagated to the calls the handler makes, every call measured as {@code
 * courier_grpc_server_seconds{method, status}}, and as configured on the {@link Builder}:
 *
 * <ul>
 *   <li>{@link Builder#mutualTls}: callers must present a certificate of the CA, and a caller whose
 *       identity {@code security.mtls.allowedPeers} does not allow for the role gets
 *       PERMISSION_DENIED;
 *   <li>{@link Builder#inbound}: a call past the bulkhead and its queue is answered {@code
 *       RESOURCE_EXHAUSTED} at once (trailers only), and its {@code timeoutMs} caps the caller's
 *       {@code grpc-timeout} (or sets one when the caller sent none), time spent waiting for the
 *       bulkhead included; the server answers {@code DEADLINE_EXCEEDED} when it passes;
 *   <li>{@link Builder#entryGuard}: a server at the edge of the platform, where a guard admits
 *       every call and identity headers the caller sent are ignored (only a server inside the
 *       platform takes a {@link CallerIdentity}, and only sealed with the platform's key: {@link
 *       Builder#identity}); Besides gRPC over HTTP/2 it takes gRPC-Web ({@code
 *       application/grpc-web+proto}, also over HTTP/1.1), which Vert.x's server accepts by default.
 * </ul>
 *
 * <p>Every server also serves {@code grpc.health.v1.Health} (Check and Watch, for {@code ""} and
 * each service it hosts, following {@link Builder#readiness}), answered without admission: no
 * token, identity, allow-list or bulkhead, mutual TLS's handshake still applies. With {@link
 * Builder#reflection}, it serves {@code grpc.reflection.v1} and {@code v1alpha} to the callers it
 * admits.
 */
public final class GrpcServers {

  /** The largest request message a server takes unless configured: 256 KiB. */
  public static final long DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

  private GrpcServers() {}

  /**
   * Decides whether a call arriving from outside the platform is let in: the caller's identity
   * (null for an anonymous caller), or a failure whose message the caller sees with {@code
   * UNAUTHENTICATED} (with its own status when it is a {@code StatusException}, e.g.
   * RESOURCE_EXHAUSTED from a rate limit).
   */
  @FunctionalInterface
  public interface EntryGuard {
    Future<CallerIdentity> admit(HttpServerRequest request);
  }

  /**
   * When the current gRPC call ends: answered, reset by its caller (a cancel, its deadline passed)
   * or its connection closed; null outside a call of a server built here. A streaming method
   * releases what its stream holds then.
   */
  public static Future<Void> callEnded() {
    Context context = Vertx.currentContext();
    return context == null ? null : context.getLocal(IdentityLocal.CALL_ENDED);
  }

  /** A server on {@code vertx}, plaintext on 127.0.0.1 and a free port until configured. */
  public static Builder builder(Vertx vertx) {
    return new Builder(vertx);
  }

  /** What a gRPC server serves and how; {@link #listen()} starts it. */
  public static final class Builder {
    private final Vertx vertx;
    private final List<Service> services = new ArrayList<>();
    private String host = "127.0.0.1";
    private int port;
    private MutualTls tls = MutualTls.disabled();
    private String role = "";
    private InboundPolicy inbound;
    private EntryGuard guard;
    private Meters meters = Meters.none();
    private IdentitySeal identity = IdentitySeal.none();
    private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private UnaryOperator<HttpServerOptions> serverOptions = UnaryOperator.identity();
    private Set<String> userFacing = Set.of();
    private Readiness readiness;
    private boolean reflection;
    private Duration healthWatchInterval =
        Duration.ofMillis(GrpcConfig.DEFAULTS.healthWatchIntervalMs());

    private Builder(Vertx vertx) {
      this.vertx = Objects.requireNonNull(vertx, "vertx");
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port; 0 picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    public Builder service(Service service) {
      services.add(Objects.requireNonNull(service, "service"));
      return this;
    }

    public Builder services(List<Service> services) {
      services.forEach(this::service);
      return this;
    }

    /** Serves over {@code tls} when enabled, as the server of {@code role}. */
    public Builder mutualTls(MutualTls tls, String role) {
      this.tls = Objects.requireNonNull(tls, "tls");
      this.role = Objects.requireNonNull(role, "role");
      return this;
    }

    /** Holds calls to the service's inbound limits, reloaded with the policy file. */
    public Builder inbound(InboundPolicy inbound) {
      this.inbound = Objects.requireNonNull(inbound, "inbound");
      return this;
    }

    /** Makes this an edge server whose calls {@code guard} admits. */
    public Builder entryGuard(EntryGuard guard) {
      this.guard = Objects.requireNonNull(guard, "guard");
      return this;
    }

    /**
     * Opens the callers' sealed identities with {@code seal} (a server inside the platform; without
     * it, every asserted identity is refused UNAUTHENTICATED).
     */
    public Builder identity(IdentitySeal seal) {
      this.identity = Objects.requireNonNull(seal, "seal");
      return this;
    }

    /**
     * Methods acting for a user, e.g. {@code courier.v1.UserService/GetUser}: when the seal
     * requires identities ({@code security.identity.required}), a call to one asserting none is
     * refused UNAUTHENTICATED instead of acting as the platform.
     */
    public Builder userFacing(Collection<String> methods) {
      this.userFacing = Set.copyOf(methods);
      return this;
    }

    /**
     * The largest request message taken, in bytes (default {@value #DEFAULT_MAX_MESSAGE_BYTES}); a
     * larger one is answered RESOURCE_EXHAUSTED.
     */
    public Builder maxMessageBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxMessageBytes must be positive, was " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Adjusts the HTTP server's options after host and port (and mutual TLS) are set: an edge
     * server's idle timeout, stream limit and TLS.
     */
    public Builder serverOptions(UnaryOperator<HttpServerOptions> adjust) {
      this.serverOptions = Objects.requireNonNull(adjust, "adjust");
      return this;
    }

    /**
     * What health answers follow: SERVING while every check of {@code readiness} passes (the
     * process's {@code /health/ready}), NOT_SERVING otherwise. Without it, SERVING while the server
     * listens.
     */
    public Builder readiness(Readiness readiness) {
      this.readiness = Objects.requireNonNull(readiness, "readiness");
      return this;
    }

    /** Whether to serve server reflection (default off). */
    public Builder reflection(boolean on) {
      this.reflection = on;
      return this;
    }

    /** How often a health Watch stream re-reads readiness (default 1 s). */
    public Builder healthWatchInterval(Duration interval) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("healthWatchInterval must be positive, was " + interval);
      }
      this.healthWatchInterval = interval;
      return this;
    }

    /** The process's {@code grpc} section: reflection and the health Watch interval. */
    public Builder grpc(GrpcConfig config) {
      return reflection(config.reflection())
          .healthWatchInterval(Duration.ofMillis(config.healthWatchIntervalMs()));
    }

    /** Where calls are measured. */
    public Builder meters(Meters meters) {
      this.meters = Objects.requireNonNull(meters, "meters");
      return this;
    }

    /** Starts listening; fails when there is nothing to serve or the port is taken. */
    public Future<HttpServer> listen() {
      if (services.isEmpty()) {
        return Future.failedFuture(new IllegalStateException("a gRPC server needs a service"));
      }
      if (guard != null && tls.enabled()) {
        return Future.failedFuture(
            new IllegalStateException("an edge server takes its callers' identity from tokens"));
      }
      GrpcServer grpc =
          GrpcServer.server(
              vertx,
              new GrpcServerOptions()
                  .setScheduleDeadlineAutomatically(true)
                  .setDeadlinePropagation(true)
                  .setMaxMessageSize(maxMessageBytes));
      // Bound through InvalidMessages: an undecodable message is INVALID_ARGUMENT, not a reset.
      InvalidMessages checked = new InvalidMessages(grpc, maxMessageBytes);
      List<Service> served = new ArrayList<>(services);
      if (reflection) {
        served.addAll(GrpcReflection.services());
      }
      Set<String> names = new HashSet<>();
      served.forEach(service -> names.add(service.name().fullyQualifiedName()));
      Readiness ready = readiness;
      served.add(
          new GrpcHealth(
              vertx,
              names,
              () ->
                  ready == null
                      ? Future.succeededFuture(true)
                      : ready
                          .checks()
                          .checkStatus()
                          .map(result -> Boolean.TRUE.equals(result.getUp())),
              healthWatchInterval));
      served.forEach(checked::addService);
      return vertx
          .createHttpServer(
              serverOptions.apply(tls.server(new HttpServerOptions().setHost(host).setPort(port))))
          .requestHandler(
              new GrpcAdmission(
                  grpc,
                  List.copyOf(served),
                  tls,
                  role,
                  guard,
                  inbound,
                  meters.registry(),
                  identity,
                  userFacing))
          .listen();
    }
  }
}
