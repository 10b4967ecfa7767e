package deploy;

import static deploy.Manifests.at;
import static deploy.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The monitoring component, deploy/monitoring, against the service: its alerts and its dashboard
 * ask only metrics the service exports (read from the sources that register them), the dashboard
 * shows each of them, every alert has a line in the operations guide, and the PodMonitor scrapes
 * the port the metrics answer on.
 */
class MonitoringTest {

  private static final Set<String> PROMQL_WORDS =
      Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring");

  private static List<Map<String, Object>> objects;

  @BeforeAll
  static void render() {
    objects = Manifests.renderWithMonitoring();
  }

  @Test
  void theFilesRenderAsKubectlRendersThem() {
    var kubectl = Manifests.kubectl();
    assumeTrue(kubectl.isPresent(), "kubectl is not installed: the files alone were read");
    assertThat(Manifests.renderWithMonitoringFromFiles())
        .containsExactlyInAnyOrderElementsOf(Manifests.renderWithMonitoringWith(kubectl.get()));
  }

  @Test
  void everyMetricTheAlertsAndTheDashboardAskIsOneTheServiceExports() {
    var exported =
        ServiceFacts.exportedMetrics().values().stream()
            .flatMap(Set::stream)
            .collect(Collectors.toSet());
    var asked = new TreeSet<String>();
    alerts().forEach(rule -> asked.addAll(metricsIn((String) rule.get("expr"))));
    dashboardQueries().forEach(query -> asked.addAll(metricsIn(query)));
    assertThat(asked).isNotEmpty();
    assertThat(exported).as("metrics the service exports").containsAll(asked);
  }

  @Test
  void theDashboardShowsEveryMetricTheServiceExports() {
    var shown = new TreeSet<String>();
    dashboardQueries().forEach(query -> shown.addAll(metricsIn(query)));
    for (var metric : ServiceFacts.exportedMetrics().entrySet()) {
      assertThat(metric.getValue()).as(metric.getKey()).containsAnyElementsOf(shown);
    }
  }

  @Test
  void theAlertsWatchWhatAnOperatorOfThisServiceWatches() {
    var asked = new TreeSet<String>();
    alerts().forEach(rule -> asked.addAll(metricsIn((String) rule.get("expr"))));
    assertThat(asked)
        .contains(
            "status_stream_open_streams",
            "status_stream_delivery_lag_seconds_bucket",
            "status_stream_listener_reconnects_total",
            "status_stream_listener_outage_seconds",
            "status_stream_slow_client_disconnects_total",
            "status_stream_delivery_failures_total",
            "status_stream_limit_refusals_total");
  }

  @Test
  void theOperationsGuideListsEveryMetricTheServiceExports() {
    assertThat(ServiceFacts.documentedMetrics())
        .containsExactlyInAnyOrderElementsOf(ServiceFacts.exportedMetrics().keySet());
  }

  @Test
  void everyAlertHasASeverityWordsForTheOperatorAndALineInTheOperationsGuide() {
    var names = new LinkedHashSet<String>();
    for (var rule : alerts()) {
      var name = (String) rule.get("alert");
      names.add(name);
      assertThat((String) at(rule, "labels", "severity")).as(name).isIn("critical", "warning");
      assertThat((String) at(rule, "annotations", "summary")).as(name).isNotBlank();
      assertThat((String) at(rule, "annotations", "description")).as(name).isNotBlank();
    }
    assertThat(names).doesNotHaveDuplicates();
    assertThat(alertsInTheOperationsGuide()).containsExactlyInAnyOrderElementsOf(names);
  }

  @Test
  void thePodMonitorScrapesTheManagementPortOfTheDeploymentsPods() {
    var deployment = only(objects, "Deployment");
    Map<String, String> podLabels = at(deployment, "spec", "template", "metadata", "labels");
    var monitor = only(objects, "PodMonitor");
    Map<String, String> selector = at(monitor, "spec", "selector", "matchLabels");
    assertThat(selector).isNotEmpty();
    assertThat(podLabels).containsAllEntriesOf(selector);

    List<Map<String, Object>> endpoints = at(monitor, "spec", "podMetricsEndpoints");
    assertThat(endpoints).hasSize(1);
    assertThat(endpoints.get(0).get("path")).isEqualTo("/metrics");
    List<Map<String, Object>> ports =
        at(deployment, "spec", "template", "spec", "containers", 0, "ports");
    var port =
        ports.stream()
            .filter(p -> p.get("name").equals(endpoints.get(0).get("port")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no container port " + endpoints.get(0)));
    assertThat(port.get("containerPort"))
        .as("metrics answer on the management port only")
        .isEqualTo(Integer.parseInt(ServiceFacts.serverVariables().get("MANAGEMENT_PORT")));
  }

  @Test
  void theDashboardIsAConfigMapForGrafanasSidecarWithPanelsThatFit() {
    var configMap =
        objects.stream()
            .filter(o -> "ConfigMap".equals(o.get("kind")))
            .filter(o -> at(o, "metadata", "labels", "grafana_dashboard") != null)
            .findFirst()
            .orElseThrow();
    Map<String, String> data = at(configMap, "data");
    assertThat(data).hasSize(1);
    var dashboard = parse(data.values().iterator().next());
    assertThat(dashboard.getString("uid")).isNotBlank();
    var ids = new ArrayList<Integer>();
    for (var panel : dashboard.getJsonArray("panels").getValuesAs(JsonObject.class)) {
      ids.add(panel.getInt("id"));
      var grid = panel.getJsonObject("gridPos");
      assertThat(grid.getInt("x") + grid.getInt("w")).as(panel.getString("title")).isLessThan(25);
      // Every query names the data source variable, so the dashboard works on any Prometheus.
      assertThat(panel.getJsonObject("datasource").getString("uid")).isEqualTo("${datasource}");
      assertThat(panel.getJsonArray("targets")).isNotEmpty();
    }
    assertThat(ids).doesNotHaveDuplicates();
  }

  /** The alerting rules of the PrometheusRule. */
  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> alerts() {
    var rules = new ArrayList<Map<String, Object>>();
    List<Map<String, Object>> groups = at(only(objects, "PrometheusRule"), "spec", "groups");
    for (var group : groups) {
      for (var rule : (List<Map<String, Object>>) group.get("rules")) {
        if (rule.containsKey("alert")) {
          rules.add(rule);
        }
      }
    }
    assertThat(rules).isNotEmpty();
    return rules;
  }

  /** Every PromQL query of the dashboard: its panels' and its variables'. */
  private static List<String> dashboardQueries() {
    var dashboard = parse(Manifests.read(Manifests.MONITORING.resolve("grafana-dashboard.json")));
    var queries = new ArrayList<String>();
    for (var panel : dashboard.getJsonArray("panels").getValuesAs(JsonObject.class)) {
      for (var target : panel.getJsonArray("targets").getValuesAs(JsonObject.class)) {
        queries.add(target.getString("expr"));
      }
    }
    for (var variable :
        dashboard.getJsonObject("templating").getJsonArray("list").getValuesAs(JsonObject.class)) {
      if (variable.getString("type").equals("query")) {
        var definition = variable.getString("definition");
        var labelValues = Pattern.compile("label_values\\(([^,]+),").matcher(definition);
        queries.add(labelValues.find() ? labelValues.group(1) : definition);
      }
    }
    return queries;
  }

  /**
   * The metric names a PromQL expression asks: its identifiers once strings, label matchers, ranges
   * and grouping clauses are taken out, less functions (followed by a parenthesis) and keywords.
   */
  static Set<String> metricsIn(String expression) {
    var bare =
        expression
            .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ")
            .replaceAll("\\{[^}]*}", " ")
            .replaceAll("\\[[^\\]]*]", " ")
            .replaceAll("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    var names = new TreeSet<String>();
    var identifier =
        Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(bare);
    while (identifier.find()) {
      if (identifier.group(2) == null && !PROMQL_WORDS.contains(identifier.group(1))) {
        names.add(identifier.group(1));
      }
    }
    return names;
  }

  @Test
  void metricsInFindsTheMetricsOfAnExpressionAndNothingElse() {
    assertThat(
            metricsIn(
                "histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{namespace=\"$x\","
                    + " le=~\"1|2\"}[5m]))) > 1 and on (pod) b_total offset 5m unless c"))
        .containsExactly("a_bucket", "b_total", "c");
  }

  /** The alert names in the first column of the operations guide's "Alerts" table. */
  private static Set<String> alertsInTheOperationsGuide() {
    var names = new LinkedHashSet<String>();
    boolean inSection = false;
    for (var line : Manifests.read(Path.of("docs/operations.md")).split("\n")) {
      if (line.startsWith("## ")) {
        inSection = line.substring(3).trim().equals("Alerts");
      } else if (inSection && line.startsWith("| `")) {
        var name = Pattern.compile("`([A-Za-z]+)`").matcher(line.split("\\|")[1]);
        if (name.find()) {
          names.add(name.group(1));
        }
      }
    }
    return names;
  }

  private static JsonObject parse(String json) {
    try (var reader = Json.createReader(new StringReader(json))) {
      return reader.readObject();
    }
  }
}
