package io.labsos.statusstream.stream.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Histogram;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Timer;

/**
 * What the streams report at {@code /metrics}. No metric has a per-project or per-user label: their
 * number is unbounded. The methods are public because they are called per write through the CDI
 * proxy, which reaches package-private methods only by reflection.
 */
@ApplicationScoped
public class StreamMetrics {

  @Inject MetricRegistry registry;

  private Counter delivered;
  private Counter replayed;
  private Counter slowClientDisconnects;
  private Counter deliveryFailures;
  private Timer lag;
  private Histogram subscribersPerProject;

  @PostConstruct
  void register() {
    delivered =
        registry.counter(
            Metadata.builder()
                .withName("status_stream_events_delivered")
                .withDescription("Live events written to clients")
                .build());
    replayed =
        registry.counter(
            Metadata.builder()
                .withName("status_stream_events_replayed")
                .withDescription("Events written to reconnecting clients from the log")
                .build());
    slowClientDisconnects =
        registry.counter(
            Metadata.builder()
                .withName("status_stream_slow_client_disconnects")
                .withDescription("Streams ended because their client did not keep up")
                .build());
    deliveryFailures =
        registry.counter(
            Metadata.builder()
                .withName("status_stream_delivery_failures")
                .withDescription("Events whose delivery failed on this instance")
                .build());
    lag =
        registry.timer(
            Metadata.builder()
                .withName("status_stream_delivery_lag")
                .withDescription("From the writer's trigger to the write to the client")
                .build());
    subscribersPerProject =
        registry.histogram(
            Metadata.builder()
                .withName("status_stream_project_subscribers")
                .withDescription("Open streams per project with any, sampled every heartbeat")
                .withUnit(MetricUnits.NONE)
                .build());
  }

  /**
   * Events written to a client in one write: counted each, and the lag of the oldest of them (the
   * write's worst) recorded once, so that a batch costs one histogram update, not one per event.
   */
  public void delivered(int events, long oldestCreatedAtMillis) {
    delivered.inc(events);
    lag.update(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - oldestCreatedAtMillis)));
  }

  public void deliveryFailed() {
    deliveryFailures.inc();
  }

  public void replayed() {
    replayed.inc();
  }

  public void slowClientDisconnected() {
    slowClientDisconnects.inc();
  }

  public void projectSubscribers(int count) {
    subscribersPerProject.update(count);
  }

  public void gauges(Subscriptions channels) {
    registry.gauge(
        Metadata.builder()
            .withName("status_stream_open_streams")
            .withDescription("Open streams on this instance")
            .build(),
        channels,
        Subscriptions::openStreams);
    registry.gauge(
        Metadata.builder()
            .withName("status_stream_active_projects")
            .withDescription("Projects with at least one open stream on this instance")
            .build(),
        channels,
        Subscriptions::activeProjects);
  }
}
