package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.events.control.ChangeListener;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Every half heartbeat interval, for every open stream: keep-alives and probes, writes pending past
 * the write timeout, tokens past their acceptance (a backstop of {@link TokenExpiry}); and, once
 * the listener has been without its database for {@code LISTENER_OUTAGE_SECONDS}, the end of every
 * stream (its clients resume elsewhere by Last-Event-ID; new ones get 503 until it is back).
 *
 * <p>Threads: the managed scheduler's; an exception must not end the schedule, so none escapes.
 */
@ApplicationScoped
public class Heartbeat {

  private static final Logger LOG = Logger.getLogger(Heartbeat.class.getName());

  @Inject Subscriptions subscriptions;
  @Inject ChangeListener listener;
  @Inject StreamMetrics metrics;
  @Resource ManagedScheduledExecutorService scheduler;

  @Inject
  @ConfigProperty(name = "STREAM_HEARTBEAT_SECONDS", defaultValue = "15")
  long heartbeatSeconds;

  /** Longest a write to a client may stay pending before the client counts as gone. */
  @Inject
  @ConfigProperty(name = "STREAM_WRITE_TIMEOUT_SECONDS", defaultValue = "10")
  long writeTimeoutSeconds;

  /** How long the listener may be without its database before this instance ends its streams. */
  @Inject
  @ConfigProperty(name = "LISTENER_OUTAGE_SECONDS", defaultValue = "30")
  long outageSeconds;

  private ScheduledFuture<?> task;

  void start(@Observes Startup startup) {
    long halfInterval = TimeUnit.SECONDS.toMillis(heartbeatSeconds) / 2;
    task =
        scheduler.scheduleAtFixedRate(
            this::tick, halfInterval, halfInterval, TimeUnit.MILLISECONDS);
  }

  @PreDestroy
  void stop() {
    if (task != null) {
      task.cancel(false);
    }
  }

  private void tick() {
    var unavailable = listener.unavailableFor();
    if (unavailable.compareTo(Duration.ofSeconds(outageSeconds)) >= 0) {
      var open = subscriptions.streams();
      if (!open.isEmpty()) {
        LOG.warning(
            "The listener has been without its database for "
                + unavailable.toSeconds()
                + " s: ending "
                + open.size()
                + " streams so that their clients resume on another instance");
        open.forEach(s -> s.close("listener unavailable"));
      }
      return;
    }
    subscriptions.subscriberCounts(metrics::projectSubscribers);
    var now = Instant.now();
    long nanos = System.nanoTime();
    long heartbeatNanos = TimeUnit.SECONDS.toNanos(heartbeatSeconds);
    long writeTimeoutNanos = TimeUnit.SECONDS.toNanos(writeTimeoutSeconds);
    for (var stream : subscriptions.streams()) {
      try {
        if (!now.isBefore(stream.caller().expiresAt())) {
          stream.outbox().endAfter(Frame.TOKEN_EXPIRED, "token expired");
        } else {
          stream.outbox().tick(nanos, heartbeatNanos, writeTimeoutNanos);
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "Heartbeat of a stream failed", e);
        stream.close("heartbeat failed");
      }
    }
  }
}
