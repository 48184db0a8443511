package io.courier.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/k8s checked offline: each kustomization rendered with {@code kubectl kustomize},
 * unmarshalled into Kubernetes' object model and cross-checked against itself and against the
 * configuration each pod would load ({@link ManifestCheck}). Broken copies prove each check bites.
 */
@DisplayName("The Kubernetes manifests")
class KubernetesManifestsIT {

  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));

  @TempDir Path scratch;

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "base",
        "overlays/dev",
        "overlays/prod",
        "overlays/keda",
        "overlays/prod-monitoring"
      })
  @DisplayName("render to valid, consistent objects")
  void shouldRenderValidObjects(String kustomization) throws Exception {
    String yaml = ManifestCheck.render(ROOT.resolve("deploy/k8s").resolve(kustomization));
    ManifestCheck check = new ManifestCheck(JAR, scratch);

    List<String> problems = check.check(yaml);

    assertThat(problems).isEmpty();
    assertThat(yaml).contains("kind: Deployment", "kind: Service", "kind: ConfigMap");
    if (kustomization.endsWith("monitoring")) {
      assertThat(yaml).contains("kind: PodMonitor", "kind: PrometheusRule", "grafana_dashboard");
    }
  }

  @Test
  @DisplayName("hold no unknown field, kind or apiVersion in any file, patches included")
  void shouldHaveNoUnknownFieldsInAnyFile() throws Exception {
    ManifestCheck check = new ManifestCheck(JAR, scratch);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(ROOT.resolve("deploy/k8s"))) {
      files =
          walk.filter(p -> p.toString().endsWith(".yaml"))
              .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
              .sorted()
              .toList();
    }
    int objects = 0;
    for (Path file : files) {
      boolean patch = !file.startsWith(ROOT.resolve("deploy/k8s/base")) || isPatch(file);
      objects +=
          check.parse(ROOT.relativize(file).toString(), Files.readString(file), patch).size();
    }

    assertThat(check.problems()).isEmpty();
    assertThat(files).hasSizeGreaterThan(15);
    assertThat(objects).isGreaterThanOrEqualTo(files.size());
  }

  static Stream<Arguments> breakages() {
    return Stream.of(
        Arguments.of(
            "an unknown field",
            "base/pod-defaults.yaml",
            "periodSeconds: 5",
            "periodSecond: 5",
            "unknown field(s) [periodSecond]"),
        Arguments.of(
            "an unknown apiVersion",
            "base/autoscalers.yaml",
            "apiVersion: autoscaling/v2",
            "apiVersion: autoscaling/v9",
            "unknown kind or apiVersion autoscaling/v9"),
        Arguments.of(
            "a Service selecting no pods",
            "base/services.yaml",
            "    app.kubernetes.io/component: user-service\n  ports:",
            "    app.kubernetes.io/component: users-service\n  ports:",
            "selects no Deployment's pods"),
        Arguments.of(
            "a Service port no pod declares",
            "base/services.yaml",
            "targetPort: http",
            "targetPort: https",
            "targets https"),
        Arguments.of(
            "a probe on a path the app does not serve",
            "base/pod-defaults.yaml",
            "path: /health/ready",
            "path: /healthz",
            "readinessProbe path /healthz"),
        Arguments.of(
            "a mounted ConfigMap key that does not exist",
            "base/pod-defaults.yaml",
            "- key: users.json",
            "- key: user.json",
            "mounts key 'user.json'"),
        Arguments.of(
            "a container port the app does not listen on",
            "base/gateway.yaml",
            "containerPort: 8080",
            "containerPort: 8081",
            "container port 8081 (http)"),
        Arguments.of(
            "a port the app listens on left undeclared",
            "base/user-service.yaml",
            "containerPort: 9091",
            "containerPort: 9191",
            "services.user.grpcPort 9091"),
        Arguments.of(
            "a configuration key that does not exist",
            "base/kustomization.yaml",
            "      - COURIER_DISCOVERY_CONSUL_PORT=8500",
            "      - COURIER_DISCOVERY_CONSUL_PORT=8500\n      - COURIER_GATEWAY_PORTT=1",
            "COURIER_GATEWAY_PORTT"),
        Arguments.of(
            "more owners than partitions",
            "base/order-service.yaml",
            "replicas: 3",
            "replicas: 7",
            "runs partitioned owner 'order-service' with replicas 7, more than the 6 partitions"
                + " of courier.orders"),
        Arguments.of(
            "a rollout that drops an owner",
            "base/inventory-service.yaml",
            "maxUnavailable: 0",
            "maxUnavailable: 1",
            "runs partitioned owner 'inventory-service' with a rolling update of maxUnavailable"
                + " 1; needs 0"),
        Arguments.of(
            "owners replaced all at once",
            "base/order-service.yaml",
            "    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 1\n"
                + "      maxUnavailable: 0\n",
            "    type: Recreate\n",
            "runs partitioned owner 'order-service' with strategy Recreate"),
        Arguments.of(
            "owners without a disruption budget",
            "base/disruption-budgets.yaml",
            "app.kubernetes.io/component: inventory-service",
            "app.kubernetes.io/component: gateway",
            "Deployment courier-inventory-service: runs partitioned owner 'inventory-service' but"
                + " no PodDisruptionBudget selects its pods"),
        Arguments.of(
            "the mutual-TLS Secret mounted where the configuration does not look",
            "base/gateway.yaml",
            "mountPath: /opt/courier/tls",
            "mountPath: /etc/courier/tls",
            "security.mtls.certFile"),
        Arguments.of(
            "service links left on",
            "base/pod-defaults.yaml",
            "enableServiceLinks: false",
            "enableServiceLinks: true",
            "needs enableServiceLinks: false"),
        Arguments.of(
            "a writable root filesystem",
            "base/pod-defaults.yaml",
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
            "needs readOnlyRootFilesystem: true"),
        Arguments.of(
            "a grace period shorter than the drain",
            "base/pod-defaults.yaml",
            "terminationGracePeriodSeconds: 35",
            "terminationGracePeriodSeconds: 20",
            "terminationGracePeriodSeconds 20 is shorter"),
        Arguments.of(
            "every pod reachable from outside",
            "base/network-policies.yaml",
            "    - from:\n        - podSelector: {}",
            "    - ports:\n        - port: 5701",
            "be reachable from outside the namespace"),
        Arguments.of(
            "a cluster Service hiding pods that are not ready yet",
            "base/services.yaml",
            "publishNotReadyAddresses: true",
            "publishNotReadyAddresses: false",
            "must publish not-ready addresses"),
        Arguments.of(
            "a contained Secret",
            "base/serviceaccount.yaml",
            "automountServiceAccountToken: true",
            "automountServiceAccountToken: true\n---\napiVersion: v1\nkind: Secret\nmetadata:\n"
                + "  name: courier-secrets\nstringData:\n  COURIER_X: y",
            "a Secret is contained"),
        Arguments.of(
            "a KEDA trigger on the wrong consumer group",
            "overlays/keda/scaled-objects.yaml",
            "consumerGroup: payment-service",
            "consumerGroup: payments",
            "watches consumer group payments"),
        Arguments.of(
            "a PodMonitor on a port the pods do not declare",
            "components/monitoring/pod-monitor.yaml",
            "port: management",
            "port: metrics",
            "names port metrics, which courier-gateway does not declare"),
        Arguments.of(
            "a PodMonitor whose job label is not the one the alerts select",
            "components/monitoring/pod-monitor.yaml",
            "jobLabel: app.kubernetes.io/name",
            "jobLabel: app.kubernetes.io/component",
            "the alerts select job=\"courier\""),
        Arguments.of(
            "alert rules that drifted from deploy/monitoring/courier-alerts.yaml",
            "components/monitoring/prometheus-rule.yaml",
            "courier_kafka_consumer_lag) > 1000",
            "courier_kafka_consumer_lag) > 2000",
            "its groups differ from deploy/monitoring/courier-alerts.yaml"),
        Arguments.of(
            "a scrape the NetworkPolicies block",
            "components/monitoring/network-policy.yaml",
            "port: management",
            "port: http",
            "no NetworkPolicy lets another namespace scrape port management"),
        Arguments.of(
            "an autoscaler above the partition count",
            "base/autoscalers.yaml",
            "    name: courier-order-service\n  minReplicas: 3\n  maxReplicas: 6\n",
            "    name: courier-order-service\n  minReplicas: 3\n  maxReplicas: 7\n",
            "HorizontalPodAutoscaler courier-order-service: maxReplicas 7 is more than the 6"
                + " partitions of courier.orders"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("breakages")
  @DisplayName("are refused when broken by")
  void shouldRefuseBrokenCopy(String what, String file, String old, String broken, String expected)
      throws Exception {
    Path copy = copyOfDeployAndConf();
    Path target = copy.resolve("deploy/k8s").resolve(file);
    String text = Files.readString(target);
    assertThat(text).as("the text to break in " + file).contains(old);
    Files.writeString(target, text.replaceFirst(java.util.regex.Pattern.quote(old), broken));
    String overlay =
        file.startsWith("overlays/keda")
            ? "overlays/keda"
            : file.startsWith("components/monitoring") ? "overlays/prod-monitoring" : "base";

    ManifestCheck check = new ManifestCheck(JAR, scratch);
    List<String> problems = new ArrayList<>();
    String yaml = ManifestCheck.render(copy.resolve("deploy/k8s").resolve(overlay));
    problems.addAll(check.check(yaml));
    if (!file.endsWith("kustomization.yaml")) {
      check.parse(file, Files.readString(target), !file.startsWith("base"));
      problems.addAll(check.problems());
    }

    assertThat(problems).as(what).anySatisfy(p -> assertThat(p).contains(expected));
  }

  private static boolean isPatch(Path file) {
    return file.getFileName().toString().equals("pod-defaults.yaml");
  }

  private Path copyOfDeployAndConf() throws IOException {
    Path copy = Files.createTempDirectory(scratch, "repo");
    for (String dir : List.of("deploy/k8s", "deploy/monitoring", "conf")) {
      Path from = ROOT.resolve(dir);
      try (Stream<Path> walk = Files.walk(from)) {
        for (Path source : walk.toList()) {
          Path destination = copy.resolve(dir).resolve(from.relativize(source).toString());
          if (Files.isDirectory(source)) {
            Files.createDirectories(destination);
          } else {
            Files.copy(source, destination);
          }
        }
      }
    }
    return copy;
  }
}
