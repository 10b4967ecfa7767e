package io.labsos.statusstream.health.boundary;

import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.events.control.EventSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Alive while the listener loop makes progress. A database outage is not a liveness failure (the
 * loop keeps retrying, and restarting would not help); a loop stuck somewhere it should never be
 * stuck is.
 */
@Liveness
@ApplicationScoped
public class LivenessCheck implements HealthCheck {

  @Inject ChangeListener listener;

  @Inject EventSettings settings;

  @Override
  public HealthCheckResponse call() {
    var silent = Duration.between(listener.lastProgress(), Instant.now());
    return HealthCheckResponse.named("listener-loop")
        .withData("lastProgressSecondsAgo", silent.toSeconds())
        .status(silent.toSeconds() < settings.listenerStall().toSeconds())
        .build();
  }
}
