package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.Metrics;
import it.ServiceTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ObservabilityIT extends ServiceTest {

  @Test
  void metricsCountStreamsDeliveriesReplaysAndLagInPrometheusText() {
    var metrics = Http.get(Api.management("/metrics"));
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    assertThat(metrics.body())
        .contains(
            "status_stream_open_streams",
            "status_stream_active_projects",
            "status_stream_events_delivered_total",
            "status_stream_events_replayed_total",
            "status_stream_slow_client_disconnects_total",
            "status_stream_delivery_lag_seconds_bucket",
            "status_stream_project_subscribers_bucket",
            "status_stream_limit_refusals_total{limit=\"streams\"",
            "status_stream_limit_refusals_total{limit=\"polls\"",
            "status_stream_listener_outage_seconds");
    // The lag's quantiles would be kept up to date on every write (5-8 % of a delivery's CPU):
    // buckets only.
    assertThat(metrics.body()).doesNotContain("status_stream_delivery_lag_seconds{");
    // Ready (awaited before each test) means the listener is connected: no outage.
    assertThat(Metrics.value(base, "status_stream_listener_outage_seconds")).isZero();

    var delivered = Metrics.value(base, "status_stream_events_delivered_total");
    var replayed = Metrics.value(base, "status_stream_events_replayed_total");
    var lagCount = Metrics.value(base, "status_stream_delivery_lag_seconds_count");
    var project = Db.project("alice");
    var source = Db.source(project);
    try (var client = Api.stream(base, project, "alice")) {
      assertThat(Metrics.value(base, "status_stream_open_streams")).isGreaterThanOrEqualTo(1);
      for (int i = 0; i < 3; i++) {
        Db.setSourceStatus(source, "s" + i);
      }
      client.awaitProjectEvents(3);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> Metrics.value(base, "status_stream_events_delivered_total") >= delivered + 3);
      assertThat(Metrics.value(base, "status_stream_delivery_lag_seconds_count"))
          .as("one sample per write: three events may share one")
          .isGreaterThan(lagCount);
    }
    try (var resumed = Api.stream(base, project, "alice", "Last-Event-ID", "0")) {
      resumed.awaitProjectEvents(3);
      assertThat(Metrics.value(base, "status_stream_events_replayed_total"))
          .isGreaterThanOrEqualTo(replayed + 3);
    }
  }

  @Test
  void countsListenerReconnects() {
    double before = Metrics.value(base, "status_stream_listener_reconnects_total");
    Db.value(
        Boolean.class,
        "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity"
            + " WHERE application_name = 'status-stream-listener'");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> Metrics.value(base, "status_stream_listener_reconnects_total") > before);
  }
}
