package io.courier.runtime;

import io.courier.codec.CourierCodecs;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.impl.AdminServer;
import io.courier.runtime.impl.ClusterFactory;
import io.courier.runtime.impl.ManagementServer;
import io.courier.runtime.impl.ReadinessChecks;
import io.courier.runtime.impl.Stage;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.runtime.kafka.impl.KafkaEventPublisher;
import io.courier.runtime.metrics.CourierMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
  private static final long CHECK_TIMEOUT_MS = 3_000;

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
  private final HealthChecks readiness;
  private final HealthChecks liveness;
  private final Map<String, String> endpoints = Collections.synchronizedMap(new LinkedHashMap<>());
  private final Set<String> deployedRoles = ConcurrentHashMap.newKeySet();
  private final Deque<Stage> started = new ArrayDeque<>();
  private volatile State state = State.STARTING;
  private EmbeddedKafkaBroker broker;
  private KafkaEventPublisher publisher;
  private String bootstrapServers;

  private CourierRuntime(CourierConfig config, Map<String, Role> roles, Vertx vertx) {
    this.config = config;
    this.roles = roles;
    this.vertx = vertx;
    this.readiness = HealthChecks.create(vertx);
    this.liveness = HealthChecks.create(vertx);
    this.bootstrapServers = config.kafka().bootstrapServers();
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
    io.courier.runtime.logging.TraceLogging.install(
        String.join(",", config.roles()),
        (config.cluster().publicHost().isBlank() ? "" : config.cluster().publicHost() + "/")
            + ProcessHandle.current().pid());
    ClusterFactory.create(
            config.cluster(), config.metrics(), config.tracing(), config.security().mtls())
        .onFailure(e -> result.fail(new StartupException("cluster", e)))
        .onSuccess(
            vertx ->
                // Registering the codecs loads and initialises every contract class (protobuf
                // descriptors): seconds of CPU on a starved machine, so not on an event loop.
                vertx
                    .executeBlocking(
                        () -> {
                          CourierCodecs.registerAll(vertx.eventBus());
                          return null;
                        })
                    .onComplete(
                        registered -> {
                          if (registered.failed()) {
                            vertx.close();
                            result.fail(new StartupException("codecs", registered.cause()));
                          } else {
                            new CourierRuntime(config, Map.copyOf(roles), vertx).startSteps(result);
                          }
                        }));
    return result.future();
  }

  /** The process's Vert.x instance. */
  public Vertx vertx() {
    return vertx;
  }

  /** The checks behind {@code /health/ready}. */
  public HealthChecks readiness() {
    return readiness;
  }

  public State state() {
    return state;
  }

  /** Where each part listens, in the order announced, e.g. {@code gateway -> http://...}. */
  public Map<String, String> endpoints() {
    synchronized (endpoints) {
      return new LinkedHashMap<>(endpoints);
    }
  }

  /** The Kafka bootstrap servers in use (the embedded broker's when it runs). */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Undeploys every role in reverse order, then closes the publisher, the embedded broker and
   * Vert.x. Readiness turns to 503 at once so load balancers stop sending traffic.
   *
   * @param drain how long the whole stop may take; past it the future fails and Vert.x is closed
   *     anyway
   */
  public Future<Void> stop(Duration drain) {
    if (state == State.DRAINING || state == State.STOPPED) {
      return Future.succeededFuture();
    }
    state = State.DRAINING;
    long quiet = Math.min(config.shutdown().quietPeriodMs(), drain.toMillis() / 2);
    LOG.info(
        "draining: readiness is down; stopping {} step(s) in {} ms, within {} ms",
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
    if (quiet > 0) {
      vertx.setTimer(quiet, t -> quietOver.complete());
    } else {
      quietOver.complete();
    }
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
                          ReadinessChecks.unbind(vertx);
                          CourierMetrics.unbind(vertx);
                          io.courier.runtime.tracing.CourierTracing.unbind(vertx);
                          AdminSections.clear(vertx);
                          io.courier.runtime.chaos.Faults.clear(vertx);
                          closed.handle(ar);
                        }),
            "courier-vertx-close");
    closer.setDaemon(false);
    closer.start();
    return closed.future();
  }

  private void startSteps(Promise<CourierRuntime> result) {
    registerHealthChecks();
    List<Stage> steps = new ArrayList<>();
    if (config.management().enabled()) {
      ManagementServer management =
          new ManagementServer(vertx, liveness, readiness, () -> state != State.STARTING);
      steps.add(
          new Stage(
              "management server",
              () ->
                  management
                      .listen(config.management().host(), config.management().port())
                      .onSuccess(
                          port ->
                              endpoints.put(
                                  "health",
                                  "http://"
                                      + config.management().host()
                                      + ":"
                                      + port
                                      + "/health/ready")),
              management::close));
    }
    if (config.admin().faultInjection()) {
      io.courier.runtime.chaos.Faults.of(vertx).enable();
      LOG.warn(
          "fault injection is on: PUT /admin/faults/{{point}} on the admin port slows down or fails"
              + " this process's services");
    }
    if (config.admin().enabled()) {
      AdminServer admin = new AdminServer(vertx, this::describe);
      steps.add(
          new Stage(
              "admin server",
              () ->
                  admin
                      .listen(config.admin().host(), config.admin().port())
                      .onSuccess(
                          port ->
                              endpoints.put(
                                  "admin",
                                  "http://" + config.admin().host() + ":" + port + "/admin")),
              admin::close));
    }
    if (config.kafka().embedded().enabled()) {
      steps.add(new Stage("embedded Kafka broker", this::startBroker, this::stopBroker));
    }
    steps.add(new Stage("Kafka publisher", this::startPublisher, this::stopPublisher));
    RoleContext context = new RuntimeRoleContext();
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
      steps.add(roleStage(role, context));
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

  private Stage roleStage(Role role, RoleContext context) {
    List<String> deploymentIds = new ArrayList<>();
    return new Stage(
        "role '" + role.name() + "'",
        () -> {
          Future<?> chain = Future.succeededFuture();
          for (RoleDeployment deployment : role.deployments(context)) {
            chain =
                chain.compose(
                    v ->
                        vertx
                            .deployVerticle(deployment.verticle(), deployment.options())
                            .onSuccess(deploymentIds::add)
                            .recover(
                                e ->
                                    undeployAll(deploymentIds)
                                        .transform(u -> Future.failedFuture(e))));
          }
          return chain.onSuccess(v -> deployedRoles.add(role.name()));
        },
        () -> {
          deployedRoles.remove(role.name());
          return undeployAll(deploymentIds);
        });
  }

  private Future<Void> undeployAll(List<String> deploymentIds) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = deploymentIds.size() - 1; i >= 0; i--) {
      String id = deploymentIds.get(i);
      chain = chain.compose(v -> vertx.undeploy(id));
    }
    return chain.onComplete(v -> deploymentIds.clear());
  }

  private Future<?> startBroker() {
    CourierConfig.EmbeddedKafkaConfig embedded = config.kafka().embedded();
    EmbeddedKafkaBroker candidate =
        EmbeddedKafkaBroker.builder()
            .dataDir(Path.of(embedded.dataDir()))
            .port(embedded.port())
            .controllerPort(embedded.controllerPort())
            .build();
    return vertx
        .executeBlocking(candidate::start, false)
        .onSuccess(
            running -> {
              broker = running;
              bootstrapServers = running.bootstrapServers();
              endpoints.put(
                  "kafka",
                  running.bootstrapServers()
                      + " (embedded, data in "
                      + running.dataDir().toAbsolutePath().normalize()
                      + ")");
            });
  }

  private Future<?> stopBroker() {
    EmbeddedKafkaBroker running = broker;
    broker = null;
    return running == null
        ? Future.succeededFuture()
        : vertx.executeBlocking(
            () -> {
              running.close();
              return null;
            },
            false);
  }

  private Future<?> startPublisher() {
    return KafkaEventPublisher.create(vertx, bootstrapServers, config.kafka().producer())
        .onSuccess(created -> publisher = created)
        .compose(
            created ->
                untilReady(
                    created,
                    System.nanoTime()
                        + TimeUnit.MILLISECONDS.toNanos(
                            config.kafka().producer().deliveryTimeoutMs()),
                    false));
  }

  /**
   * Asks the cluster again (each ask bounded by the readiness timeout) until it answers or the
   * producer's delivery timeout has passed: a broker slow to answer the first seconds of a start (a
   * busy node, a broker restarting) does not fail the process, one that stays away does.
   */
  private Future<Void> untilReady(
      KafkaEventPublisher created, long deadlineNanos, boolean reported) {
    return created
        .checkReady()
        .recover(
            error -> {
              if (System.nanoTime() > deadlineNanos) {
                return Future.failedFuture(error);
              }
              if (!reported) {
                LOG.info("Kafka not reachable yet ({}); asking again", error.getMessage());
              }
              Promise<Void> again = Promise.promise();
              vertx.setTimer(500, id -> untilReady(created, deadlineNanos, true).onComplete(again));
              return again.future();
            });
  }

  private Future<?> stopPublisher() {
    KafkaEventPublisher running = publisher;
    return running == null
        ? Future.succeededFuture()
        : running.close(Duration.ofMillis(Math.max(1_000, config.shutdown().drainTimeoutMs() / 2)));
  }

  private void registerHealthChecks() {
    ReadinessChecks.bind(vertx, readiness);
    readiness.register(
        "lifecycle",
        CHECK_TIMEOUT_MS,
        promise ->
            promise.complete(
                state == State.READY
                    ? Status.OK()
                    : Status.KO(new JsonObject().put("state", state.name()))));
    for (String name : config.roles()) {
      readiness.register(
          "role:" + name,
          CHECK_TIMEOUT_MS,
          promise ->
              promise.complete(
                  deployedRoles.contains(name)
                      ? Status.OK()
                      : Status.KO(new JsonObject().put("reason", "not deployed"))));
    }
    readiness.register(
        "kafka-producer",
        CHECK_TIMEOUT_MS,
        promise -> {
          KafkaEventPublisher current = publisher;
          if (current == null) {
            promise.complete(Status.KO(new JsonObject().put("reason", "not started")));
            return;
          }
          current
              .checkReady()
              .onSuccess(v -> promise.complete(Status.OK()))
              .onFailure(
                  e ->
                      promise.complete(
                          Status.KO(
                              new JsonObject().put("reason", String.valueOf(e.getMessage())))));
        });
    if (config.cluster().enabled()) {
      readiness.register("cluster", CHECK_TIMEOUT_MS, this::checkCluster);
    }
    if ("consul".equals(config.discovery().backend())) {
      HttpClientOptions options =
          new HttpClientOptions().setConnectTimeout((int) CHECK_TIMEOUT_MS / 2);
      if (config.discovery().consulTls()) {
        options.setSsl(true).setVerifyHost(true);
        if (!config.discovery().consulCaFile().isBlank()) {
          options.setTrustOptions(
              new io.vertx.core.net.PemTrustOptions()
                  .addCertPath(config.discovery().consulCaFile()));
        }
      }
      HttpClient consul = vertx.createHttpClient(options);
      readiness.register("discovery", CHECK_TIMEOUT_MS, promise -> checkConsul(consul, promise));
    } else {
      ServiceDiscovery registry = ServiceDiscovery.create(vertx);
      readiness.register(
          "discovery", CHECK_TIMEOUT_MS, promise -> checkEmbeddedDiscovery(registry, promise));
    }
    liveness.register(
        "vertx",
        CHECK_TIMEOUT_MS,
        promise ->
            promise.complete(
                state == State.STOPPED
                    ? Status.KO(new JsonObject().put("state", state.name()))
                    : Status.OK()));
  }

  /** This process as the admin view shows it. */
  private JsonObject describe() {
    JsonObject roles = new JsonObject();
    for (String role : config.roles()) {
      roles.put(role, deployedRoles.contains(role) ? "deployed" : "not deployed");
    }
    return new JsonObject()
        .put("profile", config.profile())
        .put("state", state.name())
        .put("roles", roles)
        .put("endpoints", new JsonObject(new LinkedHashMap<>(endpoints())))
        .put(
            "version",
            CourierRuntime.class.getPackage().getImplementationVersion() == null
                ? "dev"
                : CourierRuntime.class.getPackage().getImplementationVersion())
        .put("pid", ProcessHandle.current().pid());
  }

  /** Up while this member is active and in the cluster's member list. */
  private void checkCluster(Promise<Status> promise) {
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    if (cluster == null || !cluster.isActive()) {
      promise.complete(Status.KO(new JsonObject().put("reason", "not a cluster member")));
      return;
    }
    List<String> members = cluster.getNodes();
    promise.complete(
        members.contains(cluster.getNodeId())
            ? Status.OK(new JsonObject().put("members", members.size()))
            : Status.KO(new JsonObject().put("reason", "left the cluster")));
  }

  /**
   * Down until the Consul agent first answers {@code GET /v1/status/leader} with a leader (the one
   * Consul endpoint that needs no ACL token and tells whether registrations and lookups can work),
   * so a process is not ready before it could register and resolve. Once it has, a Consul outage
   * leaves readiness up and says {@code degraded}: calls go on with the last known instances, and
   * taking every instance out of its Service because Consul is away would turn a discovery outage
   * into a full one.
   */
  /** Whether the Consul agent has answered with a leader since this process started. */
  private volatile boolean consulSeen;

  private void checkConsul(HttpClient consul, Promise<Status> promise) {
    String where = config.discovery().consulHost() + ":" + config.discovery().consulPort();
    consul
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(config.discovery().consulHost())
                .setPort(config.discovery().consulPort())
                .setURI("/v1/status/leader")
                .setTimeout(CHECK_TIMEOUT_MS / 2))
        .compose(request -> request.send())
        .compose(
            response ->
                response
                    .body()
                    .map(
                        body -> {
                          String leader = body.toString().replace("\"", "").trim();
                          if (response.statusCode() != 200 || leader.isEmpty()) {
                            throw new IllegalStateException(
                                "Consul at "
                                    + where
                                    + " answered "
                                    + response.statusCode()
                                    + " without a leader");
                          }
                          return leader;
                        }))
        .onSuccess(
            leader -> {
              consulSeen = true;
              promise.complete(
                  Status.OK(new JsonObject().put("consul", where).put("leader", leader)));
            })
        .onFailure(
            e -> {
              JsonObject data =
                  new JsonObject()
                      .put("consul", where)
                      .put("reason", String.valueOf(e.getMessage()));
              promise.complete(
                  consulSeen ? Status.OK(data.put("degraded", true)) : Status.KO(data));
            });
  }

  /** Whether the embedded registry has answered since this process started. */
  private volatile boolean registrySeen;

  /**
   * Down until the embedded backend (Vert.x service discovery's registry, in the cluster manager's
   * maps when clustered) first answers a read of every record, so a process is not ready before it
   * could register and resolve. Past that, like Consul, a failed read leaves readiness up and says
   * {@code degraded}: resolutions go on with the last instances each watch got, and taking every
   * process out of its Service because one read of the cluster map timed out would turn a hiccup
   * into an outage. The cluster check says whether this member is still in the cluster.
   */
  private void checkEmbeddedDiscovery(ServiceDiscovery registry, Promise<Status> promise) {
    registry
        .getRecords(record -> true, true)
        .onSuccess(
            records -> {
              registrySeen = true;
              promise.complete(
                  Status.OK(
                      new JsonObject().put("backend", "embedded").put("records", records.size())));
            })
        .onFailure(
            e -> {
              JsonObject data =
                  new JsonObject()
                      .put("backend", "embedded")
                      .put("reason", String.valueOf(e.getMessage()));
              promise.complete(
                  registrySeen ? Status.OK(data.put("degraded", true)) : Status.KO(data));
            });
  }

  /** The view of the runtime a role gets. */
  private final class RuntimeRoleContext implements RoleContext {
    @Override
    public CourierConfig config() {
      return config;
    }

    @Override
    public EventPublisher publisher() {
      return publisher;
    }

    @Override
    public String kafkaBootstrapServers() {
      return bootstrapServers;
    }

    @Override
    public HealthChecks readiness() {
      return readiness;
    }

    @Override
    public HealthChecks liveness() {
      return liveness;
    }

    @Override
    public void announce(String what, String where) {
      endpoints.put(what, where);
    }

    @Override
    public Map<String, String> endpoints() {
      return CourierRuntime.this.endpoints();
    }
  }
}
