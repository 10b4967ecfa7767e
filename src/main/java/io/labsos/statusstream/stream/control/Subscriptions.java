package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.CallerLimits;
import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.events.control.EventLog;
import io.labsos.statusstream.events.entity.ProjectReset;
import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Who follows which project on this instance, and the hand-off of each event to them. A project has
 * subscribers from its first stream's to its last's, and while it has any the listener reads its
 * rows; the listener's events are handed to every subscriber of the event's project and to no one
 * else. Each open stream holds a slot of its user's stream limit ({@link CallerLimits}): one per
 * connection, however many projects it carries.
 *
 * <p>The container's SseBroadcaster is not used: on Liberty it writes to its sinks one after the
 * other, and a sink whose client stopped reading blocks the caller for up to the write timeout,
 * which would stall the listener and every other subscriber behind it. Here the listener's thread
 * only queues (each event encoded once, the same bytes for every one-project stream); the writer
 * pool drains the queues.
 *
 * <p>Threads: {@link #deliver} and {@link #reset} on the listener's; {@link #open}, {@link
 * #subscribe} on request threads; a stream's end from whichever thread ended it. The maps are
 * concurrent; a project's set of subscribers is changed only inside the map's {@code compute} for
 * that project.
 */
@ApplicationScoped
public class Subscriptions {

  private static final Logger LOG = Logger.getLogger(Subscriptions.class.getName());

  @Inject StreamMetrics metrics;
  @Inject CallerLimits limits;
  @Inject ChangeListener listener;
  @Inject EventLog log;
  @Inject OutboxWriters writers;
  @Inject TokenExpiry expiry;
  @Inject OpenFiles files;

  /** Reads of the log for resuming clients: blocking, so on a pool of their own, bounded. */
  @Resource(lookup = "concurrent/replay")
  ManagedExecutorService replays;

  @Inject StreamSettings settings;

  private final Map<UUID, Set<Subscriber>> byProject = new ConcurrentHashMap<>();
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private Subscriber.Log replaySource;

  /** The metrics of the streams are there from the start, before the first stream opens. */
  void start(@Observes Startup startup) {
    metrics.gauges(this);
  }

  @PostConstruct
  void init() {
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

  @PreDestroy
  void stop() {
    closeAll("server stopping");
  }

  /**
   * A new stream of the caller's, counted against its stream limit, not yet receiving anything.
   *
   * @param several whether its frames are those of a stream of several projects (tagged with their
   *     project, with the cursor of them all as id), even when it carries one
   * @throws io.labsos.statusstream.access.control.LimitReached when the caller has {@code
   *     STREAM_MAX_PER_USER} streams open
   * @throws NoRoomForStream when the process is near its open-file limit
   */
  Stream open(List<UUID> projects, Caller caller, boolean several) {
    var slot = limits.stream(caller.subject());
    try {
      files.admit();
    } catch (NoRoomForStream e) {
      slot.close();
      throw e;
    }
    var created = new Stream[1];
    var outbox =
        new Outbox(
            writers.pool(),
            settings.bufferEvents(),
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
                LOG.log(Level.FINE, "Stream of {0} closed: {1}", new Object[] {projects, reason});
                Subscriptions.this.closed(created[0]);
              }
            });
    var channel = several ? new ProjectsChannel(outbox, projects) : null;
    var subscribers = new ArrayList<Subscriber>();
    for (var project : projects) {
      subscribers.add(
          new Subscriber(
              project,
              outbox,
              several ? channel.of(project) : new SingleChannel(outbox),
              replaySource,
              replays,
              settings.bufferEvents(),
              metrics::replayed));
    }
    created[0] = new Stream(caller, slot, outbox, subscribers, channel);
    streams.add(created[0]);
    expiry.schedule(created[0]);
    if (created[0].isClosed()) {
      closed(created[0]);
    }
    return created[0];
  }

  /** Starts delivering the projects' live events to the stream (held until each goes live). */
  void subscribe(Stream stream) {
    for (var subscriber : stream.subscribers()) {
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
  }

  private void closed(Stream stream) {
    if (stream == null || !streams.remove(stream)) {
      return;
    }
    expiry.cancel(stream);
    for (var subscriber : stream.subscribers()) {
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
    }
    stream.slot().close();
  }

  /**
   * The listener's events, on its thread: hand-off only, never a write. A stream that fails to take
   * one is closed (it resumes from the log); the others still get it.
   */
  void deliver(@Observes StatusEvent event) {
    var subscribers = byProject.get(event.projectId());
    if (subscribers == null) {
      return;
    }
    var encoded = new Encoded(event);
    for (var subscriber : subscribers) {
      try {
        subscriber.deliver(encoded);
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

  /** The open streams of this instance, as they are now. */
  List<Stream> streams() {
    return List.copyOf(streams);
  }

  void closeAll(String reason) {
    streams().forEach(s -> s.close(reason));
  }

  /** Each project's number of subscribers, for the histogram of streams per project. */
  void subscriberCounts(IntConsumer count) {
    byProject.values().forEach(set -> count.accept(set.size()));
  }

  /** Open streams on this instance. */
  public int openStreams() {
    return streams.size();
  }

  /** Projects with at least one open stream on this instance. */
  public int activeProjects() {
    return byProject.size();
  }
}
