package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.ProjectReset;
import io.labsos.statusstream.events.entity.ProjectReset.Reason;
import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * This instance's place in the log: a {@link Follower} that reads the rows of the projects with
 * streams here ({@link #watch}) and fires each entry as a CDI {@link StatusEvent}, in order per
 * project, once; a project whose log does not continue gets a {@link ProjectReset} instead of a
 * silent gap. A failure while an event is handed on is the delivery's, not the connection's: it is
 * logged and counted once, the project's streams are reset, and the loop goes on with the next
 * event.
 *
 * <p>Threads: {@link #watch}, {@link #unwatch} and {@link #projects} from anywhere, the rest on the
 * listener's loop.
 */
@ApplicationScoped
public class LogFollower implements Follower.Delivery {

  private static final Logger LOG = Logger.getLogger(LogFollower.class.getName());

  @Inject EventLog log;
  @Inject Event<StatusEvent> events;
  @Inject Event<ProjectReset> resets;
  @Inject MetricRegistry metrics;

  /** Projects with streams on this instance: the only ones whose rows are read. */
  private final Set<UUID> watched = ConcurrentHashMap.newKeySet();

  private Follower follower;
  private Counter deliveryFailures;

  @PostConstruct
  void register() {
    var rowsRead =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_listener_events_read")
                .withDescription("Events the listener read from the log (projects with streams)")
                .build());
    var rewinds =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_history_rewinds")
                .withDescription("Times a project's log did not continue what was delivered")
                .build());
    deliveryFailures =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_delivery_failures")
                .withDescription("Events whose delivery failed on this instance")
                .build());
    follower = new Follower(log, this, watched::contains, rowsRead, rewinds);
    metrics.gauge(
        Metadata.builder()
            .withName("status_stream_listener_projects")
            .withDescription("Projects whose position the listener keeps")
            .build(),
        follower,
        Follower::projects);
  }

  /** Starts reading the project's rows: it has a stream here. */
  public void watch(UUID project) {
    watched.add(project);
  }

  /** Stops reading the project's rows: its last stream here ended. */
  public void unwatch(UUID project) {
    watched.remove(project);
  }

  /** Projects whose position this instance keeps. */
  public int projects() {
    return follower.projects();
  }

  void catchUp(Connection c) throws SQLException {
    follower.catchUp(c);
  }

  void apply(Connection c, Changes changes) throws SQLException {
    follower.apply(c, changes);
  }

  boolean hasPending() {
    return follower.hasPending();
  }

  /** Hands an event on; a failure there is the delivery's, never the connection's. */
  @Override
  public void deliver(StatusEvent event) {
    try {
      events.fire(event);
    } catch (RuntimeException e) {
      deliveryFailures.inc();
      LOG.log(
          Level.WARNING,
          "Delivering event "
              + event.id()
              + " of project "
              + event.projectId()
              + " failed; its streams end and resume from the log",
          e);
      reset(event.projectId(), event.id(), Reason.DELIVERY_FAILED);
    }
  }

  @Override
  public void reset(UUID project, long position, Reason reason) {
    try {
      resets.fire(new ProjectReset(project, position, reason));
    } catch (RuntimeException e) {
      deliveryFailures.inc();
      LOG.log(Level.WARNING, "Resetting the streams of project " + project + " failed", e);
    }
  }
}
