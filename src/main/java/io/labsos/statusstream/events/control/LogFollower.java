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
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * Where this instance stands in each project's log, whatever the capture: it takes what a {@link
 * Capture} reports, checks that each entry continues the project's cursor, reads from the log what
 * the capture did not carry, and fires each entry as a CDI {@link StatusEvent}, in order per
 * project, once.
 *
 * <p>Rows are read only for the projects that have streams on this instance ({@link #watch}); the
 * cursors of the others advance from their heads or from the entries reported, so an instance's
 * reads grow with what its own clients get, not with every write to the database.
 *
 * <p>What the log says is checked, not assumed: when a project's head went back, or its next entry
 * does not name the cursor as its predecessor, the project's streams get a {@link ProjectReset}
 * instead of a silent gap, and the project's head is told the highest id this instance saw (its
 * floor), so that new writes never reuse a position a client may hold. A failure while an event is
 * handed on is the delivery's, not the connection's: it is logged and counted once, the project's
 * streams are reset, and the loop goes on with the next event.
 *
 * <p>Threads: everything but {@link #watch}, {@link #unwatch} and {@link #projects} runs on the
 * listener's loop; the cursors are the loop's alone.
 */
@ApplicationScoped
public class LogFollower {

  private static final Logger LOG = Logger.getLogger(LogFollower.class.getName());
  private static final int BATCH = 500;
  private static final int PROJECTS_PER_READ = 500;

  @Inject EventLog log;
  @Inject Event<StatusEvent> events;
  @Inject Event<ProjectReset> resets;
  @Inject MetricRegistry metrics;

  /** The last id delivered (or skipped over), per project. Written by the loop only. */
  private final Map<UUID, Long> cursors = new ConcurrentHashMap<>();

  /** Projects with streams on this instance: the only ones whose rows are read. */
  private final Set<UUID> watched = ConcurrentHashMap.newKeySet();

  /**
   * Projects a capture said reach an id the log did not show yet (a commit seen before it is
   * visible, as with synchronous replication): read again until it does.
   */
  private final Map<UUID, Long> pending = new HashMap<>();

  private boolean initialized;
  private Counter rowsRead;
  private Counter deliveryFailures;
  private Counter rewinds;

  @PostConstruct
  void register() {
    rowsRead =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_listener_events_read")
                .withDescription("Events the listener read from the log (projects with streams)")
                .build());
    deliveryFailures =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_delivery_failures")
                .withDescription("Events whose delivery failed on this instance")
                .build());
    rewinds =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_history_rewinds")
                .withDescription("Times a project's log did not continue what was delivered")
                .build());
    metrics.gauge(
        Metadata.builder()
            .withName("status_stream_listener_projects")
            .withDescription("Projects whose position the listener keeps")
            .build(),
        cursors,
        Map::size);
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
    return cursors.size();
  }

  /**
   * Reads what was committed while nothing reported it. The first time, every existing project
   * starts at its head (there is nobody to deliver history to: streams replay it themselves); after
   * a reconnect, every project whose head differs from its cursor is read.
   */
  void catchUp(Connection c) throws SQLException {
    var heads = log.heads(c);
    if (!initialized) {
      cursors.putAll(heads);
      initialized = true;
      return;
    }
    var moved = new LinkedHashSet<UUID>();
    for (var cursor : cursors.entrySet()) {
      if (!cursor.getValue().equals(heads.get(cursor.getKey()))) {
        moved.add(cursor.getKey());
      }
    }
    for (var head : heads.keySet()) {
      if (!cursors.containsKey(head)) {
        moved.add(head);
      }
    }
    deliverNew(c, moved);
  }

  /** Takes what a capture reported: its entries first, then what must be read. */
  void apply(Connection c, Changes changes) throws SQLException {
    var reread = new LinkedHashSet<UUID>();
    for (var entry : changes.entries()) {
      if (!reread.contains(entry.projectId())) {
        accept(entry, reread);
      }
    }
    changes.toRead().forEach((project, reaches) -> expect(project, reaches, reread));
    reread.addAll(pending.keySet());
    if (changes.readAll()) {
      catchUp(c);
    }
    if (!reread.isEmpty()) {
      deliverNew(c, reread);
      pending.entrySet().removeIf(p -> cursors.getOrDefault(p.getKey(), 0L) >= p.getValue());
    }
  }

  /** Whether some project waits for an entry the log does not show yet. */
  boolean hasPending() {
    return !pending.isEmpty();
  }

  /**
   * One entry, in commit order: fired if it continues its project's cursor and has streams here.
   */
  private void accept(StatusEvent entry, Set<UUID> reread) {
    var project = entry.projectId();
    var cursor = cursors.get(project);
    if (cursor != null && entry.id() <= cursor) {
      return; // a catch-up delivered it already
    }
    if (!watched.contains(project)) {
      cursors.put(project, entry.id());
      return;
    }
    if (entry.prevId() != (cursor == null ? 0 : cursor)) {
      // Something between the cursor and this entry was not reported (or the history changed):
      // the log says which.
      reread.add(project);
      return;
    }
    fire(entry);
    cursors.put(project, entry.id());
  }

  /** The capture says the project's entries reach {@code reaches} (0: it does not know how far). */
  private void expect(UUID project, long reaches, Set<UUID> reread) {
    long cursor = cursors.getOrDefault(project, 0L);
    if (reaches != 0 && cursor >= reaches) {
      return;
    }
    if (reaches != 0 && !watched.contains(project)) {
      cursors.put(project, reaches);
      return;
    }
    reread.add(project);
    if (reaches != 0) {
      pending.merge(project, reaches, Math::max);
    }
  }

  /**
   * Brings the given projects' cursors to their heads: the rows of watched projects are read and
   * fired (one query for up to {@value #PROJECTS_PER_READ} projects, again for those that had a
   * full batch); the others just take their head, read before they are checked for streams, so a
   * stream that starts meanwhile finds everything after that head in the log or gets it from here.
   */
  private void deliverNew(Connection c, Collection<UUID> projects) throws SQLException {
    var toRead = new ArrayList<UUID>();
    var others = new ArrayList<UUID>();
    for (var project : projects) {
      (watched.contains(project) ? toRead : others).add(project);
    }
    if (!others.isEmpty()) {
      var heads = log.heads(c, others);
      for (var project : others) {
        if (watched.contains(project)) {
          toRead.add(project);
        } else {
          moveTo(project, heads.get(project));
        }
      }
    }
    while (!toRead.isEmpty()) {
      var group = toRead.subList(0, Math.min(PROJECTS_PER_READ, toRead.size()));
      var from = new LinkedHashMap<UUID, Long>();
      for (var project : group) {
        from.put(project, cursors.getOrDefault(project, 0L));
      }
      group.clear();
      for (var read : log.afterEach(c, from, BATCH)) {
        rowsRead.inc(read.events().size());
        boolean known = cursors.containsKey(read.project());
        if (deliver(c, read, from.get(read.project()), known) == BATCH) {
          toRead.add(read.project());
        }
      }
    }
  }

  /** An unwatched project's cursor takes its head; a project without one is forgotten. */
  private void moveTo(UUID project, Long head) {
    if (head == null) {
      cursors.remove(project);
    } else {
      cursors.put(project, head);
    }
  }

  /**
   * Fires what one read found after {@code cursor}; returns the number of entries read.
   *
   * @param known whether the cursor is a position this instance had (else it is 0 for a project it
   *     did not know, whose history before the entries read is none of its business)
   */
  private int deliver(Connection c, EventLog.Read read, long cursor, boolean known)
      throws SQLException {
    var project = read.project();
    if (read.head() == null) {
      cursors.remove(project);
      return 0;
    }
    if (read.events().isEmpty()) {
      if (known && read.head() != cursor) {
        // The head went back (a restore, a failover), or what followed the cursor was purged.
        rewound(c, project, cursor, read.head());
      } else if (!known) {
        cursors.put(project, read.head());
      }
      return 0;
    }
    var first = read.events().get(0);
    if (known && first.prevId() != cursor) {
      rewound(c, project, cursor, first.prevId());
    }
    for (var event : read.events()) {
      fire(event);
      cursors.put(project, event.id());
    }
    return read.events().size();
  }

  private void rewound(Connection c, UUID project, long cursor, long position) throws SQLException {
    rewinds.inc();
    LOG.log(
        Level.WARNING,
        "The log of project {0} does not continue event {1}; its streams resync at {2}",
        new Object[] {project, cursor, position});
    if (cursor > position) {
      // Positions up to the cursor were handed out in a history the database no longer has: new
      // entries must go above them, or a client holding one would take a new entry for its next.
      log.raiseFloor(c, project, cursor);
    }
    cursors.put(project, position);
    reset(project, position, Reason.REWOUND);
  }

  /** Hands an event on; a failure there is the delivery's, never the connection's. */
  private void fire(StatusEvent event) {
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

  private void reset(UUID project, long position, Reason reason) {
    try {
      resets.fire(new ProjectReset(project, position, reason));
    } catch (RuntimeException e) {
      deliveryFailures.inc();
      LOG.log(Level.WARNING, "Resetting the streams of project " + project + " failed", e);
    }
  }
}
