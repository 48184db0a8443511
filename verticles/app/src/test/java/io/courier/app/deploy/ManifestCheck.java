package io.courier.app.deploy;

import io.courier.codec.flow.Topics;
import io.courier.inventory.InventoryServiceRole;
import io.courier.notification.NotificationServiceRole;
import io.courier.order.OrderServiceRole;
import io.courier.payment.PaymentServiceRole;
import io.courier.runtime.security.DevCertificates;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Checks Kubernetes manifests offline, as an API server and the running pods would: every document
 * unmarshals into Kubernetes' object model (fabric8) with no unknown field, kind or apiVersion, and
 * the objects agree with each other and with Courier's configuration. Each problem is one line
 * naming the object and what is wrong with it.
 */
final class ManifestCheck {

  /** The image's working directory (deploy/Containerfile); relative config paths start here. */
  static final String WORKDIR = "/opt/courier";

  /** The endpoints of the management server (io.courier.runtime.impl.ManagementServer). */
  static final Set<String> PROBE_PATHS = Set.of("/health/live", "/health/ready", "/health/started");

  /**
   * Roles that own partitions of a state topic (docs/design/state-ownership.md), role to topic:
   * their replicas share the topic's partitions through a consumer group, so replicas past its
   * partition count serve nothing, and a rollout or a drain must take owners away one at a time.
   */
  static final Map<String, String> PARTITIONED_OWNERS =
      Map.of(OrderServiceRole.NAME, Topics.ORDERS, InventoryServiceRole.NAME, Topics.STOCK);

  /** KEDA's maxReplicaCount when a ScaledObject does not set it. */
  private static final int KEDA_DEFAULT_MAX_REPLICAS = 100;

  /** Custom resources the manifests may use, with the only spec keys they may set. */
  static final Map<String, Set<String>> CUSTOM_KINDS =
      Map.of(
          "monitoring.coreos.com/v1/PodMonitor",
          Set.of(
              "jobLabel",
              "selector",
              "namespaceSelector",
              "podMetricsEndpoints",
              "podTargetLabels",
              "sampleLimit"),
          "monitoring.coreos.com/v1/PrometheusRule",
          Set.of("groups"),
          "keda.sh/v1alpha1/ScaledObject",
          Set.of(
              "scaleTargetRef",
              "minReplicaCount",
              "maxReplicaCount",
              "cooldownPeriod",
              "pollingInterval",
              "idleReplicaCount",
              "triggers",
              "fallback",
              "advanced"));

  private static final Set<String> KAFKA_TRIGGER_KEYS =
      Set.of(
          "bootstrapServers",
          "consumerGroup",
          "topic",
          "lagThreshold",
          "activationLagThreshold",
          "offsetResetPolicy",
          "allowIdleConsumers");
  private static final Map<String, String> GROUP_OF_ROLE =
      Map.of(
          "order-service", OrderServiceRole.CONSUMER_GROUP,
          "payment-service", PaymentServiceRole.CONSUMER_GROUP,
          "inventory-service", InventoryServiceRole.CONSUMER_GROUP,
          "notification-service", NotificationServiceRole.CONSUMER_GROUP);

  /**
   * The Secrets the manifests reference and never contain, as an operator creates them
   * (deploy/README.md): made-up values of the documented keys.
   */
  private static final Map<String, Map<String, String>> OPERATOR_SECRETS =
      Map.of(
          "courier-secrets",
          Map.of(
              "COURIER_SECURITY_IDENTITY_KEY",
              java.util.Base64.getEncoder()
                  .encodeToString(
                      "made-up identity key, 32 bytes!!".getBytes(StandardCharsets.US_ASCII))));

  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  private static final String POD_IP = "10.1.2.3";

  /** Effective configurations by (environment, files): one child JVM each, shared by the checks. */
  private static final Map<String, Object> CONFIGS = new ConcurrentHashMap<>();

  private final Path jar;
  private final Path scratch;
  private final String podIp;
  private final List<String> problems = new ArrayList<>();
  private final Map<String, Service> services = new HashMap<>();
  private final Map<String, Owner> owners = new TreeMap<>();
  private static DevCertificates authority;
  private static final Map<String, Map<String, String>> TLS_FILES = new ConcurrentHashMap<>();

  /** A Deployment running a partitioned owner, and the partition count its configuration gives. */
  private record Owner(String role, String topic, int partitions) {}

  /**
   * @param jar the fat JAR, whose {@code courier config} command checks each pod's configuration
   * @param scratch a directory for the pods' config files
   */
  ManifestCheck(Path jar, Path scratch) {
    this(jar, scratch, POD_IP);
  }

  /**
   * @param podIp what the downward API gives as {@code status.podIP}
   */
  ManifestCheck(Path jar, Path scratch, String podIp) {
    this.jar = jar;
    this.scratch = scratch;
    this.podIp = podIp;
  }

  /**
   * A container of a Deployment as a kubelet would start it.
   *
   * @param deployment the Deployment
   * @param container its container
   * @param env the container's environment as the kubelet builds it (image ENV not included)
   * @param root a directory standing for the image's working directory, with the pod's ConfigMap
   *     and Secret mounts under it
   */
  record Pod(Deployment deployment, Container container, Map<String, String> env, Path root) {

    String name() {
      return deployment.getMetadata().getName();
    }

    PodSpec spec() {
      return deployment.getSpec().getTemplate().getSpec();
    }
  }

  /**
   * Every container of every Deployment of a set of rendered manifests, with its environment and
   * files; a problem found on the way (e.g. a missing ConfigMap key) throws.
   */
  List<Pod> pods(String yaml) throws IOException {
    problems.clear();
    services.clear();
    List<HasMetadata> objects = parse("rendered", yaml, false);
    Map<String, ConfigMap> configMaps = new HashMap<>();
    List<Deployment> deployments = new ArrayList<>();
    for (HasMetadata object : objects) {
      if (object instanceof Deployment d) {
        deployments.add(d);
      } else if (object instanceof Service s) {
        services.put(s.getMetadata().getName(), s);
      } else if (object instanceof ConfigMap c) {
        configMaps.put(c.getMetadata().getName(), c);
      }
    }
    List<Pod> pods = new ArrayList<>();
    for (Deployment deployment : deployments) {
      PodSpec spec = deployment.getSpec().getTemplate().getSpec();
      Map<String, Volume> volumes = new HashMap<>();
      spec.getVolumes().forEach(v -> volumes.put(v.getName(), v));
      for (Container container : spec.getContainers()) {
        Map<String, String> env = environment(name(deployment), container, configMaps);
        pods.add(new Pod(deployment, container, env, podFiles(container, volumes, configMaps)));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("the manifests do not make pods: " + problems);
    }
    return pods;
  }

  /** {@code kubectl kustomize dir}: the manifests an {@code apply -k} would send. */
  static String render(Path dir) throws IOException, InterruptedException {
    Process kubectl;
    try {
      kubectl =
          new ProcessBuilder("kubectl", "kustomize", dir.toString())
              .redirectErrorStream(false)
              .start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "kubectl (with its built-in kustomize v5) is needed to render deploy/k8s: "
              + e.getMessage(),
          e);
    }
    byte[] out = kubectl.getInputStream().readAllBytes();
    String err = new String(kubectl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!kubectl.waitFor(60, TimeUnit.SECONDS) || kubectl.exitValue() != 0) {
      throw new IllegalStateException("kubectl kustomize " + dir + " failed: " + err);
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** Every problem of a set of rendered manifests, as one line each. */
  List<String> check(String yaml) throws Exception {
    problems.clear();
    services.clear();
    owners.clear();
    List<HasMetadata> objects = parse("rendered", yaml, false);
    Map<String, Deployment> deployments = new TreeMap<>();
    Map<String, ConfigMap> configMaps = new HashMap<>();
    for (HasMetadata object : objects) {
      if (object instanceof Deployment d) {
        deployments.put(d.getMetadata().getName(), d);
      } else if (object instanceof Service s) {
        services.put(s.getMetadata().getName(), s);
      } else if (object instanceof ConfigMap c) {
        configMaps.put(c.getMetadata().getName(), c);
      } else if (object instanceof Secret s) {
        problems.add(
            name(s)
                + ": a Secret is contained in the manifests; reference one (secretRef) instead");
      }
    }
    for (Deployment deployment : deployments.values()) {
      deployment(deployment, configMaps);
    }
    Set<String> budgeted = new TreeSet<>();
    for (HasMetadata object : objects) {
      if (object instanceof Service service) {
        service(service, deployments.values());
      } else if (object instanceof HorizontalPodAutoscaler hpa) {
        autoscaler(hpa, deployments);
      } else if (object instanceof PodDisruptionBudget pdb) {
        selects(name(pdb), pdb.getSpec().getSelector().getMatchLabels(), deployments.values())
            .forEach(d -> budgeted.add(d.getMetadata().getName()));
      } else if (object instanceof NetworkPolicy policy) {
        networkPolicy(policy);
      } else if (object instanceof GenericKubernetesResource custom
          && CUSTOM_KINDS.containsKey(custom.getApiVersion() + "/" + custom.getKind())) {
        custom(custom, deployments, objects);
      }
    }
    new MonitoringCheck(Path.of("../../deploy/monitoring"), problems).check(objects, deployments);
    for (Map.Entry<String, Owner> owner : owners.entrySet()) {
      if (!budgeted.contains(owner.getKey())) {
        problems.add(
            "Deployment "
                + owner.getKey()
                + ": runs partitioned owner '"
                + owner.getValue().role()
                + "' but no PodDisruptionBudget selects its pods; a node drain could stop several"
                + " owners at once");
      }
    }
    return List.copyOf(problems);
  }

  /**
   * Unmarshals every document of a file; unknown fields, kinds and apiVersions are problems.
   *
   * @param patch whether the file is a kustomize patch, whose {@code $patch} directives are allowed
   */
  List<HasMetadata> parse(String source, String yaml, boolean patch) {
    List<HasMetadata> objects = new ArrayList<>();
    int index = 0;
    for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
      if (document.lines().allMatch(line -> line.isBlank() || line.trim().startsWith("#"))) {
        continue;
      }
      String where = source + " document " + index++;
      Object parsed;
      try {
        parsed = Serialization.unmarshal(document);
      } catch (RuntimeException e) {
        problems.add(where + ": does not unmarshal: " + rootMessage(e));
        continue;
      }
      if (!(parsed instanceof HasMetadata object)) {
        problems.add(where + ": not a Kubernetes object");
        continue;
      }
      where = where + " (" + name(object) + ")";
      if (object instanceof GenericKubernetesResource generic) {
        String kind = generic.getApiVersion() + "/" + generic.getKind();
        if (!CUSTOM_KINDS.containsKey(kind)) {
          problems.add(where + ": unknown kind or apiVersion " + kind);
        }
      } else {
        unknownFields(object, where, patch);
      }
      objects.add(object);
    }
    return objects;
  }

  List<String> problems() {
    return List.copyOf(problems);
  }

  private void deployment(Deployment deployment, Map<String, ConfigMap> configMaps)
      throws Exception {
    String name = name(deployment);
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    Map<String, String> selector = deployment.getSpec().getSelector().getMatchLabels();
    if (!podLabels.entrySet().containsAll(selector.entrySet())) {
      problems.add(name + ": selector " + selector + " does not match its pod labels " + podLabels);
    }
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    if (pod.getSecurityContext() == null
        || !Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot())) {
      problems.add(name + ": pod securityContext.runAsNonRoot is not true");
    }
    if (!Boolean.FALSE.equals(pod.getEnableServiceLinks())) {
      problems.add(
          name
              + ": needs enableServiceLinks: false (a kubelet would set a variable per Service of"
              + " the namespace, named like Courier's own COURIER_* keys)");
    }
    Map<String, Volume> volumes = new HashMap<>();
    for (Volume volume : pod.getVolumes()) {
      volumes.put(volume.getName(), volume);
      if (volume.getConfigMap() != null) {
        ConfigMap map = configMaps.get(volume.getConfigMap().getName());
        if (map == null) {
          problems.add(name + ": volume " + volume.getName() + " names no ConfigMap in the set");
          continue;
        }
        for (KeyToPath item : volume.getConfigMap().getItems()) {
          if (!map.getData().containsKey(item.getKey())) {
            problems.add(
                name
                    + ": volume "
                    + volume.getName()
                    + " mounts key '"
                    + item.getKey()
                    + "', which ConfigMap "
                    + map.getMetadata().getName()
                    + " does not have");
          }
        }
      }
    }
    for (Container container : pod.getContainers()) {
      container(deployment, pod, container, volumes, configMaps);
    }
  }

  private void container(
      Deployment deployment,
      PodSpec pod,
      Container container,
      Map<String, Volume> volumes,
      Map<String, ConfigMap> configMaps)
      throws Exception {
    String name = name(deployment) + " container " + container.getName();
    var security = container.getSecurityContext();
    if (security == null
        || !Boolean.TRUE.equals(security.getReadOnlyRootFilesystem())
        || !Boolean.FALSE.equals(security.getAllowPrivilegeEscalation())) {
      problems.add(
          name + ": needs readOnlyRootFilesystem: true and allowPrivilegeEscalation: false");
    }
    if (container.getResources() == null
        || container.getResources().getRequests().get("memory") == null
        || container.getResources().getLimits().get("memory") == null) {
      problems.add(name + ": needs memory requests and limits");
    }

    Map<String, String> env = environment(name, container, configMaps);
    Path root = podFiles(container, volumes, configMaps);
    JsonObject config = effectiveConfig(name, env, root);
    if (config == null) {
      return;
    }
    String role = config.getJsonArray("roles").encode();
    Map<Integer, String> listens = listeningPorts(config);
    Map<String, Integer> declared = new HashMap<>();
    for (ContainerPort port : container.getPorts()) {
      declared.put(port.getName(), port.getContainerPort());
      if (!listens.containsKey(port.getContainerPort())) {
        problems.add(
            name
                + ": container port "
                + port.getContainerPort()
                + " ("
                + port.getName()
                + ") is not a port role '"
                + role
                + "' listens on; its configuration says "
                + listens);
      }
    }
    for (Map.Entry<Integer, String> port : listens.entrySet()) {
      if (!declared.containsValue(port.getKey())) {
        problems.add(
            name + ": " + port.getValue() + " " + port.getKey() + " is not declared as a port");
      }
    }
    int management = config.getJsonObject("management").getInteger("port");
    probe(name, "startupProbe", container.getStartupProbe(), declared, management);
    probe(name, "readinessProbe", container.getReadinessProbe(), declared, management);
    probe(name, "livenessProbe", container.getLivenessProbe(), declared, management);

    long drainSeconds = config.getJsonObject("shutdown").getLong("drainTimeoutMs") / 1000;
    long preStopSeconds = preStopSleep(container);
    long grace =
        pod.getTerminationGracePeriodSeconds() == null
            ? 30
            : pod.getTerminationGracePeriodSeconds();
    if (grace < preStopSeconds + drainSeconds) {
      problems.add(
          name
              + ": terminationGracePeriodSeconds "
              + grace
              + " is shorter than preStop ("
              + preStopSeconds
              + " s) plus shutdown.drainTimeoutMs ("
              + drainSeconds
              + " s): Kubernetes would kill the drain");
    }
    int partitions = config.getJsonObject("kafka").getJsonObject("topics").getInteger("partitions");
    for (Object each : config.getJsonArray("roles")) {
      String topic = PARTITIONED_OWNERS.get(each);
      if (topic != null) {
        owner(deployment, new Owner((String) each, topic, partitions));
      }
    }
    if (!Boolean.TRUE.equals(config.getJsonObject("cluster").getBoolean("enabled"))) {
      problems.add(name + ": cluster.enabled is false; roles in separate pods need the cluster");
    } else {
      clusterService(name, deployment, config.getJsonObject("cluster"));
    }
  }

  /**
   * The container's environment as a kubelet builds it, service links included (see {@link
   * #serviceLinks()}), with {@link #podIp} for the downward API's {@code status.podIP}.
   */
  private Map<String, String> environment(
      String name, Container container, Map<String, ConfigMap> configMaps) {
    // As a kubelet builds it: envFrom, then env (later wins), then the service links of every
    // Service in the namespace where no variable of that name is set. The links are added whatever
    // enableServiceLinks says (the rule above checks that): a pod must start even where an
    // admission webhook or an old manifest turns them on.
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvFromSource from : container.getEnvFrom()) {
      if (from.getConfigMapRef() != null) {
        ConfigMap map = configMaps.get(from.getConfigMapRef().getName());
        if (map == null) {
          if (!Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
            problems.add(name + ": envFrom names no ConfigMap " + from.getConfigMapRef().getName());
          }
        } else {
          env.putAll(map.getData());
        }
      }
      if (from.getSecretRef() != null
          && OPERATOR_SECRETS.containsKey(from.getSecretRef().getName())) {
        // What the operator puts in the Secret the manifests reference (deploy/README.md).
        env.putAll(OPERATOR_SECRETS.get(from.getSecretRef().getName()));
      }
      if (from.getSecretRef() != null && !Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
        problems.add(
            name
                + ": secret "
                + from.getSecretRef().getName()
                + " must be optional: the manifests never contain it");
      }
    }
    for (EnvVar var : container.getEnv()) {
      if (var.getValueFrom() != null) {
        if (var.getValueFrom().getConfigMapKeyRef() != null) {
          var ref = var.getValueFrom().getConfigMapKeyRef();
          ConfigMap map = configMaps.get(ref.getName());
          if (map == null || !map.getData().containsKey(ref.getKey())) {
            problems.add(name + ": env " + var.getName() + " names a missing ConfigMap key");
            continue;
          }
          env.put(var.getName(), map.getData().get(ref.getKey()));
        } else {
          env.put(var.getName(), podIp);
        }
      } else {
        String value = Objects.toString(var.getValue(), "");
        for (Map.Entry<String, String> known : env.entrySet()) {
          value = value.replace("$(" + known.getKey() + ")", known.getValue());
        }
        env.put(var.getName(), value);
      }
    }

    serviceLinks().forEach(env::putIfAbsent);
    return env;
  }

  /**
   * A partitioned owner: no more replicas than its state topic has partitions, and a rollout that
   * starts a new owner before it stops an old one, so the owners never drop below the current ones.
   */
  private void owner(Deployment deployment, Owner owner) {
    String name = name(deployment);
    owners.put(deployment.getMetadata().getName(), owner);
    String runs = name + ": runs partitioned owner '" + owner.role() + "'";
    Integer replicas = deployment.getSpec().getReplicas();
    int count = replicas == null ? 1 : replicas;
    if (count > owner.partitions()) {
      problems.add(
          runs
              + " with replicas "
              + count
              + ", more than the "
              + owner.partitions()
              + " partitions of "
              + owner.topic()
              + " (kafka.topics.partitions): the extra owners would serve nothing");
    }
    DeploymentStrategy strategy = deployment.getSpec().getStrategy();
    String type =
        strategy == null || strategy.getType() == null ? "RollingUpdate" : strategy.getType();
    if (!"RollingUpdate".equals(type)) {
      problems.add(
          runs
              + " with strategy "
              + type
              + ", which stops every owner before new ones start; needs RollingUpdate with"
              + " maxUnavailable 0");
      return;
    }
    IntOrString unavailable =
        strategy == null || strategy.getRollingUpdate() == null
            ? null
            : strategy.getRollingUpdate().getMaxUnavailable();
    if (!isZero(unavailable)) {
      problems.add(
          runs
              + " with a rolling update of maxUnavailable "
              + (unavailable == null ? "25% (the default)" : unavailable.getValue())
              + "; needs 0, so a rollout stops an owner only once a new pod is ready to take its"
              + " partitions");
    }
  }

  private static boolean isZero(IntOrString value) {
    if (value == null) {
      return false;
    }
    return value.getIntVal() != null
        ? value.getIntVal() == 0
        : value.getStrVal().equals("0") || value.getStrVal().equals("0%");
  }

  /** Hazelcast's Kubernetes discovery (API mode) reads the endpoints of the named Service. */
  private void clusterService(String name, Deployment deployment, JsonObject cluster) {
    JsonObject kubernetes = cluster.getJsonObject("kubernetes");
    if (!kubernetes.getBoolean("enabled") || !kubernetes.getString("serviceDns").isBlank()) {
      return;
    }
    String serviceName = kubernetes.getString("serviceName");
    Service service = services.get(serviceName);
    if (service == null) {
      problems.add(
          name
              + ": cluster.kubernetes.serviceName '"
              + serviceName
              + "' names no Service in the set");
      return;
    }
    if (!"None".equals(service.getSpec().getClusterIP())) {
      problems.add(name(service) + ": must be headless (clusterIP: None) for cluster discovery");
    }
    if (!Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses())) {
      problems.add(
          name(service)
              + ": must publish not-ready addresses: pods turn ready only after joining the"
              + " cluster");
    }
    if (service.getSpec().getPorts().stream()
        .noneMatch(p -> p.getPort() == cluster.getInteger("port").intValue())) {
      problems.add(
          name(service) + ": has no port " + cluster.getInteger("port") + " (cluster.port)");
    }
    Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    if (!labels.entrySet().containsAll(service.getSpec().getSelector().entrySet())) {
      problems.add(name(service) + ": does not select the pods of " + name);
    }
  }

  private void probe(
      String name, String which, Probe probe, Map<String, Integer> ports, int management) {
    if (probe == null || probe.getHttpGet() == null) {
      problems.add(name + ": has no HTTP " + which);
      return;
    }
    HTTPGetAction get = probe.getHttpGet();
    if (!PROBE_PATHS.contains(get.getPath())) {
      problems.add(
          name
              + ": "
              + which
              + " path "
              + get.getPath()
              + " is none of "
              + new TreeSet<>(PROBE_PATHS));
    }
    Integer port = portNumber(get.getPort(), ports);
    if (port == null || port != management) {
      problems.add(
          name
              + ": "
              + which
              + " port "
              + get.getPort().getValue()
              + " is not the management port "
              + management);
    }
  }

  private static Integer portNumber(IntOrString port, Map<String, Integer> named) {
    if (port == null) {
      return null;
    }
    return port.getIntVal() != null ? port.getIntVal() : named.get(port.getStrVal());
  }

  private static long preStopSleep(Container container) {
    if (container.getLifecycle() == null
        || container.getLifecycle().getPreStop() == null
        || container.getLifecycle().getPreStop().getExec() == null) {
      return 0;
    }
    List<String> command = container.getLifecycle().getPreStop().getExec().getCommand();
    return command.size() == 2 && "sleep".equals(command.get(0))
        ? Long.parseLong(command.get(1))
        : 0;
  }

  /** What a process with this configuration listens on, port to purpose. */
  private static Map<Integer, String> listeningPorts(JsonObject config) {
    Map<Integer, String> ports = new TreeMap<>();
    List<Object> roles = config.getJsonArray("roles").getList();
    ports.put(config.getJsonObject("management").getInteger("port"), "management.port");
    JsonObject cluster = config.getJsonObject("cluster");
    if (cluster.getBoolean("enabled")) {
      ports.put(cluster.getInteger("port"), "cluster.port");
      ports.put(cluster.getInteger("eventBusPort"), "cluster.eventBusPort");
    }
    JsonObject services = config.getJsonObject("services");
    if (roles.contains("gateway")) {
      ports.put(config.getJsonObject("gateway").getInteger("port"), "gateway.port");
      ports.put(config.getJsonObject("gateway").getInteger("grpcPort"), "gateway.grpcPort");
    }
    if (roles.contains("user-service")) {
      ports.put(services.getJsonObject("user").getInteger("grpcPort"), "services.user.grpcPort");
    }
    if (roles.contains("inventory-service")) {
      ports.put(
          services.getJsonObject("inventory").getInteger("grpcPort"),
          "services.inventory.grpcPort");
    }
    if (roles.contains("payment-service")
        && services.getJsonObject("paymentProvider").getBoolean("enabled")) {
      ports.put(
          services.getJsonObject("paymentProvider").getInteger("port"),
          "services.paymentProvider.port");
    }
    ports.remove(0);
    return ports;
  }

  /**
   * The variables a kubelet sets for the Services of the pod's namespace (Kubernetes'
   * pkg/kubelet/envvars): for each Service with a cluster IP, {@code <NAME>_SERVICE_HOST}, {@code
   * <NAME>_SERVICE_PORT} (its first port), {@code <NAME>_SERVICE_PORT_<PORT NAME>} for each named
   * port, and the Docker-link ones {@code <NAME>_PORT=tcp://ip:port} and {@code
   * <NAME>_PORT_<port>_TCP} with {@code _PROTO}, {@code _PORT} and {@code _ADDR}; NAME is the
   * Service's name upper-cased with '-' as '_'. The API server's own Service ({@code kubernetes})
   * is always there. Cluster IPs are made up, one per Service.
   */
  private Map<String, String> serviceLinks() {
    Map<String, String> links = new TreeMap<>();
    links.putAll(links("kubernetes", "10.96.0.1", List.of(new ServicePortEntry("https", 443))));
    int host = 10;
    for (Service service : new TreeMap<>(services).values()) {
      if ("None".equals(service.getSpec().getClusterIP())) {
        continue; // headless: no cluster IP, no links
      }
      List<ServicePortEntry> ports = new ArrayList<>();
      for (ServicePort port : service.getSpec().getPorts()) {
        ports.add(new ServicePortEntry(port.getName(), port.getPort()));
      }
      links.putAll(links(service.getMetadata().getName(), "10.96.0." + host++, ports));
    }
    return links;
  }

  private record ServicePortEntry(String name, int port) {}

  private static Map<String, String> links(
      String service, String ip, List<ServicePortEntry> ports) {
    String prefix = service.toUpperCase(Locale.ROOT).replace('-', '_');
    Map<String, String> links = new LinkedHashMap<>();
    if (ports.isEmpty()) {
      return links;
    }
    links.put(prefix + "_SERVICE_HOST", ip);
    links.put(prefix + "_SERVICE_PORT", Integer.toString(ports.get(0).port()));
    links.put(prefix + "_PORT", "tcp://" + ip + ":" + ports.get(0).port());
    for (ServicePortEntry port : ports) {
      if (port.name() != null && !port.name().isEmpty()) {
        links.put(
            prefix + "_SERVICE_PORT_" + port.name().toUpperCase(Locale.ROOT).replace('-', '_'),
            Integer.toString(port.port()));
      }
      String link = prefix + "_PORT_" + port.port() + "_TCP";
      links.put(link, "tcp://" + ip + ":" + port.port());
      links.put(link + "_PROTO", "tcp");
      links.put(link + "_PORT", Integer.toString(port.port()));
      links.put(link + "_ADDR", ip);
    }
    return links;
  }

  /**
   * A {@code courier-tls-<role>} Secret as cert-manager fills it (tls.crt, tls.key, ca.crt), issued
   * for the role by a CA made for this check; other Secrets are the operator's and stay empty.
   */
  private void tlsSecret(String name, Path dir) throws IOException {
    if (!name.startsWith("courier-tls-")) {
      return;
    }
    // One certificate per role for the whole run, kept as text: the same files give the same
    // cached configuration in every test.
    Map<String, String> files = TLS_FILES.get(name);
    if (files == null) {
      try {
        if (authority == null) {
          authority = DevCertificates.authority("manifest check CA", Duration.ofDays(1));
        }
        Path issued = Files.createTempDirectory(scratch, "issued");
        DevCertificates.Issued role =
            authority.issue(name.substring("courier-tls-".length()), Duration.ofHours(1), issued);
        files =
            Map.of(
                "tls.crt", Files.readString(role.certificate()),
                "tls.key", Files.readString(role.key()),
                "ca.crt", Files.readString(authority.writeCertificate(issued.resolve("ca.pem"))));
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot issue a test certificate for " + name, e);
      }
      TLS_FILES.put(name, files);
    }
    Files.createDirectories(dir);
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue());
    }
  }

  /** Lays the pod's ConfigMap mounts out under a scratch directory standing for the workdir. */
  private Path podFiles(
      Container container, Map<String, Volume> volumes, Map<String, ConfigMap> configMaps)
      throws IOException {
    Path root = Files.createTempDirectory(scratch, "pod");
    for (VolumeMount mount : container.getVolumeMounts()) {
      Volume volume = volumes.get(mount.getName());
      if (volume == null) {
        problems.add(container.getName() + ": volumeMount " + mount.getName() + " has no volume");
        continue;
      }
      if (volume.getSecret() != null && mount.getMountPath().startsWith(WORKDIR + "/")) {
        tlsSecret(
            volume.getSecret().getSecretName(),
            root.resolve(mount.getMountPath().substring(WORKDIR.length() + 1)));
        continue;
      }
      if (volume.getConfigMap() == null || !mount.getMountPath().startsWith(WORKDIR + "/")) {
        continue;
      }
      ConfigMap map = configMaps.get(volume.getConfigMap().getName());
      if (map == null) {
        continue;
      }
      Path dir = root.resolve(mount.getMountPath().substring(WORKDIR.length() + 1));
      List<KeyToPath> items = volume.getConfigMap().getItems();
      if (items.isEmpty()) {
        map.getData()
            .forEach(
                (key, value) -> {
                  KeyToPath item = new KeyToPath();
                  item.setKey(key);
                  item.setPath(key);
                  items.add(item);
                });
      }
      for (KeyToPath item : items) {
        String data = map.getData().get(item.getKey());
        if (data != null) {
          Path file = dir.resolve(item.getPath());
          Files.createDirectories(file.getParent());
          Files.writeString(file, data);
        }
      }
    }
    return root;
  }

  /**
   * {@code java -jar courier.jar config} in the pod's working directory with the pod's environment:
   * exactly what {@code courier run} would read at start-up.
   */
  private JsonObject effectiveConfig(String name, Map<String, String> env, Path root)
      throws Exception {
    StringBuilder key = new StringBuilder(new TreeMap<>(env).toString());
    try (var files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        key.append(root.relativize(file)).append('=').append(Files.readString(file).hashCode());
      }
    }
    Object result =
        CONFIGS.computeIfAbsent(
            key.toString(),
            k -> {
              try {
                return runConfig(env, root);
              } catch (Exception e) {
                return e.toString();
              }
            });
    if (result instanceof JsonObject config) {
      return config;
    }
    problems.add(name + ": its configuration does not load: " + result);
    return null;
  }

  private Object runConfig(Map<String, String> env, Path root) throws Exception {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-jar",
            jar.toAbsolutePath().toString(),
            "config");
    ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("COURIER_") || k.startsWith("OTEL_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[] out = process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return "courier config did not finish";
    }
    if (process.exitValue() != 0) {
      return err.strip().replace('\n', ' ');
    }
    return new JsonObject(new String(out, StandardCharsets.UTF_8));
  }

  private void service(Service service, Collection<Deployment> deployments) {
    String name = name(service);
    List<Deployment> selected = selects(name, service.getSpec().getSelector(), deployments);
    for (ServicePort port : service.getSpec().getPorts()) {
      IntOrString target = port.getTargetPort();
      for (Deployment deployment : selected) {
        boolean found = false;
        for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
          for (ContainerPort declared : container.getPorts()) {
            found |=
                target.getStrVal() != null
                    ? target.getStrVal().equals(declared.getName())
                    : target.getIntVal().equals(declared.getContainerPort());
          }
        }
        if (!found) {
          problems.add(
              name
                  + ": port "
                  + port.getName()
                  + " targets "
                  + target.getValue()
                  + ", which "
                  + name(deployment)
                  + " does not declare");
        }
      }
    }
  }

  private List<Deployment> selects(
      String name, Map<String, String> selector, Collection<Deployment> deployments) {
    List<Deployment> selected = new ArrayList<>();
    if (selector == null || selector.isEmpty()) {
      problems.add(name + ": has no selector");
      return selected;
    }
    for (Deployment deployment : deployments) {
      Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
      if (labels.entrySet().containsAll(selector.entrySet())) {
        selected.add(deployment);
      }
    }
    if (selected.isEmpty()) {
      problems.add(name + ": selector " + selector + " selects no Deployment's pods");
    }
    return selected;
  }

  private void autoscaler(HorizontalPodAutoscaler hpa, Map<String, Deployment> deployments) {
    var target = hpa.getSpec().getScaleTargetRef();
    Deployment deployment = deployments.get(target.getName());
    if (!"Deployment".equals(target.getKind()) || deployment == null) {
      problems.add(
          name(hpa)
              + ": scales "
              + target.getKind()
              + " "
              + target.getName()
              + ", which is not in the set");
      return;
    }
    scalable(name(hpa), deployment, "maxReplicas", hpa.getSpec().getMaxReplicas());
  }

  /** An autoscaler of a partitioned owner goes no higher than its state topic's partitions. */
  private void scalable(String name, Deployment deployment, String field, int maxReplicas) {
    Owner owner = owners.get(deployment.getMetadata().getName());
    if (owner != null && maxReplicas > owner.partitions()) {
      problems.add(
          name
              + ": "
              + field
              + " "
              + maxReplicas
              + " is more than the "
              + owner.partitions()
              + " partitions of "
              + owner.topic()
              + " (kafka.topics.partitions) that the owners of "
              + name(deployment)
              + " share; the extra ones would serve nothing");
    }
  }

  private void networkPolicy(NetworkPolicy policy) {
    Map<String, String> selector = policy.getSpec().getPodSelector().getMatchLabels();
    for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
      boolean fromAnywhere = rule.getFrom() == null || rule.getFrom().isEmpty();
      if (fromAnywhere
          && (selector == null || !"gateway".equals(selector.get("app.kubernetes.io/component")))) {
        problems.add(
            name(policy)
                + ": lets pods "
                + selector
                + " be reachable from outside the namespace; only the gateway may be");
      }
    }
  }

  @SuppressWarnings("unchecked")
  private void custom(
      GenericKubernetesResource custom,
      Map<String, Deployment> deployments,
      List<HasMetadata> all) {
    String name = name(custom);
    Map<String, Object> spec = (Map<String, Object>) custom.getAdditionalProperties().get("spec");
    if (spec == null) {
      problems.add(name + ": has no spec");
      return;
    }
    Set<String> allowed = CUSTOM_KINDS.get(custom.getApiVersion() + "/" + custom.getKind());
    for (String key : spec.keySet()) {
      if (!allowed.contains(key)) {
        problems.add(name + ": unknown field spec." + key);
      }
    }
    if (!"ScaledObject".equals(custom.getKind())) {
      return; // the monitoring kinds: MonitoringCheck, once per set
    }
    Map<String, Object> target = (Map<String, Object>) spec.get("scaleTargetRef");
    Deployment deployment =
        target == null ? null : deployments.get(String.valueOf(target.get("name")));
    if (deployment == null) {
      problems.add(name + ": scaleTargetRef names no Deployment in the set");
      return;
    }
    Object max = spec.get("maxReplicaCount");
    scalable(
        name,
        deployment,
        "maxReplicaCount",
        max instanceof Number n ? n.intValue() : KEDA_DEFAULT_MAX_REPLICAS);
    for (HasMetadata other : all) {
      if (other instanceof HorizontalPodAutoscaler hpa
          && hpa.getSpec()
              .getScaleTargetRef()
              .getName()
              .equals(deployment.getMetadata().getName())) {
        problems.add(name + ": " + name(hpa) + " scales the same Deployment; KEDA needs it gone");
      }
    }
    String component =
        deployment
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getLabels()
            .get("app.kubernetes.io/component");
    for (Object each : (List<Object>) spec.getOrDefault("triggers", List.of())) {
      Map<String, Object> trigger = (Map<String, Object>) each;
      Map<String, Object> metadata =
          (Map<String, Object>) trigger.getOrDefault("metadata", Map.of());
      if (!"kafka".equals(trigger.get("type"))) {
        continue;
      }
      for (String key : metadata.keySet()) {
        if (!KAFKA_TRIGGER_KEYS.contains(key)) {
          problems.add(name + ": unknown kafka trigger field " + key);
        }
      }
      Object group = metadata.get("consumerGroup");
      if (!Objects.equals(group, GROUP_OF_ROLE.get(component))) {
        problems.add(
            name
                + ": watches consumer group "
                + group
                + ", but "
                + component
                + " consumes as "
                + GROUP_OF_ROLE.get(component));
      }
      Set<String> topics = Set.copyOf(Topics.ALL);
      if (!topics.contains(String.valueOf(metadata.get("topic")))) {
        problems.add(name + ": topic " + metadata.get("topic") + " is not a topic of the flow");
      }
    }
  }

  /** Walks the object model; any field the model did not know ends up in additionalProperties. */
  @SuppressWarnings("unchecked")
  private void unknownFields(Object node, String where, boolean patch) {
    if (node == null) {
      return;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, where + "[" + i++ + "]", patch);
      }
      return;
    }
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        unknownFields(entry.getValue(), where + "." + entry.getKey(), patch);
      }
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : node.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class
          || java.lang.reflect.Modifier.isStatic(getter.getModifiers())) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(node);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        Set<Object> unknown = new TreeSet<>(((Map<Object, Object>) value).keySet());
        if (patch) {
          unknown.remove("$patch");
        }
        if (!unknown.isEmpty()) {
          problems.add(where + ": unknown field(s) " + unknown);
        }
      } else {
        String field =
            Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
        unknownFields(value, where + "." + field, patch);
      }
    }
  }

  private static String name(HasMetadata object) {
    return object.getKind()
        + " "
        + (object.getMetadata() == null ? "?" : object.getMetadata().getName());
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = String.valueOf(root.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
