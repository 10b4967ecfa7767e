package io.labsos.statusstream.events.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * How long the listener has been without its database, at {@code /metrics} as {@code
 * status_stream_listener_outage_seconds}: 0 while it is connected and caught up, else the seconds
 * since it lost its connection (or since the start, before it first connected). Past {@code
 * LISTENER_OUTAGE_SECONDS} the instance ends its streams; what an operator alerts on.
 */
@ApplicationScoped
public class ListenerOutageMetric {

  @Inject ChangeListener listener;
  @Inject MetricRegistry registry;

  void register(@Observes Startup startup) {
    registry.gauge(
        Metadata.builder()
            .withName("status_stream_listener_outage_seconds")
            .withDescription("Seconds the listener has been without its database (0: connected)")
            .build(),
        listener,
        changes -> changes.unavailableFor().toMillis() / 1000.0);
  }
}
