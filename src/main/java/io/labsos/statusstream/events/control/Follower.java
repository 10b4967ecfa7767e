package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.ProjectReset.Reason;
import io.labsos.statusstream.events.entity.StatusEvent;
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
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.Counter;

/**
 * Where a reader stands in each project's log, whatever the capture: it takes what a {@link
 * Capture} reports, checks that each entry continues the project's cursor, reads from the log what
 * the capture did not carry, and hands each entry on, in order per project, once.
 *
 * <p>Two readers use it: the listener of every instance, which hands entries to the streams ({@link
 * LogFollower}), and the relay, which hands them to Kafka ({@link Relay}). Rows are read only for
 * the projects the reader {@linkplain #Follower asks for}; the cursors of the others advance from
 * their heads or from the entries reported, so what a listener reads grows with what its own
 * clients get, not with every write to the database.
 *
 * <p>What the log says is checked, not assumed: when a project's head went back, or its next entry
 * does not name the cursor as its predecessor, the reader gets a {@link Delivery#reset} instead of
 * a silent gap, and the project's head is told the highest id the reader saw (its floor), so that
 * new writes never reuse a position a client may hold.
 *
 * <p>Threads: everything but {@link #projects} runs on the reader's loop; the cursors are the
 * loop's alone.
 */
final class Follower {

  /** What a follower hands on. */
  interface Delivery {

    /** The next entry of its project, which continues the last one handed on. */
    void deliver(StatusEvent event);

    /** The project's log does not continue what was handed on: it resumes at {@code position}. */
    void reset(UUID project, long position, Reason reason);
  }

  private static final Logger LOG = Logger.getLogger(Follower.class.getName());
  private static final int BATCH = 500;
  private static final int PROJECTS_PER_READ = 500;

  private final EventLog log;
  private final Delivery delivery;
  private final Predicate<UUID> reads;
  private final Counter rowsRead;
  private final Counter rewinds;

  /** The last id handed on (or skipped over), per project. */
  private final Map<UUID, Long> cursors = new ConcurrentHashMap<>();

  /**
   * Projects a capture said reach an id the log did not show yet (a commit seen before it is
   * visible, as with synchronous replication): read again until it does.
   */
  private final Map<UUID, Long> pending = new HashMap<>();

  private boolean started;

  /**
   * @param reads the projects whose entries are handed on; the others only keep a position
   * @param rowsRead counts the entries read from the log
   * @param rewinds counts the times a project's log did not continue its cursor
   */
  Follower(
      EventLog log, Delivery delivery, Predicate<UUID> reads, Counter rowsRead, Counter rewinds) {
    this.log = log;
    this.delivery = delivery;
    this.reads = reads;
    this.rowsRead = rowsRead;
    this.rewinds = rewinds;
  }

  /** Projects whose position this follower keeps. */
  int projects() {
    return cursors.size();
  }

  /**
   * Starts from positions kept elsewhere (what the relay published) instead of the heads: the next
   * {@link #catchUp} hands on every entry after them.
   */
  void startAt(Map<UUID, Long> positions) {
    cursors.putAll(positions);
    started = true;
  }

  /**
   * Reads what was committed while nothing reported it. The first time (unless {@link #startAt}),
   * every existing project starts at its head (there is nobody to hand history to: streams replay
   * it themselves); after that, every project whose head differs from its cursor is read.
   */
  void catchUp(Connection c) throws SQLException {
    var heads = log.heads(c);
    if (!started) {
      cursors.putAll(heads);
      started = true;
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

  /** One entry, in commit order: handed on if it continues its project's cursor and is read. */
  private void accept(StatusEvent entry, Set<UUID> reread) {
    var project = entry.projectId();
    var cursor = cursors.get(project);
    if (cursor != null && entry.id() <= cursor) {
      return; // a catch-up handed it on already, or it was published twice
    }
    if (!reads.test(project)) {
      cursors.put(project, entry.id());
      return;
    }
    if (entry.prevId() != (cursor == null ? 0 : cursor)) {
      // Something between the cursor and this entry was not reported (or the history changed):
      // the log says which.
      reread.add(project);
      return;
    }
    delivery.deliver(entry);
    cursors.put(project, entry.id());
  }

  /** The capture says the project's entries reach {@code reaches} (0: it does not know how far). */
  private void expect(UUID project, long reaches, Set<UUID> reread) {
    long cursor = cursors.getOrDefault(project, 0L);
    if (reaches != 0 && cursor >= reaches) {
      return;
    }
    if (reaches != 0 && !reads.test(project)) {
      cursors.put(project, reaches);
      return;
    }
    reread.add(project);
    if (reaches != 0) {
      pending.merge(project, reaches, Math::max);
    }
  }

  /**
   * Brings the given projects' cursors to their heads: the rows of projects read are read and
   * handed on (one query for up to {@value #PROJECTS_PER_READ} projects, again for those that had a
   * full batch); the others just take their head, read before they are checked again, so a stream
   * that starts meanwhile finds everything after that head in the log or gets it from here.
   */
  private void deliverNew(Connection c, Collection<UUID> projects) throws SQLException {
    var toRead = new ArrayList<UUID>();
    var others = new ArrayList<UUID>();
    for (var project : projects) {
      (reads.test(project) ? toRead : others).add(project);
    }
    if (!others.isEmpty()) {
      var heads = log.heads(c, others);
      for (var project : others) {
        if (reads.test(project)) {
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

  /** A project not read takes its head; a project without one is forgotten. */
  private void moveTo(UUID project, Long head) {
    if (head == null) {
      cursors.remove(project);
    } else {
      cursors.put(project, head);
    }
  }

  /**
   * Hands on what one read found after {@code cursor}; returns the number of entries read.
   *
   * @param known whether the cursor is a position this follower had (else it is 0 for a project it
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
      delivery.deliver(event);
      cursors.put(project, event.id());
    }
    return read.events().size();
  }

  private void rewound(Connection c, UUID project, long cursor, long position) throws SQLException {
    rewinds.inc();
    LOG.log(
        Level.WARNING,
        "The log of project {0} does not continue event {1}; its readers resync at {2}",
        new Object[] {project, cursor, position});
    if (cursor > position) {
      // Positions up to the cursor were handed out in a history the database no longer has: new
      // entries must go above them, or a client holding one would take a new entry for its next.
      log.raiseFloor(c, project, cursor);
    }
    cursors.put(project, position);
    delivery.reset(project, position, Reason.REWOUND);
  }
}
