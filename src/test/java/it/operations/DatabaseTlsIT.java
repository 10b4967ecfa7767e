package it.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import it.Http;
import it.JarServer;
import it.SseClient;
import it.TlsPostgres;
import it.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to PostgreSQL as operators run it: a server that accepts TLS connections only, with a
 * certificate of a CA of its own; the runnable jar with {@code DB_SSLMODE=verify-full}, {@code
 * DB_SSLROOTCERT} and {@code DB_HOST=localhost}. With a root certificate of another CA it does not
 * become ready; with the right one (pgjdbc reads the file at every connection, so without a
 * restart) the pool, the listener and, in logical mode, the replication connection all connect over
 * TLS, and events stream.
 */
class DatabaseTlsIT {

  private static final int PORT = 9320;
  private static final int MANAGEMENT_PORT = 9321;
  private static final int PG_PORT = 55461;
  private static final String DATABASE = "labsos_tls";

  @Test
  void connectsOnlyToAVerifiedServerAndStreamsInBothCaptureModes(@TempDir Path work)
      throws Exception {
    var java = Path.of(System.getProperty("java.home"), "bin", "java");
    try (var postgres = TlsPostgres.start(PG_PORT)) {
      postgres.exec("postgres", "CREATE DATABASE " + DATABASE);
      assertThatThrownBy(() -> plainConnection(postgres))
          .as("the server refuses connections without TLS")
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("no encryption");

      var rootCert = work.resolve("root.pem");
      Files.copy(postgres.otherCaPem(), rootCert);
      try (var server =
          new JarServer(java, work, PORT, settings(postgres, rootCert, "notify")).launch()) {
        var ready = server.uri("/health/ready");
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> Files.readString(server.output()).contains("PKIX path"));
        var down = Http.get(ready);
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).contains("\"database\":\"unreachable\"");

        // The operator puts the right CA in place: no restart needed.
        Files.copy(postgres.caPem(), rootCert, StandardCopyOption.REPLACE_EXISTING);
        server.awaitReady();
        streamsAnUpdate(server, postgres);
        assertThat(connectionsWithoutTls(postgres)).isZero();
        assertThat(serviceConnections(postgres)).contains("status-stream-listener");
      }

      try (var server =
          new JarServer(java, work, PORT, settings(postgres, rootCert, "logical")).start()) {
        streamsAnUpdate(server, postgres);
        assertThat(connectionsWithoutTls(postgres)).isZero();
        assertThat(serviceConnections(postgres)).contains("status-stream-feed");
      }
    }
  }

  private static Map<String, String> settings(TlsPostgres postgres, Path rootCert, String mode) {
    var env = new HashMap<>(JarServer.trustingTestTokens());
    env.put("MANAGEMENT_PORT", String.valueOf(MANAGEMENT_PORT));
    env.put("DB_HOST", "localhost");
    env.put("DB_PORT", String.valueOf(postgres.port()));
    env.put("DB_NAME", DATABASE);
    env.put("DB_USER", "postgres");
    env.put("DB_PASSWORD", "");
    env.put("DB_SSLMODE", "verify-full");
    env.put("DB_SSLROOTCERT", rootCert.toString());
    env.put("CHANGE_CAPTURE", mode);
    return env;
  }

  private static void streamsAnUpdate(JarServer server, TlsPostgres postgres) throws Exception {
    var project = UUID.randomUUID();
    var source = UUID.randomUUID();
    postgres.exec(
        DATABASE,
        "INSERT INTO projects (id, name) VALUES ('" + project + "', 'tls')",
        "INSERT INTO project_members (project_id, user_id) VALUES ('" + project + "', 'alice')",
        "INSERT INTO ingestion_sources (id, project_id, status) VALUES ('"
            + source
            + "', '"
            + project
            + "', 'queued')");
    try (var stream =
        SseClient.open(
                server.uri("/api/projects/" + project + "/status"),
                "Authorization",
                "Bearer " + Tokens.forUser("alice"))
            .awaitConnected()) {
      postgres.exec(
          DATABASE, "UPDATE ingestion_sources SET status = 'done' WHERE id = '" + source + "'");
      stream.awaitProjectEvents(1);
      assertThat(stream.projectEvents().get(0).data()).contains("\"status\":\"done\"");
    }
  }

  /** Connections of the service (every one is named status-stream...) that do not use TLS. */
  private static long connectionsWithoutTls(TlsPostgres postgres) throws SQLException {
    try (var connection = postgres.connect("postgres");
        var rows =
            connection
                .createStatement()
                .executeQuery(
                    "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)"
                        + " WHERE a.application_name LIKE 'status-stream%' AND NOT s.ssl")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static String serviceConnections(TlsPostgres postgres) throws SQLException {
    try (var connection = postgres.connect("postgres");
        var rows =
            connection
                .createStatement()
                .executeQuery(
                    "SELECT string_agg(application_name, ',') FROM pg_stat_activity"
                        + " WHERE application_name LIKE 'status-stream%'")) {
      rows.next();
      return String.valueOf(rows.getString(1));
    }
  }

  private static void plainConnection(TlsPostgres postgres) throws SQLException {
    var props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("sslmode", "disable");
    DriverManager.getConnection(
            "jdbc:postgresql://localhost:" + postgres.port() + "/" + DATABASE, props)
        .close();
  }
}
