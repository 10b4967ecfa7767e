package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.events.control.EventSettings;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

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

  @Inject StreamSettings settings;
  @Inject EventSettings events;

  private ScheduledFuture<?> task;

  void start(@Observes Startup startup) {
    long halfInterval = Math.max(1, TimeUnit.SECONDS.toMillis(settings.heartbeatSeconds()) / 2);
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
    if (unavailable.compareTo(events.outage()) >= 0) {
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
    long heartbeatNanos = TimeUnit.SECONDS.toNanos(settings.heartbeatSeconds());
    long writeTimeoutNanos = TimeUnit.SECONDS.toNanos(settings.writeTimeoutSeconds());
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
