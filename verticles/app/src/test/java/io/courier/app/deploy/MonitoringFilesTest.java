package io.courier.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * deploy/monitoring read as an operator's Prometheus and Grafana would use it: alerts per namespace
 * and job with a runbook link, a dashboard scoped by its variables at Grafana's rate interval, each
 * panel's unit matching what it plots. (That every alert fires is promtool's test in CI; that every
 * metric exists is OrderFlowIT's.)
 */
@DisplayName("The monitoring files")
class MonitoringFilesTest {

  private static final Path MONITORING = Path.of("../../deploy/monitoring");
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:courier|vertx|jvm|process|kafka)_[a-z0-9_]+)(\\{[^}]*\\})?");
  private static final String RUNBOOKS =
      "https://github.com/courier-platform/courier/blob/main/docs/operations.md#";

  @Test
  @DisplayName("alert per namespace and job, each with a runbook_url to a runbook that exists")
  @SuppressWarnings("unchecked")
  void shouldScopeAlertsAndLinkRunbooks() throws Exception {
    Map<String, Object> file =
        Serialization.unmarshal(
            Files.readString(MONITORING.resolve("courier-alerts.yaml")), Map.class);
    String operations = Files.readString(Path.of("../../docs/operations.md"));
    List<String> alerts = new ArrayList<>();
    for (Object group : (List<Object>) file.get("groups")) {
      for (Object each : (List<Object>) ((Map<String, Object>) group).get("rules")) {
        Map<String, Object> rule = (Map<String, Object>) each;
        String alert = String.valueOf(rule.get("alert"));
        alerts.add(alert);
        String expr = String.valueOf(rule.get("expr")).replaceAll("\\s+", " ");
        assertThat(expr.startsWith("up{job=\"courier\"}") || expr.contains("by (namespace, job"))
            .as(alert + " aggregates by namespace and job: " + expr)
            .isTrue();
        Map<String, String> annotations = (Map<String, String>) rule.get("annotations");
        assertThat(annotations).as(alert).containsKeys("summary", "description", "runbook_url");
        assertThat(annotations)
            .as(alert + " (runbook_url replaces runbook)")
            .doesNotContainKey("runbook");
        String url = annotations.get("runbook_url");
        assertThat(url).as(alert).startsWith(RUNBOOKS);
        assertThat(anchors(operations)).as(alert).contains(url.substring(RUNBOOKS.length()));
        assertThat(url).as(alert).endsWith(alert.toLowerCase(java.util.Locale.ROOT));
      }
    }
    assertThat(alerts)
        .contains(
            "CourierInstanceDown",
            "CourierRateLimiterFailingOpen",
            "CourierDiscoveryDegraded",
            "CourierPublisherOverloaded");
  }

  @Test
  @DisplayName(
      "plot every series scoped by the namespace and job variables, over $__rate_interval, in the"
          + " unit of what it plots")
  void shouldScopeDashboardQueries() throws Exception {
    JsonObject dashboard =
        new JsonObject(Files.readString(MONITORING.resolve("courier-dashboard.json")));
    List<String> variables =
        dashboard.getJsonObject("templating").getJsonArray("list").stream()
            .map(v -> ((JsonObject) v).getString("name"))
            .toList();
    assertThat(variables).contains("datasource", "namespace", "job");
    int queries = 0;
    for (Object each : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) each;
      String unit = panel.getJsonObject("fieldConfig").getJsonObject("defaults").getString("unit");
      JsonArray targets = panel.getJsonArray("targets");
      for (Object target : targets) {
        String expr = ((JsonObject) target).getString("expr");
        queries++;
        Matcher metric = METRIC.matcher(expr);
        while (metric.find()) {
          assertThat(metric.group(2))
              .as(panel.getString("title") + ": " + metric.group(1) + " is scoped")
              .isNotNull()
              .contains("namespace=~\"$namespace\"", "job=~\"$job\"");
        }
        assertThat(expr)
            .as(panel.getString("title") + ": no fixed rate window")
            .doesNotContainPattern("rate\\([^\\[]*\\[\\d+[smh]\\]");
        if (expr.contains("_seconds_sum")) {
          assertThat(unit)
              .as(panel.getString("title") + ": seconds per second plotted as a share")
              .isEqualTo("percentunit");
        }
        if (expr.contains("_bytes")) {
          assertThat(unit).as(panel.getString("title")).isEqualTo("bytes");
        }
      }
    }
    assertThat(queries).isGreaterThan(15);
  }

  /** The anchors GitHub makes of docs/operations.md's headings. */
  private static List<String> anchors(String markdown) {
    return markdown
        .lines()
        .filter(l -> l.startsWith("#"))
        .map(
            l ->
                l.replaceFirst("^#+ ", "")
                    .toLowerCase(java.util.Locale.ROOT)
                    .replaceAll("[^a-z0-9 -]", "")
                    .replace(' ', '-'))
        .toList();
  }
}
