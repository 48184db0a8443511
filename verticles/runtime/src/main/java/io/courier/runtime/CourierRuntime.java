package io.courier.runtime;

import io.courier.codec.CourierCodecs;
import io.courier.discovery.Discovery;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.impl.AdminServer;
import io.courier.runtime.impl.ClusterFactory;
import io.courier.runtime.impl.DefaultRoleContext;
import io.courier.runtime.impl.Discoveries;
import io.courier.runtime.impl.KafkaStages;
import io.courier.runtime.impl.ManagementServer;
import io.courier.runtime.impl.ProcessServices;
import io.courier.runtime.impl.RoleStages;
import io.courier.runtime.impl.RuntimeReadiness;
import io.courier.runtime.impl.Stage;
import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.logging.TraceLogging;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.security.IdentitySeal;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Courier process: a Vert.x instance (clustered or not), the embedded Kafka broker when
 * configured, the shared publisher, and the configured roles. {@link #start} runs these steps as
 * one chain; the first failure undoes what had started and fails with a {@link StartupException}
 * naming the step. {@link #stop} undoes every step in reverse order.
 */
public final class CourierRuntime {

  private static final Logger LOG = LoggerFactory.getLogger(CourierRuntime.class);

  /** Lifecycle of the process, as readiness reports it. */
  public enum State {
    STARTING,
    READY,
    DRAINING,
    STOPPED
  }

  private final CourierConfig config;
  private final Map<String, Role> roles;
  private final Vertx vertx;
  private final ProcessServices services;
  private final KafkaStages kafka;
  private final Discovery registry;
  private final Set<String> deployedRoles = ConcurrentHashMap.newKeySet();
  private final Deque<Stage> started = new ArrayDeque<>();
  private final List<DefaultRoleContext> contexts = new ArrayList<>();
  private volatile State state = State.STARTING;

  private CourierRuntime(CourierConfig config, Map<String, Role> roles, ProcessServices services) {
    this.config = config;
    this.roles = roles;
    this.services = services;
    this.vertx = services.vertx();
    this.kafka = new KafkaStages(config, services);
    this.registry = Discoveries.create(vertx, config.discovery(), services.meters());
    vertx.exceptionHandler(CourierRuntime::unhandled);
  }

  /**
   * Exceptions no handler caught. A gRPC service answering a call its client has already given up
   * on (its deadline passed, or a hedge won) finds the stream closed: the generated invoker throws
   * then, and that is no fault of the server's, so it is logged at debug, not as an error.
   */
  private static void unhandled(Throwable error) {
    if (error instanceof IllegalStateException
        && "The stream has been closed".equals(error.getMessage())) {
      LOG.debug("a gRPC answer came after its caller had cancelled the call");
    } else {
      LOG.error("Unhandled exception", error);
    }
  }

  /**
   * Starts a process running {@code config.roles()}, each looked up in {@code roles}.
   *
   * @return the running process, or a failed future with a {@link StartupException}
   */
  public static Future<CourierRuntime> start(CourierConfig config, Map<String, Role> roles) {
    // The result is a context-free promise: when start-up fails, Vert.x is closed before the
    // caller hears of it, and a future bound to one of its (then dead) event loops would never
    // report.
    Promise<CourierRuntime> result = Promise.promise();
    TraceLogging.install(
        String.join(",", config.roles()),
        ClusterFactory.instanceId(config.cluster()),
        config.tracing().serviceName());
    config.kafka().security().allowTokenEndpoint();
    Set<String> faultPoints = new TreeSet<>();
    config.roles().stream()
        .map(roles::get)
        .filter(role -> role != null)
        .forEach(role -> faultPoints.addAll(role.faultPoints()));
    ClusterFactory.create(
            config.cluster(),
            config.metrics(),
            config.tracing(),
            config.security().mtls(),
            config.roles())
        .onFailure(e -> result.fail(new StartupException("cluster", e)))
        .onSuccess(
            built -> {
              ProcessServices services = new ProcessServices(built, faultPoints);
              Vertx vertx = built.vertx();
              // Registering the codecs loads and initialises every contract class (protobuf
              // descriptors): seconds of CPU on a starved machine, so not on an event loop.
              vertx
                  .executeBlocking(
                      () -> {
                        CourierCodecs.registerAll(vertx.eventBus());
                        services.identity(IdentitySeal.load(config.security().identity()));
                        return null;
                      })
                  .onComplete(
                      registered -> {
                        if (registered.failed()) {
                          vertx.close().onComplete(closed -> services.close());
                          result.fail(new StartupException("codecs", registered.cause()));
                        } else {
                          new CourierRuntime(config, Map.copyOf(roles), services)
                              .startSteps(result);
                        }
                      });
            });
    return result.future();
  }

  /** The process's Vert.x instance. */
  public Vertx vertx() {
    return vertx;
  }

  /** The checks behind {@code /health/ready}. */
  public Readiness readiness() {
    return services.readiness();
  }

  /** Where the process's meters go. */
  public Meters meters() {
    return services.meters();
  }

  public State state() {
    return state;
  }

  /** Where each part listens, in the order announced, e.g. {@code gateway -> http://...}. */
  public Map<String, String> endpoints() {
    return services.endpoints();
  }

  /** The Kafka bootstrap servers in use (the embedded broker's when it runs). */
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /**
   * Undeploys every role in reverse order, then closes the publisher, the embedded broker and
   * Vert.x. Readiness turns to 503 and every role's discovery registrations are removed at once;
   * roles stop after the quiet period, or after the discovery backend's propagation time if that is
   * longer and something was registered, so callers stop sending traffic before ports close.
   *
   * @param drain how long the whole stop may take; past it the future fails and Vert.x is closed
   *     anyway
   */
  public Future<Void> stop(Duration drain) {
    if (state == State.DRAINING || state == State.STOPPED) {
      return Future.succeededFuture();
    }
    state = State.DRAINING;
    // Out of discovery first, and the listeners stay open until every watcher has seen it, so
    // no caller still lists this process when its ports start refusing.
    List<DefaultRoleContext> registered =
        contexts.stream().filter(DefaultRoleContext::hasRegistrations).toList();
    long propagation = registered.isEmpty() ? 0 : registry.propagationMs();
    long quiet =
        Math.min(Math.max(config.shutdown().quietPeriodMs(), propagation), drain.toMillis() / 2);
    Future<?> withdrawn =
        Future.all(registered.stream().map(DefaultRoleContext::deregisterAll).toList());
    LOG.info(
        "draining: readiness is down, {} role(s) deregistered; stopping {} step(s) in {} ms,"
            + " within {} ms",
        registered.size(),
        started.size(),
        quiet,
        drain.toMillis());
    Promise<Void> drained = Promise.promise();
    long timer =
        vertx.setTimer(
            drain.toMillis(),
            t ->
                drained.tryFail(
                    "drain deadline of "
                        + drain.toMillis()
                        + " ms passed while stopping "
                        + (started.isEmpty() ? "Vert.x" : started.peek().name())));
    AdminServer.withdraw(vertx)
        .onFailure(e -> LOG.debug("cannot withdraw this process: {}", e.getMessage()));
    Promise<Void> quietOver = Promise.promise();
    withdrawn.onComplete(
        w -> {
          if (quiet > 0) {
            vertx.setTimer(quiet, t -> quietOver.complete());
          } else {
            quietOver.complete();
          }
        });
    quietOver
        .future()
        .compose(v -> stopSteps())
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              drained.tryComplete();
            });
    Promise<Void> result = Promise.promise();
    drained
        .future()
        .onComplete(
            ar -> {
              state = State.STOPPED;
              closeVertx()
                  .onComplete(
                      closed -> {
                        if (ar.failed()) {
                          result.fail(ar.cause());
                        } else if (closed.failed()) {
                          result.fail(closed.cause());
                        } else {
                          result.complete();
                        }
                      });
            });
    return result.future();
  }

  /**
   * Closes Vert.x from a thread of its own, so the returned future is bound to no event loop and
   * can still report once every event loop is gone.
   */
  private Future<Void> closeVertx() {
    Promise<Void> closed = Promise.promise();
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    String member = cluster == null ? null : cluster.getNodeId();
    registry.close();
    Thread closer =
        new Thread(
            () ->
                vertx
                    .close()
                    .onComplete(
                        ar -> {
                          if (member != null && ar.succeeded()) {
                            LOG.info("left the cluster as member {}", member);
                          }
                          services.close();
                          closed.handle(ar);
                        }),
            "courier-vertx-close");
    closer.setDaemon(false);
    closer.start();
    return closed.future();
  }

  private void startSteps(Promise<CourierRuntime> result) {
    new RuntimeReadiness(vertx, config, kafka, registry)
        .register(
            services.readiness(),
            services.liveness(),
            () -> state.name(),
            deployedRoles,
            () -> state == State.STOPPED);
    List<Stage> steps = new ArrayList<>();
    if (config.management().enabled()) {
      ManagementServer management =
          new ManagementServer(
              vertx,
              services.liveness(),
              services.readiness().checks(),
              services.prometheus(),
              () -> state != State.STARTING);
      steps.add(
          new Stage(
              "management server",
              () ->
                  management
                      .listen(config.management().host(), config.management().port())
                      .onSuccess(
                          port ->
                              services.announce(
                                  "health",
                                  "http://"
                                      + config.management().host()
                                      + ":"
                                      + port
                                      + "/health/ready")),
              management::close));
    }
    if (config.admin().faultInjection()) {
      services.faults().enable();
      LOG.warn(
          "fault injection is on: PUT /admin/faults/{{point}} on the admin port slows down or fails"
              + " this process's services");
    }
    if (config.admin().enabled()) {
      AdminServer admin =
          new AdminServer(
              vertx,
              this::describe,
              services.meters(),
              services.admin(),
              services.faults(),
              config.admin().tokenFile(),
              () -> new DeadLetters(vertx, kafka.connection()));
      steps.add(
          new Stage(
              "admin server",
              () ->
                  admin
                      .listen(config.admin().host(), config.admin().port())
                      .onSuccess(
                          port -> {
                            String base = "http://" + config.admin().host() + ":" + port;
                            services.announce("admin", base + "/admin");
                            services.announce("console", base + "/console");
                          }),
              admin::close));
    }
    if (config.kafka().embedded().enabled()) {
      steps.add(kafka.broker());
    }
    steps.add(kafka.publisher());
    for (String name : config.roles()) {
      Role role = roles.get(name);
      if (role == null) {
        abort(
            new StartupException(
                "role '" + name + "'",
                new IllegalArgumentException("no such role on the classpath")),
            result);
        return;
      }
      DefaultRoleContext context = new DefaultRoleContext(name, config, services, kafka, registry);
      contexts.add(context);
      steps.add(RoleStages.of(vertx, role, context, deployedRoles));
    }
    Future<?> chain = Future.succeededFuture();
    for (Stage step : steps) {
      chain =
          chain.compose(
              previous ->
                  step.start()
                      .get()
                      .recover(e -> Future.failedFuture(new StartupException(step.name(), e)))
                      .onSuccess(v -> started.push(step)));
    }
    chain.onComplete(
        ar -> {
          if (ar.succeeded()) {
            state = State.READY;
            AdminServer.announce(vertx, describe())
                .onFailure(e -> LOG.warn("cannot announce this process: {}", e.getMessage()));
            result.complete(this);
          } else {
            abort(ar.cause(), result);
          }
        });
  }

  private void abort(Throwable cause, Promise<CourierRuntime> result) {
    LOG.error("start-up failed, undoing {} step(s): {}", started.size(), cause.getMessage());
    state = State.DRAINING;
    stopSteps()
        .onComplete(
            stopped ->
                closeVertx()
                    .onComplete(
                        closed -> {
                          state = State.STOPPED;
                          result.fail(cause);
                        }));
  }

  private Future<Void> stopSteps() {
    if (started.isEmpty()) {
      return Future.succeededFuture();
    }
    Stage step = started.pop();
    LOG.info("stopping {}", step.name());
    return step.stop()
        .get()
        .recover(
            e -> {
              LOG.warn("{} did not stop cleanly: {}", step.name(), e.getMessage());
              return Future.succeededFuture();
            })
        .compose(v -> stopSteps());
  }

  /** This process as the admin view shows it. */
  private JsonObject describe() {
    JsonObject described = new JsonObject();
    for (String role : config.roles()) {
      described.put(role, deployedRoles.contains(role) ? "deployed" : "not deployed");
    }
    String version = CourierRuntime.class.getPackage().getImplementationVersion();
    return new JsonObject()
        .put("profile", config.profile())
        .put("state", state.name())
        .put("roles", described)
        .put("endpoints", new JsonObject(new LinkedHashMap<>(endpoints())))
        .put("version", version == null ? "dev" : version)
        .put("pid", ProcessHandle.current().pid());
  }
}
