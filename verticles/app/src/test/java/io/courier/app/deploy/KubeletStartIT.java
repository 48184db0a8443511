package io.courier.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each Deployment of deploy/k8s/overlays/dev started as a kubelet starts it, one at a time: the
 * image's command (deploy/Containerfile's {@code ENTRYPOINT}, as the manifests set no {@code
 * command} or {@code args}) run from the fat JAR in a directory standing for the image's working
 * directory, with the image's {@code ENV} and the container's environment exactly as {@link
 * ManifestCheck} builds it (envFrom, env, downward API, service links) and its ConfigMap and Secret
 * mounts laid out there; then its startupProbe and readinessProbe (HTTP GET on the management port)
 * polled until they succeed, its livenessProbe asked once, and the pod terminated as a kubelet
 * does: the preStop hook, then SIGTERM, then a kill if it is still running at the end of
 * terminationGracePeriodSeconds (a failure here).
 *
 * <p>What the cluster would provide is replaced by stand-ins on loopback:
 *
 * <ul>
 *   <li><b>Pod IP</b> (downward API {@code status.podIP}): 127.0.0.1; the probes go to it, as a
 *       kubelet's go to the pod IP.
 *   <li><b>The pod's network namespace</b>: conf/prod.json binds the cluster, gateway, services and
 *       management servers to 0.0.0.0, which inside a pod reaches only the pod IP. On this shared
 *       host they bind the pod-IP stand-in instead ({@code COURIER_CLUSTER_HOST}, {@code
 *       COURIER_GATEWAY_HOST}, {@code COURIER_SERVICES_HOST}, {@code COURIER_MANAGEMENT_HOST} set
 *       to 127.0.0.1), so no test process listens beyond loopback.
 *   <li><b>Cluster DNS and the pod's /etc/hosts</b>: {@code -Djdk.net.hosts.file} maps every name
 *       the process may look up (the Kafka host and the identity provider's host the environment
 *       names, every Service as {@code name}, {@code name.ns}, {@code name.ns.svc} and {@code
 *       name.ns.svc.cluster.local}, {@code kubernetes.default.svc}, the pod's hostname and this
 *       machine's) to 127.0.0.1; {@code -Dvertx.disableDnsResolver=true} makes Vert.x's clients
 *       resolve through the JDK, and so through that file, too.
 *   <li><b>The identity provider</b> ({@code COURIER_GATEWAY_AUTH_JWKS_URL},
 *       https://auth.example.com/.well-known/jwks.json): without its keys the gateway refuses to
 *       start ("no usable signing key"). {@link IdentityProviderStandIn} serves a JWKS of one RS256
 *       key over HTTPS on 127.0.0.1 at the URL's port (443) under a certificate for the URL's host;
 *       the pod's JVM trusts its CA through {@code -Djavax.net.ssl.trustStore}.
 *   <li><b>Kafka</b>: three real embedded KRaft brokers in this JVM, the first on the port {@code
 *       COURIER_KAFKA_BOOTSTRAP_SERVERS} names (9092); three because conf/prod.json asks for topics
 *       of replication factor 3 with min.insync.replicas 2. If that port is taken the test fails
 *       saying so. One exception, the only other change to an environment: inventory-service itself
 *       listens on 9092 (services.inventory.grpcPort) on all interfaces, which on one host cannot
 *       share the port with a broker as it does across pods, so for a pod that declares the Kafka
 *       port as a container port the brokers run on free ports and its {@code
 *       COURIER_KAFKA_BOOTSTRAP_SERVERS} names the same host with the first broker's port.
 *   <li><b>Kubernetes API and the service-account volume</b>: Hazelcast's Kubernetes discovery (API
 *       mode) reads the namespace, token and CA certificate from
 *       /var/run/secrets/kubernetes.io/serviceaccount, which a kubelet mounts, and calls
 *       https://kubernetes.default.svc; without them the process does not start ("Could not get
 *       .../ca.crt"). Rather than write into this machine's /var/run, the same values are given as
 *       Hazelcast's documented system properties {@code hazelcast.kubernetes.namespace}, {@code
 *       .api-token}, {@code .ca-certificate} (unused over HTTP) and {@code .kubernetes-master},
 *       pointing at {@link KubernetesApiStandIn}, which serves the EndpointSlices, pod and node
 *       Hazelcast reads over plain HTTP.
 *   <li><b>The container's filesystem</b>: a temporary directory stands for /opt/courier (the
 *       image's WORKDIR): courier.jar is a link to the fat JAR, conf/ and tls/ are the mounts. The
 *       one absolute path into it the environment holds ({@code JAVA_TOOL_OPTIONS}'s
 *       -Dlogback.configurationFile=/opt/courier/conf/logback-json.xml) is rewritten to that
 *       directory.
 *   <li><b>The container runtime</b>: {@code HOSTNAME} is the pod's name, {@code PATH} this JDK's
 *       bin first, and the cgroup memory limit is given to the JVM as {@code -XX:MaxRAM} (so
 *       MaxRAMPercentage means what it means in the pod). All the JVM options above travel in
 *       {@code JDK_JAVA_OPTIONS}, which neither image nor manifests set, together with {@code
 *       -XX:TieredStopAtLevel=1} to start faster.
 * </ul>
 *
 * <p>Not stood in for: readOnlyRootFilesystem, the user id, resource limits other than memory and
 * the network namespace (the pod's ports are this machine's, hence one pod at a time).
 */
@DisplayName("The dev Deployments, started as a kubelet starts them")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubeletStartIT {

  private static final Logger LOG = LoggerFactory.getLogger(KubeletStartIT.class);

  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final Path JAR =
      Path.of(System.getProperty("courier.jar", "target/courier.jar")).toAbsolutePath();
  private static final String POD_IP = "127.0.0.1";

  /** The addresses conf/prod.json binds to 0.0.0.0, bound to the pod-IP stand-in here. */
  private static final List<String> POD_BIND_VARIABLES =
      List.of(
          "COURIER_CLUSTER_HOST",
          "COURIER_GATEWAY_HOST",
          "COURIER_SERVICES_HOST",
          "COURIER_MANAGEMENT_HOST");

  private static final String TOKEN = "service-account-token-of-the-stand-in";
  private static final String KAFKA_VARIABLE = "COURIER_KAFKA_BOOTSTRAP_SERVERS";
  private static final String JWKS_VARIABLE = "COURIER_GATEWAY_AUTH_JWKS_URL";

  /**
   * How long a started pod may take to turn ready; a Deployment would wait its progress deadline.
   */
  private static final Duration READY_WITHIN = Duration.ofSeconds(90);

  private static final Duration POLL = Duration.ofMillis(250);

  private static Path scratch;
  private static ContainerImage image;
  private static Map<String, ManifestCheck.Pod> pods;
  private static List<Service> services;
  private static KubernetesApiStandIn api;
  private static KafkaStandIn kafka;
  private static IdentityProviderStandIn identityProvider;
  private static URI identityProviderUrl;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Process container;

  @BeforeAll
  static void renderDev() throws Exception {
    scratch = Files.createTempDirectory("kubelet-start");
    image = ContainerImage.read(ROOT.resolve("deploy/Containerfile"));
    assertThat(image.workdir()).isEqualTo(ManifestCheck.WORKDIR);
    String yaml = ManifestCheck.render(ROOT.resolve("deploy/k8s/overlays/dev"));
    pods = podsOf(yaml);
    services = servicesOf(yaml);
    api = new KubernetesApiStandIn(TOKEN);
  }

  @AfterAll
  static void stopStandIns() throws IOException {
    if (kafka != null) {
      kafka.close();
    }
    if (identityProvider != null) {
      identityProvider.close();
    }
    if (api != null) {
      api.close();
    }
    if (scratch != null) {
      try (Stream<Path> files = Files.walk(scratch)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @AfterEach
  void killContainer() throws InterruptedException {
    if (container != null && container.isAlive()) {
      container.destroyForcibly();
      container.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The dev Deployments, those that listen on the Kafka port last (they need other brokers). */
  static Stream<String> devDeployments() throws Exception {
    String yaml = ManifestCheck.render(ROOT.resolve("deploy/k8s/overlays/dev"));
    Path dir = Files.createTempDirectory("kubelet-names");
    try {
      List<ManifestCheck.Pod> all = new ManifestCheck(JAR, dir, POD_IP).pods(yaml);
      return all.stream()
          .sorted(
              java.util.Comparator.comparing((ManifestCheck.Pod p) -> listensOnKafkaPort(p))
                  .thenComparing(ManifestCheck.Pod::name))
          .map(ManifestCheck.Pod::name);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Order(2)
  @ParameterizedTest(name = "{0}")
  @MethodSource("devDeployments")
  @Timeout(300)
  @DisplayName("starts, turns ready and stops within its grace period")
  void shouldStartTurnReadyAndStopWithinGracePeriod(String deployment) throws Exception {
    ManifestCheck.Pod pod = pods.get(deployment);
    assertThat(pod).as("Deployment %s in overlays/dev", deployment).isNotNull();

    Started started = start(pod, pod.env());
    Duration startedAfter =
        awaitProbe(
            pod, "startupProbe", pod.container().getStartupProbe(), started, startupDeadline(pod));
    Duration readyAfter =
        awaitProbe(
            pod, "readinessProbe", pod.container().getReadinessProbe(), started, READY_WITHIN);
    assertThat(probeOnce(pod, pod.container().getLivenessProbe()))
        .as("livenessProbe of %s once ready", deployment)
        .isTrue();
    Duration stopped = terminate(pod, started);

    long grace = gracePeriodSeconds(pod);
    LOG.info(
        "{}: started after {}, ready after {}, terminated in {} (grace {} s), exit {};"
            + " Kubernetes API asked for {}",
        deployment,
        startedAfter,
        readyAfter,
        stopped,
        grace,
        container.exitValue(),
        api.served());
    assertThat(container.exitValue()).as("exit code of %s after SIGTERM", deployment).isZero();
    assertThat(api.unserved()).as("Kubernetes API requests the stand-in does not serve").isEmpty();
  }

  @Order(1)
  @Test
  @Timeout(120)
  @DisplayName("fails for a Deployment whose configuration file does not exist")
  void shouldFailWhenThePodCannotStart() throws Exception {
    ManifestCheck.Pod pod = pods.get("courier-gateway");
    Map<String, String> broken = new LinkedHashMap<>(pod.env());
    broken.put("COURIER_CONFIG", "conf/missing.json");

    Started started = start(pod, broken);

    assertThatThrownBy(
            () ->
                awaitProbe(
                    pod,
                    "startupProbe",
                    pod.container().getStartupProbe(),
                    started,
                    startupDeadline(pod)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("exited with")
        .hasMessageContaining("conf/missing.json");
  }

  @Order(1)
  @Test
  @Timeout(120)
  @DisplayName("fails for a readinessProbe on a path the pod does not serve")
  void shouldFailWhenAProbeAsksForAPathThePodDoesNotServe() throws Exception {
    ManifestCheck.Pod pod = pods.get("courier-gateway");
    Probe ready = pod.container().getReadinessProbe();
    Probe wrong =
        new ProbeBuilder()
            .withNewHttpGet()
            .withPath("/healthz")
            .withPort(ready.getHttpGet().getPort())
            .endHttpGet()
            .withPeriodSeconds(ready.getPeriodSeconds())
            .withFailureThreshold(ready.getFailureThreshold())
            .withTimeoutSeconds(ready.getTimeoutSeconds())
            .build();
    Started started = start(pod, pod.env());
    awaitProbe(
        pod, "startupProbe", pod.container().getStartupProbe(), started, startupDeadline(pod));
    // As long as a kubelet takes to mark a ready pod unready.
    Duration unready =
        Duration.ofSeconds((long) wrong.getFailureThreshold() * wrong.getPeriodSeconds());

    assertThatThrownBy(() -> awaitProbe(pod, "readinessProbe", wrong, started, unready))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("readinessProbe /healthz succeeds");
  }

  /** A started container: when, and where its output goes. */
  private record Started(long startedAt, Path log) {}

  // ---------------------------------------------------------------------------------------------
  // The kubelet's part

  private Started start(ManifestCheck.Pod pod, Map<String, String> kubeletEnv) throws Exception {
    Container spec = pod.container();
    String namespace = pod.deployment().getMetadata().getNamespace();
    String podName = pod.name() + "-5d8f7c9b6-x2k4q";
    Map<String, String> env = new LinkedHashMap<>(kubeletEnv);

    String bootstrap = env.get(KAFKA_VARIABLE);
    assertThat(bootstrap).as("%s of %s", KAFKA_VARIABLE, pod.name()).isNotBlank();
    String kafkaHost = bootstrap.split(",")[0].replaceFirst(":\\d+$", "");
    int kafkaPort = Integer.parseInt(bootstrap.split(",")[0].replaceFirst("^.*:", ""));
    if (listensOnKafkaPort(pod)) {
      // The one override (see the class comment): the pod's own port stays as declared.
      kafka = KafkaStandIn.ensure(kafka, 0, scratch);
      env.put(KAFKA_VARIABLE, kafkaHost + ":" + kafka.port());
      LOG.warn(
          "{} listens on the Kafka port {} itself: its {} is {} on this single host",
          pod.name(),
          kafkaPort,
          KAFKA_VARIABLE,
          env.get(KAFKA_VARIABLE));
    } else {
      kafka = KafkaStandIn.ensure(kafka, kafkaPort, scratch);
    }
    // The pod's network namespace: its wildcard binds reach only the pod IP. On this shared host
    // the pod-IP stand-in is bound instead, so nothing listens beyond loopback.
    for (String hostVariable : POD_BIND_VARIABLES) {
      env.put(hostVariable, POD_IP);
    }
    for (ContainerPort port : spec.getPorts()) {
      requireFree(port.getContainerPort(), pod.name() + " container port " + port.getName());
    }

    // The image's filesystem: WORKDIR holds courier.jar (COPY) and, mounted over the image's own,
    // conf/ and tls/.
    Path root = pod.root();
    Path jarLink = root.resolve("courier.jar");
    Files.deleteIfExists(jarLink);
    Files.createSymbolicLink(jarLink, JAR);
    env.replaceAll((k, v) -> v.replace(ManifestCheck.WORKDIR + "/", root + "/"));

    List<String> jvmOptions =
        new ArrayList<>(
            List.of(
                "-XX:TieredStopAtLevel=1",
                "-XX:MaxRAM=" + memoryLimitBytes(spec),
                // Vert.x's own DNS client asks the resolvers of /etc/resolv.conf; this makes it
                // use the JDK's resolver, and so the hosts file below, as Kafka and Hazelcast do.
                "-Dvertx.disableDnsResolver=true",
                "-Dhazelcast.kubernetes.kubernetes-master=" + api.url(),
                "-Dhazelcast.kubernetes.api-token=" + TOKEN,
                "-Dhazelcast.kubernetes.ca-certificate=unused-over-http",
                "-Dhazelcast.kubernetes.namespace=" + namespace));
    Set<String> external = new LinkedHashSet<>(Set.of(kafkaHost));
    String jwks = env.get(JWKS_VARIABLE);
    if (jwks != null && !jwks.isBlank()) {
      URI url = URI.create(jwks);
      if (identityProvider == null || !url.equals(identityProviderUrl)) {
        if (identityProvider != null) {
          identityProvider.close();
        }
        identityProvider = new IdentityProviderStandIn(url, scratch.resolve("identity-provider"));
        identityProviderUrl = url;
      }
      external.add(url.getHost());
      jvmOptions.add("-Djavax.net.ssl.trustStore=" + identityProvider.trustStore());
      jvmOptions.add("-Djavax.net.ssl.trustStoreType=PKCS12");
      jvmOptions.add(
          "-Djavax.net.ssl.trustStorePassword=" + IdentityProviderStandIn.TRUST_STORE_PASSWORD);
    }
    Path hosts = root.resolve("stand-in-hosts");
    Files.writeString(hosts, hostsFile(namespace, podName, external));
    jvmOptions.add("-Djdk.net.hosts.file=" + hosts);
    api.pod(
        new KubernetesApiStandIn.RunningPod(
            namespace,
            podName,
            POD_IP,
            pod.deployment().getSpec().getTemplate().getMetadata().getLabels(),
            services));

    Map<String, String> process = new LinkedHashMap<>();
    process.put(
        "PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/local/bin:/usr/bin:/bin");
    process.put("HOME", root.toString());
    process.put("HOSTNAME", podName);
    process.putAll(image.env());
    process.putAll(env); // a container's env wins over the image's ENV
    assertThat(process).doesNotContainKey("JDK_JAVA_OPTIONS");
    process.put("JDK_JAVA_OPTIONS", String.join(" ", jvmOptions));

    List<String> command = image.command(spec.getCommand(), spec.getArgs());
    Path log = root.resolve("container.log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().clear();
    builder.environment().putAll(process);
    LOG.info("{}: {} in {}", pod.name(), command, root);
    container = builder.start();
    return new Started(System.nanoTime(), log);
  }

  /** initialDelaySeconds + failureThreshold x periodSeconds: then a kubelet kills the container. */
  private static Duration startupDeadline(ManifestCheck.Pod pod) {
    Probe probe = pod.container().getStartupProbe();
    assertThat(probe).as("startupProbe of %s", pod.name()).isNotNull();
    return Duration.ofSeconds(
        orDefault(probe.getInitialDelaySeconds(), 0)
            + (long) orDefault(probe.getFailureThreshold(), 3)
                * orDefault(probe.getPeriodSeconds(), 10));
  }

  /** Polls a probe until it succeeds; how long after the start it did. */
  private Duration awaitProbe(
      ManifestCheck.Pod pod, String which, Probe probe, Started started, Duration deadline) {
    assertThat(probe).as("%s of %s", which, pod.name()).isNotNull();
    assertThat(probe.getHttpGet()).as("%s of %s is an HTTP GET", which, pod.name()).isNotNull();
    awaitUntil(
        pod.name() + " " + which + " " + probe.getHttpGet().getPath() + " succeeds",
        deadline,
        () -> {
          if (!container.isAlive()) {
            throw new AssertionError(
                pod.name()
                    + " exited with "
                    + container.exitValue()
                    + " before its "
                    + which
                    + " succeeded:\n"
                    + tail(started.log()));
          }
          return probeOnce(pod, probe);
        },
        () -> tail(started.log()));
    return Duration.ofNanos(System.nanoTime() - started.startedAt());
  }

  /** One probe as a kubelet sends it: HTTP GET to the pod IP; 200-399 is success. */
  private static boolean probeOnce(ManifestCheck.Pod pod, Probe probe) {
    HTTPGetAction get = probe.getHttpGet();
    Integer port =
        get.getPort().getIntVal() != null
            ? get.getPort().getIntVal()
            : pod.container().getPorts().stream()
                .filter(p -> get.getPort().getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort)
                .findFirst()
                .orElseThrow(
                    () ->
                        new AssertionError(
                            pod.name() + ": probe port " + get.getPort().getStrVal() + " unknown"));
    String scheme = get.getScheme() == null ? "http" : get.getScheme().toLowerCase();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(scheme + "://" + POD_IP + ":" + port + get.getPath()))
            .timeout(Duration.ofSeconds(orDefault(probe.getTimeoutSeconds(), 1)))
            .header("User-Agent", "kube-probe/1.30")
            .GET()
            .build();
    try {
      int status = HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      return status >= 200 && status < 400;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * As a kubelet terminates a pod: the preStop hook runs (counted in the grace period), then
   * SIGTERM; a container still running when terminationGracePeriodSeconds is over is killed, which
   * fails the test.
   */
  private Duration terminate(ManifestCheck.Pod pod, Started started) throws Exception {
    long grace = gracePeriodSeconds(pod);
    long begin = System.nanoTime();
    long deadline = begin + TimeUnit.SECONDS.toNanos(grace);
    Container spec = pod.container();
    if (spec.getLifecycle() != null
        && spec.getLifecycle().getPreStop() != null
        && spec.getLifecycle().getPreStop().getExec() != null) {
      Process hook =
          new ProcessBuilder(spec.getLifecycle().getPreStop().getExec().getCommand())
              .directory(pod.root().toFile())
              .inheritIO()
              .start();
      try {
        assertThat(hook.waitFor(grace, TimeUnit.SECONDS))
            .as("%s preStop hook ends within the grace period", pod.name())
            .isTrue();
      } finally {
        hook.destroyForcibly();
      }
    }
    container.destroy(); // SIGTERM
    boolean exited =
        container.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    assertThat(exited)
        .as(
            "%s exits within terminationGracePeriodSeconds %d after preStop and SIGTERM:%n%s",
            pod.name(), grace, tail(started.log()))
        .isTrue();
    return took;
  }

  // ---------------------------------------------------------------------------------------------
  // Stand-ins and helpers

  private static String hostsFile(String namespace, String podName, Set<String> external)
      throws IOException {
    Set<String> names = new LinkedHashSet<>();
    names.add("localhost");
    names.add(InetAddress.getLocalHost().getHostName());
    names.add(podName);
    names.addAll(external);
    names.add("kubernetes.default.svc");
    names.add("kubernetes.default.svc.cluster.local");
    for (Service service : services) {
      String name = service.getMetadata().getName();
      names.add(name);
      names.add(name + "." + namespace);
      names.add(name + "." + namespace + ".svc");
      names.add(name + "." + namespace + ".svc.cluster.local");
    }
    return names.stream().map(n -> POD_IP + " " + n).collect(Collectors.joining("\n", "", "\n"));
  }

  private static long memoryLimitBytes(Container container) {
    var limits = container.getResources() == null ? null : container.getResources().getLimits();
    assertThat(limits).as("resources.limits of %s", container.getName()).isNotNull();
    return io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(limits.get("memory"))
        .longValueExact();
  }

  private static long gracePeriodSeconds(ManifestCheck.Pod pod) {
    Long grace = pod.spec().getTerminationGracePeriodSeconds();
    return grace == null ? 30 : grace;
  }

  private static boolean listensOnKafkaPort(ManifestCheck.Pod pod) {
    String bootstrap = pod.env().getOrDefault(KAFKA_VARIABLE, "");
    if (bootstrap.isBlank()) {
      return false;
    }
    int port = Integer.parseInt(bootstrap.split(",")[0].replaceFirst("^.*:", ""));
    return pod.container().getPorts().stream().anyMatch(p -> p.getContainerPort() == port);
  }

  private static void requireFree(int port, String what) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(POD_IP, port));
    } catch (IOException e) {
      throw new AssertionError(
          "port "
              + port
              + " ("
              + what
              + ") is taken on this machine; the pod needs it as its manifest says: "
              + e.getMessage());
    }
  }

  private static Map<String, ManifestCheck.Pod> podsOf(String yaml) throws IOException {
    Map<String, ManifestCheck.Pod> byName = new LinkedHashMap<>();
    for (ManifestCheck.Pod pod : new ManifestCheck(JAR, scratch, POD_IP).pods(yaml)) {
      byName.put(pod.name(), pod);
    }
    return byName;
  }

  private static List<Service> servicesOf(String yaml) {
    List<Service> found = new ArrayList<>();
    for (String document : yaml.split("(?m)^---\\s*$")) {
      if (document.isBlank()) {
        continue;
      }
      Object parsed = Serialization.unmarshal(document);
      if (parsed instanceof Service service) {
        found.add(service);
      }
    }
    return found;
  }

  private static int orDefault(Integer value, int otherwise) {
    return value == null ? otherwise : value;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Polls condition until it holds or the deadline passes (then fails with the diagnostics). */
  private static void awaitUntil(
      String what, Duration deadline, BooleanSupplier condition, Supplier<String> diagnostics) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + deadline + ": " + what + "\n" + diagnostics.get());
      }
      CompletableFuture.runAsync(
              () -> {}, CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS))
          .join();
    }
  }

  /**
   * Three embedded KRaft brokers in this JVM, the first on a given port (0: a free one). Kept
   * across pods while the wanted port stays the same.
   */
  private static final class KafkaStandIn implements AutoCloseable {

    private final List<EmbeddedKafkaBroker> nodes;
    private final int requestedPort;

    private KafkaStandIn(List<EmbeddedKafkaBroker> nodes, int requestedPort) {
      this.nodes = nodes;
      this.requestedPort = requestedPort;
    }

    int port() {
      String first = nodes.get(0).bootstrapServers();
      return Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
    }

    static KafkaStandIn ensure(KafkaStandIn current, int port, Path scratch) throws Exception {
      if (current != null && current.requestedPort == port) {
        return current;
      }
      if (current != null) {
        current.close();
      }
      if (port != 0) {
        try (ServerSocket socket = new ServerSocket()) {
          socket.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
          throw new AssertionError(
              "port "
                  + port
                  + ", where "
                  + KAFKA_VARIABLE
                  + " says Kafka is, is taken on this machine; free it (the test will not change"
                  + " the pods' environment): "
                  + e.getMessage());
        }
      }
      int[] controllers = new int[3];
      for (int i = 0; i < 3; i++) {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
          controllers[i] = socket.getLocalPort();
        }
      }
      String voters =
          IntStream.range(0, 3)
              .mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllers[i])
              .collect(Collectors.joining(","));
      String clusterId = Uuid.randomUuid().toString();
      Path dir = Files.createTempDirectory(scratch, "kafka");
      List<EmbeddedKafkaBroker> nodes = new ArrayList<>();
      for (int id = 1; id <= 3; id++) {
        EmbeddedKafkaBroker.Builder builder =
            EmbeddedKafkaBroker.builder()
                .dataDir(dir.resolve("node-" + id))
                .nodeId(id)
                .voters(voters)
                .controllerPort(controllers[id - 1])
                .clusterId(clusterId);
        if (id == 1 && port != 0) {
          builder.port(port);
        }
        nodes.add(builder.build());
      }
      ExecutorService starter = Executors.newFixedThreadPool(3);
      try {
        List<Future<EmbeddedKafkaBroker>> started = new ArrayList<>();
        for (EmbeddedKafkaBroker node : nodes) {
          started.add(starter.submit(node::start));
        }
        for (Future<EmbeddedKafkaBroker> each : started) {
          each.get(150, TimeUnit.SECONDS);
        }
      } catch (Exception | Error e) {
        nodes.forEach(EmbeddedKafkaBroker::close);
        throw e;
      } finally {
        starter.shutdownNow();
      }
      KafkaStandIn standIn = new KafkaStandIn(nodes, port);
      LOG.info("Kafka stand-in: 3 brokers, first on port {}", standIn.port());
      return standIn;
    }

    @Override
    public void close() {
      // Concurrently: a node stopping alone waits for a quorum to move its leaders.
      List<CompletableFuture<Void>> closing =
          nodes.stream().map(n -> CompletableFuture.runAsync(n::close)).toList();
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).join();
    }
  }
}
