package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response.Status;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The subscribers of each project on this instance, and the per-user stream count. A project's
 * channel exists from its first subscriber to its last; the listener's events are handed to every
 * subscriber of the event's project and to no one else.
 *
 * <p>The container's SseBroadcaster is not used: on Liberty it writes to its sinks one after the
 * other, and a sink whose client stopped reading blocks the caller for up to the write timeout,
 * which would stall the listener and every other subscriber behind it.
 */
@ApplicationScoped
public class ProjectChannels {

  private static final Logger LOG = Logger.getLogger(ProjectChannels.class.getName());

  @Resource ManagedExecutorService writer;
  @Inject StreamMetrics metrics;
  @Resource ManagedScheduledExecutorService scheduler;

  @Inject
  @ConfigProperty(name = "STREAM_HEARTBEAT_SECONDS", defaultValue = "15")
  long heartbeatSeconds;

  @Inject
  @ConfigProperty(name = "STREAM_MAX_PER_USER", defaultValue = "16")
  int maxPerUser;

  /** Events that may wait for one slow client before it is disconnected. */
  @Inject
  @ConfigProperty(name = "STREAM_BUFFER_EVENTS", defaultValue = "1000")
  int bufferEvents;

  /** Longest wait for one write to a client before it counts as gone. */
  @Inject
  @ConfigProperty(name = "STREAM_WRITE_TIMEOUT_SECONDS", defaultValue = "10")
  long writeTimeoutSeconds;

  private final Map<UUID, Set<Subscriber>> byProject = new ConcurrentHashMap<>();
  private final Map<String, Integer> perUser = new ConcurrentHashMap<>();
  private ScheduledFuture<?> heartbeat;

  @PostConstruct
  void registerGauges() {
    metrics.gauges(this);
  }

  void start(@Observes Startup startup) {
    long halfInterval = TimeUnit.SECONDS.toMillis(heartbeatSeconds) / 2;
    heartbeat =
        scheduler.scheduleAtFixedRate(
            this::tick, halfInterval, halfInterval, TimeUnit.MILLISECONDS);
  }

  @PreDestroy
  void stop() {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    byProject.values().stream()
        .flatMap(Set::stream)
        .toList()
        .forEach(s -> s.closeNow("server stopping"));
  }

  /**
   * Opens a subscriber for the caller, counted against its stream limit.
   *
   * @throws ApiError 429 when the caller has {@code STREAM_MAX_PER_USER} streams open
   */
  public Subscriber open(UUID project, Caller caller, SseEventSink sink, Sse sse) {
    boolean[] admitted = {false};
    perUser.compute(
        caller.subject(),
        (user, count) -> {
          int current = count == null ? 0 : count;
          if (current >= maxPerUser) {
            return count;
          }
          admitted[0] = true;
          return current + 1;
        });
    if (!admitted[0]) {
      throw new ApiError(
          Status.TOO_MANY_REQUESTS,
          "too_many_streams",
          "Too many open streams for this user",
          Map.of("Retry-After", "10"));
    }
    return new Subscriber(
        project,
        caller,
        sink,
        sse,
        writer,
        bufferEvents,
        TimeUnit.SECONDS.toMillis(writeTimeoutSeconds),
        metrics,
        this::closed);
  }

  /** Starts delivering the project's live events to the subscriber (held until it goes live). */
  public void subscribe(Subscriber subscriber) {
    byProject.compute(
        subscriber.project(),
        (project, subscribers) -> {
          var set = subscribers != null ? subscribers : ConcurrentHashMap.<Subscriber>newKeySet();
          if (!subscriber.isClosed()) {
            set.add(subscriber);
          }
          return set.isEmpty() ? null : set;
        });
  }

  private void closed(Subscriber subscriber) {
    byProject.computeIfPresent(
        subscriber.project(),
        (project, subscribers) -> {
          subscribers.remove(subscriber);
          return subscribers.isEmpty() ? null : subscribers;
        });
    perUser.computeIfPresent(subscriber.caller().subject(), (user, n) -> n > 1 ? n - 1 : null);
  }

  /** The listener's events, on its thread: hand-off only, never a write. */
  void deliver(@Observes StatusEvent event) {
    var subscribers = byProject.get(event.projectId());
    if (subscribers != null) {
      for (var subscriber : subscribers) {
        subscriber.deliver(event);
      }
    }
  }

  /** Every half heartbeat interval; an exception must not end the schedule, so none escapes. */
  private void tick() {
    var now = Instant.now();
    long heartbeatNanos = TimeUnit.SECONDS.toNanos(heartbeatSeconds);
    for (var subscribers : byProject.values()) {
      metrics.projectSubscribers(subscribers.size());
      for (var subscriber : subscribers) {
        try {
          subscriber.tick(now, heartbeatNanos);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "Heartbeat of a stream failed", e);
          subscriber.close("heartbeat failed");
        }
      }
    }
  }

  /** Open streams on this instance. */
  public int openStreams() {
    return byProject.values().stream().mapToInt(Set::size).sum();
  }

  /** Projects with at least one open stream on this instance. */
  public int activeProjects() {
    return byProject.size();
  }
}
