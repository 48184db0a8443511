package io.courier.runtime.config;

import java.util.List;
import java.util.Map;

/**
 * The whole configuration of one Courier process. Built by {@link ConfigLoader}; every field is
 * present (defaults come from {@code courier-defaults.json}).
 *
 * @param profile a label for logs: dev, cluster, prod
 * @param roles the roles this process runs, in start order
 * @param cluster the clustered event bus
 * @param kafka the Kafka connection, the embedded broker and the producer
 * @param discovery where services find each other
 * @param gateway the HTTP edge
 * @param shutdown how long a graceful stop may take
 * @param resilience where the resilience role finds its policies
 * @param services the reference order flow's services
 * @param management the per-process health endpoints for orchestrators
 * @param metrics Prometheus metrics on the management server
 * @param admin the operator's view of the process and the cluster, on a port of its own
 * @param tracing OpenTelemetry tracing across HTTP, the event bus, gRPC and Kafka
 * @param security how Courier processes authenticate each other
 */
public record CourierConfig(
    String profile,
    List<String> roles,
    ClusterConfig cluster,
    KafkaConfig kafka,
    DiscoveryConfig discovery,
    GatewayConfig gateway,
    ShutdownConfig shutdown,
    ResilienceConfig resilience,
    ServicesConfig services,
    ManagementConfig management,
    MetricsConfig metrics,
    AdminConfig admin,
    TracingConfig tracing,
    SecurityConfig security) {

  public CourierConfig {
    roles = List.copyOf(roles);
  }

  /**
   * The clustered event bus (Hazelcast).
   *
   * @param enabled false runs a plain, single-process Vert.x
   * @param name Hazelcast cluster name; members with another name never join
   * @param host address the event bus and Hazelcast bind to
   * @param publicHost address peers use to reach this member; empty means {@code host}
   * @param port Hazelcast member port
   * @param eventBusPort event-bus TCP port; 0 picks a free one
   * @param members TCP-IP members ({@code host:port}), used unless Kubernetes discovery is on
   * @param kubernetes Hazelcast Kubernetes discovery
   * @param hazelcastConfig path of a Hazelcast XML file to start from; empty uses Vert.x's default
   */
  public record ClusterConfig(
      boolean enabled,
      String name,
      String host,
      String publicHost,
      int port,
      int eventBusPort,
      List<String> members,
      KubernetesConfig kubernetes,
      String hazelcastConfig) {

    public ClusterConfig {
      members = List.copyOf(members);
    }
  }

  /**
   * Hazelcast's Kubernetes discovery.
   *
   * @param enabled use the Kubernetes API (DNS lookup when serviceDns is set) instead of TCP-IP
   * @param namespace the pods' namespace; empty reads it from the pod
   * @param serviceName the headless service selecting the members
   * @param serviceDns DNS name of a headless service, for DNS lookup mode; empty uses the API
   */
  public record KubernetesConfig(
      boolean enabled, String namespace, String serviceName, String serviceDns) {}

  /**
   * Kafka.
   *
   * @param bootstrapServers {@code host:port,...}; ignored when the embedded broker runs
   * @param embedded the in-process broker of the dev profile
   * @param producer the shared producer
   * @param consumer defaults of every event consumer
   * @param bridge event-bus to Kafka mappings of the {@code kafka-bridge} role
   */
  public record KafkaConfig(
      String bootstrapServers,
      EmbeddedKafkaConfig embedded,
      ProducerConfig producer,
      ConsumerConfig consumer,
      BridgeConfig bridge) {}

  /**
   * The in-process KRaft broker.
   *
   * @param enabled start it before any role
   * @param port PLAINTEXT port on 127.0.0.1
   * @param controllerPort KRaft controller port on 127.0.0.1
   * @param dataDir log directory; kept across restarts
   */
  public record EmbeddedKafkaConfig(
      boolean enabled, int port, int controllerPort, String dataDir) {}

  /**
   * The shared Kafka producer. It is always idempotent with {@code acks=all}: an acknowledged event
   * is on every in-sync replica.
   *
   * @param lingerMs how long to wait to fill a batch
   * @param deliveryTimeoutMs upper bound on the time to report success or failure of a send
   * @param maxRequestSizeBytes largest record batch the producer sends
   * @param maxInFlight events sent and not yet acknowledged past which publishing fails fast
   * @param batchSizeBytes per-partition batch size; keyed events spread over partitions, so larger
   *     batches than Kafka's 16 KiB default pay off
   */
  public record ProducerConfig(
      int lingerMs,
      int deliveryTimeoutMs,
      int maxRequestSizeBytes,
      int maxInFlight,
      int batchSizeBytes) {}

  /**
   * Event consumers.
   *
   * @param groupId consumer group of the process's consumers
   * @param maxInFlight records received and not completed, at most; partitions pause before a poll
   *     could pass it, so handlers running at once never exceed it either
   * @param inPlaceAttempts handler attempts before a record moves to the retry topic
   * @param backoffInitialMs first in-place back-off; doubles per attempt, with jitter
   * @param backoffMaxMs largest in-place back-off
   * @param retryTopicAttempts passes through {@code <topic>.retry} before the dead-letter topic
   * @param retryDelayMs how long a record waits on the retry topic
   * @param dedupeCapacity processed event ids remembered in memory
   * @param dedupeRetentionHours how long the processed-ids topic keeps an id
   * @param commitIntervalMs how often completed offsets are committed
   */
  public record ConsumerConfig(
      String groupId,
      int maxInFlight,
      int inPlaceAttempts,
      long backoffInitialMs,
      long backoffMaxMs,
      int retryTopicAttempts,
      long retryDelayMs,
      int dedupeCapacity,
      int dedupeRetentionHours,
      long commitIntervalMs) {

    /**
     * The same settings with at most {@code bound} records in flight, e.g. to stay inside the
     * bulkhead of the calls the handler makes.
     */
    public ConsumerConfig withMaxInFlight(int bound) {
      return new ConsumerConfig(
          groupId,
          Math.max(1, Math.min(maxInFlight, bound)),
          inPlaceAttempts,
          backoffInitialMs,
          backoffMaxMs,
          retryTopicAttempts,
          retryDelayMs,
          dedupeCapacity,
          dedupeRetentionHours,
          commitIntervalMs);
    }

    /** The same settings for another consumer group. */
    public ConsumerConfig withGroupId(String group) {
      return new ConsumerConfig(
          group,
          maxInFlight,
          inPlaceAttempts,
          backoffInitialMs,
          backoffMaxMs,
          retryTopicAttempts,
          retryDelayMs,
          dedupeCapacity,
          dedupeRetentionHours,
          commitIntervalMs);
    }
  }

  /**
   * Event bus <-> Kafka mappings.
   *
   * @param publish {@code address=topic}: events sent to the address are published to the topic
   * @param consume {@code topic=address}: events of the topic are requested on the address; the
   *     reply acknowledges them
   */
  public record BridgeConfig(List<String> publish, List<String> consume) {
    public BridgeConfig {
      publish = List.copyOf(publish);
      consume = List.copyOf(consume);
    }
  }

  /**
   * Service discovery.
   *
   * @param backend {@code embedded} (cluster-wide map) or {@code consul}
   * @param consulHost Consul agent host
   * @param consulPort Consul agent HTTP port
   * @param consulAclToken ACL token sent as {@code X-Consul-Token}; empty sends none. Keep it in a
   *     Secret ({@code COURIER_DISCOVERY_CONSUL_ACL_TOKEN}), never in a file
   * @param consulTls talk HTTPS to the agent
   * @param consulCaFile PEM file of the CA that signed the agent's certificate; empty trusts the
   *     JVM's CAs
   * @param zone the zone (rack, availability zone) this process runs in, added as the {@code zone}
   *     tag of every registration; empty adds none
   */
  public record DiscoveryConfig(
      String backend,
      String consulHost,
      int consulPort,
      String consulAclToken,
      boolean consulTls,
      String consulCaFile,
      String zone) {}

  /**
   * The HTTP edge.
   *
   * @param host bind address
   * @param port bind port; 0 picks a free one
   * @param instances verticle instances sharing the port
   * @param grpcPort port of the gateway's gRPC API (OrderService); 0 picks a free one
   * @param maxBodyBytes largest request body accepted; larger ones get 413
   * @param requestTimeoutMs how long a request may take before the gateway answers 503
   * @param maxHeaderBytes largest total size of a request's headers; larger ones get 431
   * @param maxUriLength longest request line; longer ones get 414
   * @param headerTimeoutMs how long a connection may take to send a request's line and headers
   *     (counted from its opening, or from the previous response); slower ones are closed, so a
   *     client dripping bytes (slow-loris) cannot hold a connection
   * @param idleTimeoutMs how long a connection may stay silent before it is closed
   * @param tls HTTPS for the REST API
   * @param auth who may call the REST API
   * @param rateLimit request rate limits per client and route
   */
  public record GatewayConfig(
      String host,
      int port,
      int instances,
      int grpcPort,
      int maxBodyBytes,
      long requestTimeoutMs,
      int maxHeaderBytes,
      int maxUriLength,
      long headerTimeoutMs,
      long idleTimeoutMs,
      TlsConfig tls,
      AuthConfig auth,
      RateLimitConfig rateLimit) {}

  /**
   * Bearer-token authentication at the edge: JWTs signed RS256 or ES256 by keys from a JWKS.
   *
   * @param mode {@code jwt} requires a valid token on every API call; {@code none} lets anyone in
   *     (development only; refused in the prod profile)
   * @param jwksUrl where the signing keys are published (an identity provider's JWKS); read at
   *     start, every {@code jwksRefreshMs}, and when a token names a key id not yet known
   * @param devKeyDir instead of a JWKS URL: trust the development signing key kept in this
   *     directory (created if missing; {@code courier token} signs with it). Refused in prod
   * @param issuer the required {@code iss}
   * @param audience the required {@code aud} (one of the token's audiences)
   * @param clockSkewSeconds tolerance on {@code exp}, {@code nbf} and {@code iat}
   * @param jwksRefreshMs how often the JWKS is read again
   * @param jwksMinRefreshIntervalMs an unknown key id reads the JWKS again at most this often
   * @param scopes the scope each API operation (OpenAPI operationId) requires; empty: any valid
   *     token; {@code admin} passes every check
   */
  public record AuthConfig(
      String mode,
      String jwksUrl,
      String devKeyDir,
      String issuer,
      String audience,
      long clockSkewSeconds,
      long jwksRefreshMs,
      long jwksMinRefreshIntervalMs,
      Map<String, String> scopes) {
    public AuthConfig {
      scopes = Map.copyOf(scopes);
    }

    public boolean enabled() {
      return "jwt".equals(mode);
    }
  }

  /**
   * Rate limits at the gateway: a token bucket per client and API operation (Bucket4j), shared by
   * every gateway of the cluster through Hazelcast when clustered, else in this process. The client
   * is the authenticated subject, else the {@code X-API-Key} header (hashed), else the remote
   * address. A request over the limit gets 429 with {@code Retry-After}; the health endpoints are
   * never limited.
   *
   * @param enabled false limits nothing
   * @param requestsPerSecond tokens added to a bucket per second (the sustained rate)
   * @param burst bucket capacity: requests a client may send at once after a quiet period
   * @param maxLocalBuckets buckets kept in memory when not clustered (least recently used go
   *     first); clustered buckets expire from the Hazelcast map once full again
   * @param timeoutMs how long a decision may take (a cluster round trip) before the request is let
   *     through unlimited
   * @param routes per OpenAPI operation id, limits other than the default
   */
  public record RateLimitConfig(
      boolean enabled,
      long requestsPerSecond,
      long burst,
      int maxLocalBuckets,
      long timeoutMs,
      java.util.Map<String, RouteRateLimitConfig> routes) {

    public RateLimitConfig {
      routes = java.util.Map.copyOf(routes);
    }

    /** The limit of one operation: its own values where set, the defaults elsewhere. */
    public RouteRateLimitConfig route(String operationId) {
      RouteRateLimitConfig own = routes.get(operationId);
      long rate =
          own == null || own.requestsPerSecond() == 0 ? requestsPerSecond : own.requestsPerSecond();
      long size = own == null || own.burst() == 0 ? burst : own.burst();
      return new RouteRateLimitConfig(rate, size);
    }
  }

  /**
   * The limit of one API operation.
   *
   * @param requestsPerSecond sustained rate; 0 takes {@code gateway.rateLimit.requestsPerSecond}
   * @param burst bucket capacity; 0 takes {@code gateway.rateLimit.burst}
   */
  public record RouteRateLimitConfig(long requestsPerSecond, long burst) {}

  /**
   * A TLS server identity from PEM files, reloaded when they change (rotation without restart). TLS
   * 1.2 and 1.3 only, AEAD cipher suites only, HTTP/1.1 and HTTP/2 by ALPN.
   *
   * @param enabled false serves plain HTTP
   * @param certFile the certificate chain, PEM (leaf first)
   * @param keyFile its private key, PEM (PKCS#8)
   * @param reloadPeriodMs how often the files are checked for changes
   */
  public record TlsConfig(boolean enabled, String certFile, String keyFile, long reloadPeriodMs) {}

  /**
   * The reference order flow's services.
   *
   * @param host address the services' servers (gRPC, the payment provider) bind to
   * @param advertisedHost address registered in discovery for peers; empty means {@code host}
   * @param user the user service
   * @param inventory the inventory service
   * @param order the order service
   * @param payment the payment service
   * @param paymentProvider the simulated payment provider
   * @param notification the notification service
   */
  public record ServicesConfig(
      String host,
      String advertisedHost,
      UserServiceConfig user,
      InventoryServiceConfig inventory,
      OrderServiceConfig order,
      PaymentServiceConfig payment,
      PaymentProviderConfig paymentProvider,
      NotificationServiceConfig notification) {

    /** The address peers should use. */
    public String reachableHost() {
      return advertisedHost.isBlank() ? host : advertisedHost;
    }
  }

  /**
   * @param grpcPort gRPC port (UserService); 0 picks a free one, registered in discovery
   * @param seedFile JSON file of the users loaded at start
   */
  public record UserServiceConfig(int grpcPort, String seedFile) {}

  /**
   * @param grpcPort gRPC port (InventoryService); 0 picks a free one, registered in discovery
   * @param seedFile JSON file of the SKUs, their stock and prices, loaded at start
   */
  public record InventoryServiceConfig(int grpcPort, String seedFile) {}

  /**
   * @param placeTimeoutMs deadline of placing one order (user check, reservation, durable write)
   */
  public record OrderServiceConfig(long placeTimeoutMs) {}

  /**
   * @param providerUrl base URL of the payment provider; empty finds {@code payment-provider} in
   *     discovery
   */
  public record PaymentServiceConfig(String providerUrl) {}

  /**
   * The simulated payment provider: an HTTP verticle that charges or declines.
   *
   * @param enabled run it with the payment service
   * @param port HTTP port; 0 picks a free one, registered in discovery
   * @param latencyMs added to every answer
   * @param declineRate share of payments declined (decided per order id, so a retry gets the same
   *     answer)
   * @param errorRate share of requests answered 503 (transient, retried)
   */
  public record PaymentProviderConfig(
      boolean enabled, int port, long latencyMs, double declineRate, double errorRate) {}

  /**
   * @param webhookUrl URL each notification is also POSTed to; empty for log only
   */
  public record NotificationServiceConfig(String webhookUrl) {}

  /**
   * The {@code resilience} role.
   *
   * @param policyFile JSON file of policies and targets
   * @param reloadPeriodMs how often the file is checked for changes
   */
  public record ResilienceConfig(String policyFile, long reloadPeriodMs) {}

  /**
   * Graceful stop.
   *
   * @param drainTimeoutMs how long undeploying every role may take before the process gives up
   * @param quietPeriodMs how long readiness reports 503 before the first role stops, so load
   *     balancers and discovery watchers stop sending traffic first; 0 in Kubernetes, where the
   *     pod's preStop hook waits instead
   */
  public record ShutdownConfig(long drainTimeoutMs, long quietPeriodMs) {}

  /**
   * The management server every process runs, whatever its roles: {@code /health/live}, {@code
   * /health/ready} and {@code /health/started}, for Kubernetes probes and load balancers.
   *
   * @param enabled false runs no management server (the gateway still serves health)
   * @param host address it binds to
   * @param port its port; 0 picks a free one
   */
  public record ManagementConfig(boolean enabled, String host, int port) {}

  /**
   * The admin server: {@code GET /admin} (cluster members, every process's roles and endpoints,
   * breaker states, discovered services, consumer lag, as JSON) and {@code GET|PUT
   * /admin/loggers/{name}} (log levels at run time), and with fault injection on {@code
   * GET|PUT|DELETE /admin/faults/{point}}. It has no authentication yet: keep it on 127.0.0.1
   * (reach it with {@code kubectl port-forward}).
   *
   * @param enabled false runs no admin server
   * @param host address it binds to
   * @param port its port; 0 picks a free one
   * @param faultInjection lets {@code PUT /admin/faults/{point}} slow down or fail the services'
   *     fault points (chaos tests); the prod profile refuses it
   */
  public record AdminConfig(boolean enabled, String host, int port, boolean faultInjection) {}

  /**
   * OpenTelemetry tracing: W3C trace context over HTTP, event-bus headers, gRPC metadata and Kafka
   * record headers.
   *
   * @param enabled false creates no spans (log lines then carry no trace id)
   * @param sampleRatio share of new traces recorded, 0..1; a caller's sampling decision is kept
   * @param otlpEndpoint OTLP/HTTP traces endpoint, e.g. {@code http://collector:4318/v1/traces};
   *     empty exports nothing (trace ids still reach the logs)
   * @param serviceName the {@code service.name} resource attribute
   */
  public record TracingConfig(
      boolean enabled, double sampleRatio, String otlpEndpoint, String serviceName) {}

  /**
   * Metrics (Micrometer, Prometheus format on {@code GET /metrics} of the management server).
   *
   * @param enabled false records nothing (Vert.x runs without a metrics SPI)
   * @param sloMillis latency bucket bounds of the request-time histograms, in milliseconds
   */
  public record MetricsConfig(boolean enabled, List<Long> sloMillis) {
    public MetricsConfig {
      sloMillis = List.copyOf(sloMillis);
    }
  }

  /**
   * Security between Courier processes.
   *
   * @param mtls mutual TLS on the gRPC servers and clients between services and on the clustered
   *     event bus
   */
  public record SecurityConfig(MtlsConfig mtls) {}

  /**
   * Mutual TLS between services: every gRPC server between services and the clustered event bus
   * require a client certificate issued by {@code caFile}, and every client presents this process's
   * certificate. A certificate's service identity is its {@code spiffe://courier/<role>} URI SAN.
   * The files are read once, at start; a rotated certificate takes effect on restart.
   *
   * @param enabled false keeps gRPC between services and the event bus in cleartext
   * @param certFile this process's certificate chain, PEM (leaf first)
   * @param keyFile its private key, PEM (PKCS#8); read from the file only, never logged
   * @param caFile the certificate authorities a peer's certificate must chain to, PEM
   * @param allowedPeers which identities may call this process's gRPC servers: {@code peer} (any of
   *     its servers) or {@code server=peer} (only the server of that role), where {@code peer} is a
   *     role name or its {@code spiffe://courier/<role>} URI. A server that no entry names accepts
   *     any certificate issued by the CA; others answer PERMISSION_DENIED to callers not listed
   */
  public record MtlsConfig(
      boolean enabled, String certFile, String keyFile, String caFile, List<String> allowedPeers) {
    public MtlsConfig {
      allowedPeers = List.copyOf(allowedPeers);
    }
  }
}
