package it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.UUID;

/** The test's own view of PostgreSQL: plain SQL, exactly as other services write it. */
public final class Db {

  private Db() {}

  public static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  public static String url() {
    return url(env("DB_NAME", "labsos"));
  }

  public static String url(String database) {
    return "jdbc:postgresql://"
        + env("DB_HOST", "localhost")
        + ":"
        + env("DB_PORT", "5432")
        + "/"
        + database;
  }

  public static Connection connect() throws SQLException {
    return connect(env("DB_NAME", "labsos"));
  }

  public static Connection connect(String database) throws SQLException {
    var props = new Properties();
    props.setProperty("user", env("DB_USER", "postgres"));
    props.setProperty("password", env("DB_PASSWORD", ""));
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(url(database), props);
  }

  /** Runs one statement in its own transaction. */
  public static int exec(String sql, Object... args) {
    try (var c = connect();
        var statement = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** Runs a query whose answer is one value. */
  public static <T> T value(Class<T> type, String sql, Object... args) {
    try (var c = connect();
        var statement = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      try (var rows = statement.executeQuery()) {
        rows.next();
        return rows.getObject(1, type);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** A new ingestion source of the project, named papers.csv and queued. */
  public static UUID source(UUID project) {
    var id = UUID.randomUUID();
    exec(
        "INSERT INTO ingestion_sources (id, project_id, source_name, status)"
            + " VALUES (?, ?, 'papers.csv', 'queued')",
        id,
        project);
    return id;
  }

  /** What a worker writes: the source's new status; the trigger makes it a status_update event. */
  public static void setSourceStatus(UUID source, String status) {
    exec("UPDATE ingestion_sources SET status = ? WHERE id = ?", status, source);
  }

  /** A new project, with the given users as members. */
  public static UUID project(String... members) {
    var id = UUID.randomUUID();
    exec("INSERT INTO projects (id, name) VALUES (?, ?)", id, "test project " + id);
    for (var member : members) {
      exec("INSERT INTO project_members (project_id, user_id) VALUES (?, ?)", id, member);
    }
    return id;
  }
}
