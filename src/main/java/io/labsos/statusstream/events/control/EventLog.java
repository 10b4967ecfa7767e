package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Reads the durable event log that the capture triggers append to. Ids grow strictly within a
 * project in commit order (a row lock on the project's head serializes its writers), so "every
 * event after id N" is a complete answer at any moment; each event names the id before it ({@code
 * prev_id}), so a reader can tell that what it read continues its position. A deleted project's log
 * ends with a {@link StatusEvent#DELETED} entry, and its head remembers it ({@code deleted_id}):
 * nothing before it continues into what a re-created project of the same id writes.
 */
@ApplicationScoped
public class EventLog {

  /** The columns every read returns, in this order. */
  private static final String EVENT =
      "e.project_id, e.id, coalesce(e.prev_id, e.id - 1), e.payload::text, e.created_at";

  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  /**
   * Where a client's position stands against the log.
   *
   * @param head the project's newest id (0 when it has none)
   * @param continues whether the log continues the position: it is the head, or the event after it
   *     names it as its predecessor. Not when the events after it were purged, nor when the
   *     position belongs to a history the database no longer has (a restore, a failover), nor when
   *     it is older than the project's deletion (a project re-created with the same id).
   * @param since the id of the project's deletion entry, 0 if it was never deleted: a reader
   *     without a position starts after it
   */
  public record Position(long head, boolean continues, long since) {}

  /** A project's head and what the log holds after a cursor, as the listener reads them. */
  public record Read(UUID project, Long head, List<StatusEvent> events) {}

  public List<StatusEvent> after(UUID project, long afterId, int limit) throws SQLException {
    try (var connection = pool.getConnection();
        var query =
            connection.prepareStatement(
                "SELECT "
                    + EVENT
                    + " FROM status_events e WHERE e.project_id = ? AND e.id > ?"
                    + " ORDER BY e.id LIMIT ?")) {
      query.setObject(1, project);
      query.setLong(2, afterId);
      query.setInt(3, limit);
      try (var rows = query.executeQuery()) {
        var events = new ArrayList<StatusEvent>();
        while (rows.next()) {
          events.add(event(rows, 1));
        }
        return events;
      }
    }
  }

  /**
   * For each project: its head (null when it has none: deleted, or never had an event) and the
   * events after its cursor, at most {@code limitPerProject}, in one round trip. What the listener
   * reads when projects it delivers moved.
   */
  public List<Read> afterEach(Connection connection, Map<UUID, Long> cursors, int limitPerProject)
      throws SQLException {
    var projects = cursors.keySet().toArray(UUID[]::new);
    var after = new Long[projects.length];
    for (int i = 0; i < projects.length; i++) {
      after[i] = cursors.get(projects[i]);
    }
    try (var query =
        connection.prepareStatement(
            "SELECT c.project_id, h.last_id, "
                + EVENT
                + " FROM unnest(?::uuid[], ?::bigint[]) AS c (project_id, after_id)"
                + " LEFT JOIN status_event_heads h ON h.project_id = c.project_id"
                + " LEFT JOIN LATERAL (SELECT * FROM status_events"
                + " WHERE project_id = c.project_id AND id > c.after_id ORDER BY id LIMIT ?) e"
                + " ON true ORDER BY c.project_id, e.id")) {
      query.setArray(1, connection.createArrayOf("uuid", projects));
      query.setArray(2, connection.createArrayOf("bigint", after));
      query.setInt(3, limitPerProject);
      try (var rows = query.executeQuery()) {
        var reads = new ArrayList<Read>();
        Read read = null;
        while (rows.next()) {
          var project = rows.getObject(1, UUID.class);
          if (read == null || !read.project().equals(project)) {
            long head = rows.getLong(2);
            read = new Read(project, rows.wasNull() ? null : head, new ArrayList<>());
            reads.add(read);
          }
          rows.getLong(4);
          if (!rows.wasNull()) {
            read.events().add(event(rows, 3));
          }
        }
        return reads;
      }
    }
  }

  /**
   * Where the log stands after {@code lastEventId}: see {@link Position}. A reader that then reads
   * the events after it still checks that the first one names it: a purge may come in between.
   */
  public Position position(UUID project, long lastEventId) throws SQLException {
    try (var connection = pool.getConnection();
        var query =
            connection.prepareStatement(
                "SELECT h.last_id, h.deleted_id,"
                    + " (SELECT coalesce(e.prev_id, e.id - 1) FROM status_events e"
                    + " WHERE e.project_id = c.project_id AND e.id > ? ORDER BY e.id LIMIT 1)"
                    + " FROM (SELECT ?::uuid AS project_id) c"
                    + " LEFT JOIN status_event_heads h ON h.project_id = c.project_id")) {
      query.setLong(1, lastEventId);
      query.setObject(2, project);
      try (var rows = query.executeQuery()) {
        rows.next();
        long head = rows.getLong(1);
        long since = rows.getLong(2);
        long next = rows.getLong(3);
        boolean nextNamesIt = !rows.wasNull() && next == lastEventId;
        boolean continues =
            lastEventId >= since && (lastEventId == head || (lastEventId < head && nextNamesIt));
        return new Position(head, continues, since);
      }
    }
  }

  /**
   * Where each of several positions stands against its project's log, in one round trip: see {@link
   * #position}.
   */
  public Map<UUID, Position> positions(Map<UUID, Long> lastEventIds) throws SQLException {
    try (var connection = pool.getConnection()) {
      return positions(connection, lastEventIds);
    }
  }

  /** {@link #positions(Map)} on a connection of the caller's. */
  public Map<UUID, Position> positions(Connection connection, Map<UUID, Long> lastEventIds)
      throws SQLException {
    var projects = lastEventIds.keySet().toArray(UUID[]::new);
    var after = new Long[projects.length];
    for (int i = 0; i < projects.length; i++) {
      after[i] = lastEventIds.get(projects[i]);
    }
    try (var query =
        connection.prepareStatement(
            "SELECT c.project_id, c.after_id, h.last_id, h.deleted_id,"
                + " (SELECT coalesce(e.prev_id, e.id - 1) FROM status_events e"
                + " WHERE e.project_id = c.project_id AND e.id > c.after_id"
                + " ORDER BY e.id LIMIT 1)"
                + " FROM unnest(?::uuid[], ?::bigint[]) AS c (project_id, after_id)"
                + " LEFT JOIN status_event_heads h ON h.project_id = c.project_id")) {
      query.setArray(1, connection.createArrayOf("uuid", projects));
      query.setArray(2, connection.createArrayOf("bigint", after));
      var positions = new HashMap<UUID, Position>();
      try (var rows = query.executeQuery()) {
        while (rows.next()) {
          long lastEventId = rows.getLong(2);
          long head = rows.getLong(3);
          long since = rows.getLong(4);
          long next = rows.getLong(5);
          boolean nextNamesIt = !rows.wasNull() && next == lastEventId;
          positions.put(
              rows.getObject(1, UUID.class),
              new Position(head, continues(lastEventId, head, since, nextNamesIt), since));
        }
      }
      return positions;
    }
  }

  private static boolean continues(long lastEventId, long head, long since, boolean nextNamesIt) {
    return lastEventId >= since && (lastEventId == head || (lastEventId < head && nextNamesIt));
  }

  /**
   * Positions up to {@code id} were handed out in a history the database no longer has: the
   * project's next entries take ids above it (the capture triggers read the floor).
   */
  public void raiseFloor(Connection connection, UUID project, long id) throws SQLException {
    try (var update =
        connection.prepareStatement(
            "UPDATE status_event_heads SET floor_id = ? WHERE project_id = ?"
                + " AND coalesce(floor_id, 0) < ?")) {
      update.setLong(1, id);
      update.setObject(2, project);
      update.setLong(3, id);
      update.executeUpdate();
    }
  }

  /** The last id of every project that has events. */
  public Map<UUID, Long> heads(Connection connection) throws SQLException {
    try (var query = connection.createStatement();
        var rows = query.executeQuery("SELECT project_id, last_id FROM status_event_heads")) {
      return heads(rows);
    }
  }

  /** The last id of those of the projects that have events. */
  public Map<UUID, Long> heads(Connection connection, Collection<UUID> projects)
      throws SQLException {
    try (var query =
        connection.prepareStatement(
            "SELECT project_id, last_id FROM status_event_heads WHERE project_id = ANY (?)")) {
      query.setArray(1, connection.createArrayOf("uuid", projects.toArray()));
      try (var rows = query.executeQuery()) {
        return heads(rows);
      }
    }
  }

  private static Map<UUID, Long> heads(ResultSet rows) throws SQLException {
    var heads = new HashMap<UUID, Long>();
    while (rows.next()) {
      heads.put(rows.getObject(1, UUID.class), rows.getLong(2));
    }
    return heads;
  }

  private static StatusEvent event(ResultSet rows, int first) throws SQLException {
    return new StatusEvent(
        rows.getObject(first, UUID.class),
        rows.getLong(first + 1),
        rows.getLong(first + 2),
        rows.getString(first + 3),
        rows.getTimestamp(first + 4).toInstant());
  }
}
