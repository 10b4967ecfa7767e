package io.labsos.statusstream.access.control;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.UUID;
import javax.sql.DataSource;

/** Whether a user may see a project: a row in project_members. */
@ApplicationScoped
public class Membership {

  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  public boolean isMember(UUID project, String user) throws SQLException {
    try (var connection = pool.getConnection();
        var query =
            connection.prepareStatement(
                "SELECT 1 FROM project_members WHERE project_id = ? AND user_id = ?")) {
      query.setObject(1, project);
      query.setString(2, user);
      try (var rows = query.executeQuery()) {
        return rows.next();
      }
    }
  }

  /** Of the given projects, how many the user is a member of (each counted once). */
  public int memberOf(Collection<UUID> projects, String user) throws SQLException {
    try (var connection = pool.getConnection()) {
      return memberOf(connection, projects, user);
    }
  }

  /** {@link #memberOf(Collection, String)} on a connection of the caller's. */
  public int memberOf(Connection connection, Collection<UUID> projects, String user)
      throws SQLException {
    try (var query =
        connection.prepareStatement(
            "SELECT count(DISTINCT project_id) FROM project_members"
                + " WHERE user_id = ? AND project_id = ANY (?)")) {
      query.setString(1, user);
      query.setArray(2, connection.createArrayOf("uuid", projects.toArray()));
      try (var rows = query.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }
}
