package it;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * The test's own view of PostgreSQL: plain SQL, exactly as other services write it. The static
 * methods work on the database the server under test uses; {@link #create()} makes a database of a
 * test's own (for a server it starts itself), with the same methods.
 */
public final class Db implements AutoCloseable {

  private static final Db SHARED = new Db(env("DB_NAME", "labsos"));

  private final String name;

  private Db(String name) {
    this.name = name;
  }

  /** A new, empty database; closing it drops it, whoever is still connected. */
  public static Db create() {
    var db = new Db("it_" + UUID.randomUUID().toString().replace("-", ""));
    exec("CREATE DATABASE " + db.name);
    return db;
  }

  public String name() {
    return name;
  }

  /**
   * Drops the database. Its sessions are ended first, replication connections included: a database
   * whose logical replication slot is in use cannot be dropped, not even WITH (FORCE).
   */
  @Override
  public void close() {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              dropConnections();
              exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
              return true;
            });
  }

  /** Ends every session on the database, as a failover or a restore does. */
  public void dropConnections() {
    value(
        Boolean.class,
        "SELECT coalesce(bool_and(pg_terminate_backend(pid)), true) FROM pg_stat_activity"
            + " WHERE datname = ? AND pid <> pg_backend_pid()",
        name);
  }

  public static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  public static String url() {
    return url(SHARED.name);
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
    return SHARED.connection();
  }

  public static Connection connect(String database) throws SQLException {
    var props = new Properties();
    props.setProperty("user", env("DB_USER", "postgres"));
    props.setProperty("password", env("DB_PASSWORD", ""));
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(url(database), props);
  }

  public Connection connection() throws SQLException {
    return connect(name);
  }

  /** Runs one statement in its own transaction. */
  public static int exec(String sql, Object... args) {
    return SHARED.run(sql, args);
  }

  public int run(String sql, Object... args) {
    try (var c = connection();
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
    return SHARED.query(type, sql, args);
  }

  public <T> T query(Class<T> type, String sql, Object... args) {
    try (var c = connection();
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
    return SHARED.newSource(project);
  }

  public UUID newSource(UUID project) {
    var id = UUID.randomUUID();
    run(
        "INSERT INTO ingestion_sources (id, project_id, source_name, status)"
            + " VALUES (?, ?, 'papers.csv', 'queued')",
        id,
        project);
    return id;
  }

  /** What a worker writes: the source's new status; the trigger makes it a status_update event. */
  public static void setSourceStatus(UUID source, String status) {
    SHARED.sourceStatus(source, status);
  }

  public void sourceStatus(UUID source, String status) {
    run("UPDATE ingestion_sources SET status = ? WHERE id = ?", status, source);
  }

  /** The ids of the project's events in the log, in order: what its streams must carry. */
  public static List<Long> eventIds(UUID project) {
    return SHARED.idsOf(project);
  }

  public List<Long> idsOf(UUID project) {
    try (var c = connection();
        var statement =
            c.prepareStatement("SELECT id FROM status_events WHERE project_id = ? ORDER BY id")) {
      statement.setObject(1, project);
      try (var rows = statement.executeQuery()) {
        var ids = new ArrayList<Long>();
        while (rows.next()) {
          ids.add(rows.getLong(1));
        }
        return ids;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The project's position: its newest event id, 0 when it has none. */
  public static long head(UUID project) {
    return SHARED.headOf(project);
  }

  public long headOf(UUID project) {
    return query(
        Long.class,
        "SELECT coalesce((SELECT last_id FROM status_event_heads WHERE project_id = ?), 0)",
        project);
  }

  /** A new project, with the given users as members. */
  public static UUID project(String... members) {
    return SHARED.newProject(members);
  }

  public UUID newProject(String... members) {
    var id = UUID.randomUUID();
    run("INSERT INTO projects (id, name) VALUES (?, ?)", id, "test project " + id);
    for (var member : members) {
      run("INSERT INTO project_members (project_id, user_id) VALUES (?, ?)", id, member);
    }
    return id;
  }
}
