package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.CallerLimits;
import io.labsos.statusstream.access.control.LimitReached;
import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.events.control.EventLog;
import io.labsos.statusstream.events.entity.ProjectReset;
import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The streams of each project on this instance, each holding a slot of its user's stream limit
 * ({@link CallerLimits}) while it is open. A project's channel exists from its first subscriber to
 * its last, and while it exists the listener reads the project's rows; the listener's events are
 * handed to every subscriber of the event's project and to no one else.
 *
 * <p>The container's SseBroadcaster is not used: on Liberty it writes to its sinks one after the
 * other, and a sink whose client stopped reading blocks the caller for up to the write timeout,
 * which would stall the listener and every other subscriber behind it. Here the listener's thread
 * only queues (each event encoded once, the same bytes for every stream); a few writer threads
 * drain the queues without ever blocking.
 */
@ApplicationScoped
public class ProjectChannels {

  private static final Logger LOG = Logger.getLogger(ProjectChannels.class.getName());

  @Inject StreamMetrics metrics;
  @Inject CallerLimits limits;
  @Inject ChangeListener listener;
  @Inject EventLog log;
  @Resource ManagedScheduledExecutorService scheduler;
  @Resource ManagedThreadFactory threads;

  /** Reads of the log for resuming clients: blocking, so on a pool of their own, bounded. */
  @Resource(lookup = "concurrent/replay")
  ManagedExecutorService replays;

  @Inject
  @ConfigProperty(name = "STREAM_HEARTBEAT_SECONDS", defaultValue = "15")
  long heartbeatSeconds;

  /** Frames that may wait for one slow client before it is disconnected. */
  @Inject
  @ConfigProperty(name = "STREAM_BUFFER_EVENTS", defaultValue = "1000")
  int bufferEvents;

  /** Longest a write to a client may stay pending before the client counts as gone. */
  @Inject
  @ConfigProperty(name = "STREAM_WRITE_TIMEOUT_SECONDS", defaultValue = "10")
  long writeTimeoutSeconds;

  /** How long the listener may be without its database before this instance ends its streams. */
  @Inject
  @ConfigProperty(name = "LISTENER_OUTAGE_SECONDS", defaultValue = "30")
  long outageSeconds;

  /**
   * Most threads that write to clients at once. About one per core is busy under load; more are
   * started only while writes to stalled clients block the others (see {@link WriterPool}).
   */
  @Inject
  @ConfigProperty(name = "STREAM_WRITER_THREADS", defaultValue = "256")
  int writerThreads;

  private final Map<UUID, Set<Subscriber>> byProject = new ConcurrentHashMap<>();
  private final Map<Subscriber, CallerLimits.Slot> slots = new ConcurrentHashMap<>();
  private final Map<Subscriber, ScheduledFuture<?>> expiries = new ConcurrentHashMap<>();

  /**
   * The token expiry of every stream, one timer each, on a plain scheduled pool of one managed
   * thread that drops cancelled timers at once. Liberty's managed scheduler checks its scheduled
   * tasks for cancellation on every new one: with 19,000 streams open, the expiry timers alone took
   * 9 % of the CPU of opening streams (the profile of `bin/bench idle`).
   */
  private ScheduledThreadPoolExecutor expiryTimers;

  private WriterPool writers;
  private ScheduledFuture<?> heartbeat;
  private ScheduledFuture<?> poolCheck;
  private Subscriber.Log replaySource;
  private Thread onShutdown;

  @PostConstruct
  void init() {
    metrics.gauges(this);
    writers = new WriterPool(Runtime.getRuntime().availableProcessors(), writerThreads, threads);
    expiryTimers = new ScheduledThreadPoolExecutor(1, threads);
    expiryTimers.setRemoveOnCancelPolicy(true);
    replaySource =
        new Subscriber.Log() {
          @Override
          public List<StatusEvent> after(UUID project, long afterId, int limit)
              throws SQLException {
            return log.after(project, afterId, limit);
          }

          @Override
          public long head(UUID project) throws SQLException {
            return log.position(project, 0).head();
          }
        };
  }

  void start(@Observes Startup startup) {
    long halfInterval = TimeUnit.SECONDS.toMillis(heartbeatSeconds) / 2;
    heartbeat =
        scheduler.scheduleAtFixedRate(
            this::tick, halfInterval, halfInterval, TimeUnit.MILLISECONDS);
    poolCheck =
        scheduler.scheduleAtFixedRate(
            writers::adjust,
            5 * WriterPool.WAIT_MILLIS,
            5 * WriterPool.WAIT_MILLIS,
            TimeUnit.MILLISECONDS);
    // A stop by signal (an orchestrator, Ctrl-C) ends the streams at once. Liberty would keep them
    // open through its quiesce (up to 30 s) before the application stops, while their clients
    // could already be resuming on another instance.
    onShutdown = threads.newThread(() -> all().forEach(s -> s.close("server stopping")));
    Runtime.getRuntime().addShutdownHook(onShutdown);
  }

  @PreDestroy
  void stop() {
    if (heartbeat != null) {
      heartbeat.cancel(false);
      poolCheck.cancel(false);
    }
    if (onShutdown != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(onShutdown);
      } catch (IllegalStateException stopping) {
        // The JVM is shutting down: the hook runs (or ran) anyway.
      }
    }
    all().forEach(s -> s.close("server stopping"));
    writers.shutdown();
    expiryTimers.shutdownNow();
  }

  /**
   * A new stream for the caller, counted against its stream limit, not yet receiving anything.
   *
   * @throws LimitReached when the caller has {@code STREAM_MAX_PER_USER} streams open
   */
  Subscriber open(UUID project, Caller caller) {
    var slot = limits.stream(caller.subject());
    Subscriber[] created = new Subscriber[1];
    var outbox =
        new Outbox(
            writers,
            bufferEvents,
            new Outbox.Observer() {
              @Override
              public void written(int events, long oldestCreatedAtMillis) {
                metrics.delivered(events, oldestCreatedAtMillis);
              }

              @Override
              public void slow() {
                metrics.slowClientDisconnected();
              }

              @Override
              public void closed(String reason) {
                LOG.log(
                    Level.FINE,
                    "Stream of project {0} closed: {1}",
                    new Object[] {project, reason});
                ProjectChannels.this.closed(created[0]);
              }
            });
    created[0] =
        new Subscriber(
            project, caller, outbox, replaySource, replays, bufferEvents, metrics::replayed);
    slots.put(created[0], slot);
    expireAt(created[0]);
    return created[0];
  }

  /**
   * Ends the stream when its token stops being accepted, to the millisecond (the heartbeat's check
   * of the same moment is only a backstop): from then on the token gets 401 on its next request.
   */
  private void expireAt(Subscriber subscriber) {
    long delay = Duration.between(Instant.now(), subscriber.caller().expiresAt()).toMillis();
    expiries.put(
        subscriber,
        expiryTimers.schedule(
            () -> subscriber.outbox().endAfter(Frame.TOKEN_EXPIRED, "token expired"),
            Math.max(0, delay),
            TimeUnit.MILLISECONDS));
    if (subscriber.isClosed()) {
      cancelExpiry(subscriber);
    }
  }

  private void cancelExpiry(Subscriber subscriber) {
    var expiry = expiries.remove(subscriber);
    if (expiry != null) {
      expiry.cancel(false);
    }
  }

  /** Starts delivering the project's live events to the subscriber (held until it goes live). */
  void subscribe(Subscriber subscriber) {
    byProject.compute(
        subscriber.project(),
        (project, subscribers) -> {
          var set = subscribers != null ? subscribers : ConcurrentHashMap.<Subscriber>newKeySet();
          if (!subscriber.isClosed()) {
            set.add(subscriber);
          }
          if (set.isEmpty()) {
            return null;
          }
          listener.watch(project);
          return set;
        });
  }

  private void closed(Subscriber subscriber) {
    cancelExpiry(subscriber);
    byProject.computeIfPresent(
        subscriber.project(),
        (project, subscribers) -> {
          subscribers.remove(subscriber);
          if (!subscribers.isEmpty()) {
            return subscribers;
          }
          listener.unwatch(project);
          return null;
        });
    var slot = slots.remove(subscriber);
    if (slot != null) {
      slot.close();
    }
  }

  /**
   * The listener's events, on its thread: hand-off only, never a write. A subscriber that fails to
   * take one is closed (it resumes from the log); the others still get it.
   */
  void deliver(@Observes StatusEvent event) {
    var subscribers = byProject.get(event.projectId());
    if (subscribers == null) {
      return;
    }
    var frame = Frame.live(event);
    for (var subscriber : subscribers) {
      try {
        subscriber.deliver(event, frame);
      } catch (RuntimeException e) {
        metrics.deliveryFailed();
        LOG.log(
            Level.WARNING,
            "Delivering event " + event.id() + " of project " + event.projectId() + " failed",
            e);
        subscriber.close("delivery failed");
      }
    }
  }

  /** The listener's word that a project's streams cannot simply go on. */
  void reset(@Observes ProjectReset reset) {
    var subscribers = byProject.get(reset.projectId());
    if (subscribers == null) {
      return;
    }
    for (var subscriber : subscribers) {
      switch (reset.reason()) {
        case REWOUND -> subscriber.rewound(reset.position());
        case DELIVERY_FAILED -> subscriber.close("delivery failed");
      }
    }
  }

  /**
   * Every half heartbeat interval: keep-alives and probes, streams whose token expired, and, once
   * the listener has been without its database for {@code LISTENER_OUTAGE_SECONDS}, every stream
   * (its clients resume elsewhere by Last-Event-ID; new ones get 503 until it is back). An
   * exception must not end the schedule, so none escapes.
   */
  private void tick() {
    if (listener.unavailableFor().compareTo(Duration.ofSeconds(outageSeconds)) >= 0) {
      var open = all();
      if (!open.isEmpty()) {
        LOG.warning(
            "The listener has been without its database for "
                + listener.unavailableFor().toSeconds()
                + " s: ending "
                + open.size()
                + " streams so that their clients resume on another instance");
        open.forEach(s -> s.close("listener unavailable"));
      }
      return;
    }
    var now = Instant.now();
    long nanos = System.nanoTime();
    long heartbeatNanos = TimeUnit.SECONDS.toNanos(heartbeatSeconds);
    long writeTimeoutNanos = TimeUnit.SECONDS.toNanos(writeTimeoutSeconds);
    for (var subscribers : byProject.values()) {
      metrics.projectSubscribers(subscribers.size());
      for (var subscriber : subscribers) {
        try {
          if (!now.isBefore(subscriber.caller().expiresAt())) {
            subscriber.outbox().endAfter(Frame.TOKEN_EXPIRED, "token expired");
          } else {
            subscriber.outbox().tick(nanos, heartbeatNanos, writeTimeoutNanos);
          }
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "Heartbeat of a stream failed", e);
          subscriber.close("heartbeat failed");
        }
      }
    }
  }

  private List<Subscriber> all() {
    return byProject.values().stream().flatMap(Set::stream).toList();
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
