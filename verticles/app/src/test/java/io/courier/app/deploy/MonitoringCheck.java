package io.courier.app.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The monitoring component (deploy/k8s/components/monitoring) against the rest of a rendered set:
 * the PodMonitor selects every Courier Deployment's pods on a port they declare, with the job label
 * the alerts select on; the PrometheusRule holds exactly the groups of
 * deploy/monitoring/courier-alerts.yaml; the dashboard ConfigMap carries the Grafana sidecar's
 * label and deploy/monitoring/courier-dashboard.json as it is; a NetworkPolicy admits another
 * namespace to the scraped port. Problems are added to the list it is given.
 */
final class MonitoringCheck {

  /** The job label value the alert rules select on ({@code up{job="courier"}}). */
  static final String JOB = "courier";

  private final Path monitoring;
  private final List<String> problems;

  /**
   * @param monitoring deploy/monitoring, whose alert rules and dashboard are the sources
   */
  MonitoringCheck(Path monitoring, List<String> problems) {
    this.monitoring = monitoring;
    this.problems = problems;
  }

  /** Checks the monitoring objects of {@code all}; nothing when it holds no PodMonitor. */
  @SuppressWarnings("unchecked")
  void check(List<HasMetadata> all, Map<String, Deployment> deployments) throws IOException {
    List<GenericKubernetesResource> monitors = ofKind(all, "PodMonitor");
    if (monitors.isEmpty()) {
      return;
    }
    for (GenericKubernetesResource monitor : monitors) {
      podMonitor(monitor, deployments, all);
    }
    List<GenericKubernetesResource> rules = ofKind(all, "PrometheusRule");
    Map<String, Object> source =
        Serialization.unmarshal(
            Files.readString(monitoring.resolve("courier-alerts.yaml")), Map.class);
    if (rules.size() != 1) {
      problems.add("the PodMonitor comes with " + rules.size() + " PrometheusRules; needs 1");
    } else {
      Map<String, Object> spec =
          (Map<String, Object>) rules.get(0).getAdditionalProperties().get("spec");
      if (!Objects.equals(spec == null ? null : spec.get("groups"), source.get("groups"))) {
        problems.add(
            "PrometheusRule "
                + rules.get(0).getMetadata().getName()
                + ": its groups differ from deploy/monitoring/courier-alerts.yaml; run"
                + " deploy/monitoring/render.sh");
      }
    }
    String dashboard = Files.readString(monitoring.resolve("courier-dashboard.json"));
    boolean shipped = false;
    for (HasMetadata object : all) {
      if (object instanceof ConfigMap map
          && map.getData() != null
          && map.getData().containsKey("courier-dashboard.json")) {
        shipped = true;
        Map<String, String> labels = map.getMetadata().getLabels();
        if (labels == null || !"1".equals(labels.get("grafana_dashboard"))) {
          problems.add(
              "ConfigMap "
                  + map.getMetadata().getName()
                  + ": lacks the label grafana_dashboard: \"1\" the Grafana sidecar looks for");
        }
        if (!dashboard.equals(map.getData().get("courier-dashboard.json"))) {
          problems.add(
              "ConfigMap "
                  + map.getMetadata().getName()
                  + ": differs from deploy/monitoring/courier-dashboard.json");
        }
      }
    }
    if (!shipped) {
      problems.add("the PodMonitor comes without the dashboard's ConfigMap");
    }
  }

  @SuppressWarnings("unchecked")
  private void podMonitor(
      GenericKubernetesResource monitor,
      Map<String, Deployment> deployments,
      List<HasMetadata> all) {
    String name = "PodMonitor " + monitor.getMetadata().getName();
    Map<String, Object> spec = (Map<String, Object>) monitor.getAdditionalProperties().get("spec");
    Map<String, String> selector =
        (Map<String, String>)
            ((Map<String, Object>) spec.getOrDefault("selector", Map.of()))
                .getOrDefault("matchLabels", Map.of());
    String jobLabel = String.valueOf(spec.get("jobLabel"));
    List<Map<String, Object>> endpoints =
        (List<Map<String, Object>>) spec.getOrDefault("podMetricsEndpoints", List.of());
    if (endpoints.isEmpty()) {
      problems.add(name + ": has no podMetricsEndpoints");
    }
    for (Deployment deployment : deployments.values()) {
      Map<String, String> pod = deployment.getSpec().getTemplate().getMetadata().getLabels();
      boolean courier =
          "courier".equals(deployment.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
      boolean selected = pod.entrySet().containsAll(selector.entrySet());
      String deploymentName = deployment.getMetadata().getName();
      if (courier && !selected) {
        problems.add(name + ": selects no pod of Deployment " + deploymentName);
        continue;
      }
      if (!selected) {
        continue;
      }
      if (!JOB.equals(pod.get(jobLabel))) {
        problems.add(
            name
                + ": jobLabel "
                + jobLabel
                + " gives job="
                + pod.get(jobLabel)
                + " on "
                + deploymentName
                + "'s pods; the alerts select job=\""
                + JOB
                + "\"");
      }
      for (Map<String, Object> endpoint : endpoints) {
        String port = String.valueOf(endpoint.get("port"));
        if (!"/metrics".equals(endpoint.get("path"))) {
          problems.add(
              name + ": scrapes path " + endpoint.get("path") + "; Courier serves /metrics");
        }
        ContainerPort declared = null;
        for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
          for (ContainerPort each : container.getPorts()) {
            if (port.equals(each.getName())) {
              declared = each;
            }
          }
        }
        if (declared == null) {
          problems.add(
              name + ": names port " + port + ", which " + deploymentName + " does not declare");
        } else if (!admitsScrape(all, pod, declared)) {
          problems.add(
              name
                  + ": no NetworkPolicy lets another namespace scrape port "
                  + port
                  + " of "
                  + deploymentName);
        }
      }
    }
  }

  /** Whether some NetworkPolicy on the pod admits a namespace selector to {@code port}. */
  private static boolean admitsScrape(
      List<HasMetadata> all, Map<String, String> podLabels, ContainerPort port) {
    for (HasMetadata object : all) {
      if (!(object instanceof NetworkPolicy policy)) {
        continue;
      }
      Map<String, String> selector = policy.getSpec().getPodSelector().getMatchLabels();
      if (selector != null && !podLabels.entrySet().containsAll(selector.entrySet())) {
        continue;
      }
      for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
        boolean fromNamespace =
            rule.getFrom() != null
                && rule.getFrom().stream().anyMatch(MonitoringCheck::namespacePeer);
        boolean onPort =
            rule.getPorts() == null
                || rule.getPorts().isEmpty()
                || rule.getPorts().stream().anyMatch(p -> samePort(p, port));
        if (fromNamespace && onPort) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean namespacePeer(NetworkPolicyPeer peer) {
    return peer.getNamespaceSelector() != null;
  }

  private static boolean samePort(NetworkPolicyPort rule, ContainerPort port) {
    IntOrString value = rule.getPort();
    return value == null
        || Objects.equals(value.getStrVal(), port.getName())
        || Objects.equals(value.getIntVal(), port.getContainerPort());
  }

  private static List<GenericKubernetesResource> ofKind(List<HasMetadata> all, String kind) {
    return all.stream()
        .filter(o -> o instanceof GenericKubernetesResource && kind.equals(o.getKind()))
        .map(GenericKubernetesResource.class::cast)
        .toList();
  }
}
