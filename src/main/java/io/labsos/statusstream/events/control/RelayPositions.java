package io.labsos.statusstream.events.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What the relay durably published, per project ({@code status_stream_relay_positions}): where the
 * next relay starts, and the only thing any relay remembers.
 */
final class RelayPositions {

  private RelayPositions() {}

  static Map<UUID, Long> load(Connection c) throws SQLException {
    try (var query = c.createStatement();
        var rows =
            query.executeQuery(
                "SELECT project_id, published_id FROM status_stream_relay_positions")) {
      var positions = new HashMap<UUID, Long>();
      while (rows.next()) {
        positions.put(rows.getObject(1, UUID.class), rows.getLong(2));
      }
      return positions;
    }
  }

  /** Records positions the brokers acknowledged, in one statement. */
  static void save(Connection c, Map<UUID, Long> published) throws SQLException {
    if (published.isEmpty()) {
      return;
    }
    var projects = published.keySet().toArray(UUID[]::new);
    var ids = new Long[projects.length];
    for (int i = 0; i < projects.length; i++) {
      ids[i] = published.get(projects[i]);
    }
    try (var upsert =
        c.prepareStatement(
            "INSERT INTO status_stream_relay_positions AS p (project_id, published_id)"
                + " SELECT * FROM unnest(?::uuid[], ?::bigint[])"
                + " ON CONFLICT (project_id) DO UPDATE"
                + " SET published_id = excluded.published_id, published_at = now()")) {
      upsert.setArray(1, c.createArrayOf("uuid", projects));
      upsert.setArray(2, c.createArrayOf("bigint", ids));
      upsert.executeUpdate();
    }
  }

  /** Forgets the projects the log no longer has (their head is gone). */
  static void forgetGone(Connection c) throws SQLException {
    try (var delete = c.createStatement()) {
      delete.executeUpdate(
          "DELETE FROM status_stream_relay_positions p WHERE NOT EXISTS"
              + " (SELECT 1 FROM status_event_heads h WHERE h.project_id = p.project_id)");
    }
  }
}
