package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Reads the durable event log that the triggers of {@code V2__event_log.sql} append to. Ids are per
 * project, gapless and in commit order (a row lock on the project's head serializes its writers),
 * so "every event after id N" is a complete answer at any moment.
 */
@ApplicationScoped
public class EventLog {

  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  /** Where a client's cursor stands against the log. */
  public record Position(long head, boolean resyncRequired) {}

  public List<StatusEvent> after(UUID project, long afterId, int limit) throws SQLException {
    try (var connection = pool.getConnection();
        var query =
            connection.prepareStatement(
                "SELECT id, payload::text, created_at FROM status_events"
                    + " WHERE project_id = ? AND id > ? ORDER BY id LIMIT ?")) {
      query.setObject(1, project);
      query.setLong(2, afterId);
      query.setInt(3, limit);
      try (var rows = query.executeQuery()) {
        var events = new ArrayList<StatusEvent>();
        while (rows.next()) {
          events.add(
              new StatusEvent(
                  project, rows.getLong(1), rows.getString(2), rows.getTimestamp(3).toInstant()));
        }
        return events;
      }
    }
  }

  /**
   * The events after each project's cursor, at most {@code limitPerProject} per project, in one
   * round trip: ordered by project, then id. What the listener reads when many projects moved.
   */
  public List<StatusEvent> afterEach(
      Connection connection, Map<UUID, Long> cursors, int limitPerProject) throws SQLException {
    var projects = cursors.keySet().toArray(UUID[]::new);
    var after = new Long[projects.length];
    for (int i = 0; i < projects.length; i++) {
      after[i] = cursors.get(projects[i]);
    }
    try (var query =
        connection.prepareStatement(
            "SELECT c.project_id, e.id, e.payload::text, e.created_at"
                + " FROM unnest(?::uuid[], ?::bigint[]) AS c (project_id, after_id)"
                + " CROSS JOIN LATERAL (SELECT id, payload, created_at FROM status_events"
                + " WHERE project_id = c.project_id AND id > c.after_id ORDER BY id LIMIT ?) e"
                + " ORDER BY c.project_id, e.id")) {
      query.setArray(1, connection.createArrayOf("uuid", projects));
      query.setArray(2, connection.createArrayOf("bigint", after));
      query.setInt(3, limitPerProject);
      try (var rows = query.executeQuery()) {
        var events = new ArrayList<StatusEvent>();
        while (rows.next()) {
          events.add(
              new StatusEvent(
                  rows.getObject(1, UUID.class),
                  rows.getLong(2),
                  rows.getString(3),
                  rows.getTimestamp(4).toInstant()));
        }
        return events;
      }
    }
  }

  /**
   * Whether the events after {@code lastEventId} can still be replayed: not when the next one was
   * purged by retention, nor when the id is newer than any issued (a restored database).
   */
  public Position position(UUID project, long lastEventId) throws SQLException {
    try (var connection = pool.getConnection();
        var query =
            connection.prepareStatement(
                "SELECT coalesce((SELECT last_id FROM status_event_heads WHERE project_id = ?), 0),"
                    + " EXISTS (SELECT 1 FROM status_events WHERE project_id = ? AND id = ?)")) {
      query.setObject(1, project);
      query.setObject(2, project);
      query.setLong(3, lastEventId + 1);
      try (var rows = query.executeQuery()) {
        rows.next();
        long head = rows.getLong(1);
        boolean nextRetained = rows.getBoolean(2);
        boolean resync = lastEventId > head || (lastEventId < head && !nextRetained);
        return new Position(head, resync);
      }
    }
  }

  /**
   * The cursor from which what is retained of a project can be replayed: one below its oldest
   * retained event, or its head when retention left none.
   */
  public long oldestRetained(UUID project) throws SQLException {
    try (var connection = pool.getConnection();
        var query =
            connection.prepareStatement(
                "SELECT coalesce((SELECT min(id) - 1 FROM status_events WHERE project_id = ?),"
                    + " (SELECT last_id FROM status_event_heads WHERE project_id = ?), 0)")) {
      query.setObject(1, project);
      query.setObject(2, project);
      try (var rows = query.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /** The last issued id of every project that has events. */
  public Map<UUID, Long> heads(Connection connection) throws SQLException {
    try (var query = connection.createStatement();
        var rows = query.executeQuery("SELECT project_id, last_id FROM status_event_heads")) {
      var heads = new HashMap<UUID, Long>();
      while (rows.next()) {
        heads.put(rows.getObject(1, UUID.class), rows.getLong(2));
      }
      return heads;
    }
  }
}
