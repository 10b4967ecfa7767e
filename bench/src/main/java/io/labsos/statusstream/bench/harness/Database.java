package io.labsos.statusstream.bench.harness;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The PostgreSQL database a server under test reads, as the benchmark's writers reach it. */
public final class Database {

  private final String host;
  private final String port;
  private final String name;
  private final String user;
  private final String password;

  private Database(String host, String port, String name, String user, String password) {
    this.host = host;
    this.port = port;
    this.name = name;
    this.user = user;
    this.password = password;
  }

  /** The database of {@code DB_HOST}, {@code DB_PORT}, {@code DB_NAME}, {@code DB_USER}... */
  public static Database fromEnvironment() {
    return new Database(
        env("DB_HOST", "localhost"),
        env("DB_PORT", "5432"),
        env("DB_NAME", "labsos"),
        env("DB_USER", "postgres"),
        env("DB_PASSWORD", ""));
  }

  public String name() {
    return name;
  }

  /** How a server of the contract is told to reach this database. */
  public Map<String, String> environment() {
    return Map.of(
        "DB_HOST",
        host,
        "DB_PORT",
        port,
        "DB_NAME",
        name,
        "DB_USER",
        user,
        "DB_PASSWORD",
        password);
  }

  /**
   * A new, empty database on the same PostgreSQL (one a previous run left is dropped first), for a
   * server that creates its own schema.
   */
  public Database fresh(String database) throws SQLException {
    try (Connection db = connect();
        var statement = db.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      statement.execute("CREATE DATABASE " + database);
    }
    return new Database(host, port, database, user, password);
  }

  /** The database as a libpq URL ({@code postgres://user:password@host:port/name}). */
  public String url() {
    var credentials =
        URLEncoder.encode(user, StandardCharsets.UTF_8)
            + (password.isEmpty() ? "" : ":" + URLEncoder.encode(password, StandardCharsets.UTF_8));
    return "postgres://" + credentials + "@" + host + ":" + port + "/" + name;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + name;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), user, password);
  }

  /** New projects, each with the benchmark's user as member and one ingestion source. */
  public List<Project> projects(int count) throws SQLException {
    var result = new ArrayList<Project>();
    try (Connection db = connect();
        var insert =
            db.prepareStatement(
                "WITH p AS (INSERT INTO projects (name) SELECT 'bench' FROM generate_series(1, ?)"
                    + " RETURNING id),"
                    + " m AS (INSERT INTO project_members (project_id, user_id)"
                    + " SELECT id, ? FROM p)"
                    + " INSERT INTO ingestion_sources (project_id, source_name, status)"
                    + " SELECT id, 'bench source', 'idle' FROM p RETURNING project_id, id")) {
      insert.setInt(1, count);
      insert.setString(2, Harness.USER);
      try (var rows = insert.executeQuery()) {
        while (rows.next()) {
          result.add(new Project(rows.getObject(1, UUID.class), rows.getObject(2, UUID.class)));
        }
      }
    }
    return result;
  }

  public String setting(String name) throws SQLException {
    try (Connection db = connect();
        var rows = db.createStatement().executeQuery("SHOW " + name)) {
      rows.next();
      return rows.getString(1);
    }
  }

  /** CPU of the local PostgreSQL: the postmaster, its live backends and those that exited. */
  public long cpuMillis() throws SQLException {
    var cpu = cpu();
    return cpu == null ? 0 : cpu.totalMillis();
  }

  /**
   * CPU of the local PostgreSQL so far, in all and in parts (see {@link PostgresCpu}); null where
   * PostgreSQL is not a process on this machine.
   */
  public PostgresCpu cpu() throws SQLException {
    try (Connection db = connect();
        var statement = db.createStatement()) {
      long backend;
      try (var rows = statement.executeQuery("SELECT pg_backend_pid()")) {
        rows.next();
        backend = rows.getLong(1);
      }
      var postmaster = ProcessHandle.of(backend).flatMap(ProcessHandle::parent);
      if (postmaster.isEmpty()) {
        return null;
      }
      long total = Proc.cpuMillis(postmaster.get().pid());
      for (var child : postmaster.get().children().toList()) {
        total += Proc.cpuMillis(child.pid());
      }
      long walSenders = 0;
      long listeners = 0;
      long relay = 0;
      try (var rows =
          statement.executeQuery(
              "SELECT pid, backend_type, application_name FROM pg_stat_activity")) {
        while (rows.next()) {
          var type = rows.getString(2);
          var application = rows.getString(3) == null ? "" : rows.getString(3);
          if ("walsender".equals(type)) {
            walSenders += Proc.cpuMillis(rows.getLong(1));
          } else if (application.startsWith("status-stream-")) {
            listeners += Proc.cpuMillis(rows.getLong(1));
          } else if (application.startsWith("status-stream relay ")) {
            relay += Proc.cpuMillis(rows.getLong(1));
          }
        }
      }
      return new PostgresCpu(total, walSenders, listeners, relay);
    }
  }

  private static String env(String name, String fallback) {
    var value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
