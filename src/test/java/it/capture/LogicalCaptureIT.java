package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * {@code CHANGE_CAPTURE=logical}: the triggers stop NOTIFYing, the listener reads the log's inserts
 * from a temporary replication slot of its own (gone with the instance), through a publication of
 * its own schema's log; the slot follows the server while the log is quiet; a lost publication is
 * an outage like any other; and when the database cannot do it the instance says so and stays not
 * ready, never falling back to notify. (Every stream, fault and ordering test also runs in this
 * mode: the failsafe execution "logical-capture".)
 */
class LogicalCaptureIT {

  private static final int PORT = 9189;
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  /**
   * A deployment in a schema of its own, in a database where another deployment (in {@code public})
   * has its log and its publication already.
   */
  @Test
  void streamsItsOwnSchemasLogThroughItsOwnTemporarySlotAndPublication(@TempDir Path work)
      throws Exception {
    var tenant = "tenant_" + UUID.randomUUID().toString().substring(0, 8);
    Db.exec("CREATE ROLE " + tenant + " LOGIN PASSWORD 'secret' REPLICATION CREATEROLE NOINHERIT");
    try (var db = Db.create()) {
      Db.exec("GRANT CREATE ON DATABASE " + db.name() + " TO " + tenant);
      db.run("CREATE SCHEMA " + tenant + " AUTHORIZATION " + tenant);
      db.run(
          "CREATE TABLE public.status_events (project_id uuid, id bigint, prev_id bigint,"
              + " payload json, created_at timestamptz NOT NULL DEFAULT now(),"
              + " PRIMARY KEY (project_id, id))");
      db.run(
          "CREATE PUBLICATION status_stream_events FOR TABLE public.status_events"
              + " WITH (publish = 'insert')");
      try (var server =
              new JarServer(
                      JAVA,
                      work,
                      PORT,
                      JarServer.trustingTestTokens(
                          "DB_NAME", db.name(),
                          "DB_USER", tenant,
                          "DB_PASSWORD", "secret",
                          "CHANGE_CAPTURE", "logical",
                          "STREAM_HEARTBEAT_SECONDS", "2",
                          // Less than one large transaction below takes as rows: the feed must not
                          // hold a transaction whole.
                          "JVM_ARGS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx192m"))
                  .start();
          var listening = db.connection()) {
        assertThat(
                db.query(Boolean.class, "SELECT notify FROM " + tenant + ".status_stream_capture"))
            .isFalse();
        assertThat(slots(db)).isEqualTo(1L);
        try (var s = listening.createStatement()) {
          s.execute("LISTEN status_stream");
        }
        var project = UUID.randomUUID();
        db.run("INSERT INTO " + tenant + ".projects (id) VALUES (?)", project);
        db.run(
            "INSERT INTO " + tenant + ".project_members (project_id, user_id) VALUES (?, 'alice')",
            project);
        var source = UUID.randomUUID();
        db.run(
            "INSERT INTO "
                + tenant
                + ".ingestion_sources (id, project_id, source_name) VALUES (?, ?, 'a.csv')",
            source,
            project);
        var stream = server.uri("/api/projects/" + project + "/status");
        try (var client =
            SseClient.open(stream, "Authorization", "Bearer " + Tokens.forUser("alice"))
                .awaitConnected()) {
          // The other deployment's log has an entry of the same project id: not this one's.
          db.run(
              "INSERT INTO public.status_events (project_id, id, prev_id, payload)"
                  + " VALUES (?, 1, 0, '{\"type\":\"other deployment\"}')",
              project);
          for (int i = 0; i < 5; i++) {
            db.run(
                "UPDATE " + tenant + ".ingestion_sources SET status = ? WHERE id = ?",
                "step " + i,
                source);
          }
          assertThat(client.awaitProjectEvents(5).projectEventIds())
              .isEqualTo(ids(db, tenant, project));
          assertThat(String.join("\n", client.lines())).doesNotContain("other deployment");

          // A transaction larger than the instance's heap, of a project nobody watches here, and
          // then one that has a stream: the instance takes both, the stream gets its event.
          var large = UUID.randomUUID();
          db.run("INSERT INTO " + tenant + ".projects (id) VALUES (?)", large);
          db.run(
              "INSERT INTO "
                  + tenant
                  + ".proposed_nodes (project_id, title) SELECT ?, repeat('x', 1000)"
                  + " FROM generate_series(1, 150000)",
              large);
          db.run(
              "UPDATE "
                  + tenant
                  + ".ingestion_sources SET status = 'after the large one' WHERE id = ?",
              source);
          assertThat(client.awaitProjectEvents(6).projectEventIds())
              .isEqualTo(ids(db, tenant, project));
          assertThat(server.isAlive()).isTrue();

          // While only other tables are written, the slot follows the server: it keeps no WAL.
          db.run("CREATE TABLE public.filler (x text)");
          db.run(
              "INSERT INTO public.filler SELECT repeat('x', 1000) FROM generate_series(1, 40000)");
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofSeconds(1))
              .untilAsserted(
                  () ->
                      assertThat(
                              Db.value(
                                  Long.class,
                                  "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(),"
                                      + " confirmed_flush_lsn)::bigint FROM pg_replication_slots"
                                      + " WHERE database = ? AND temporary",
                                  db.name()))
                          .as("WAL the slot holds")
                          .isLessThan(16L << 20));

          // The publication goes: an outage like any other, the stream stays open meanwhile, and
          // what was written is delivered once the instance has it back.
          db.run("DROP PUBLICATION status_stream_events_" + tenant);
          db.run(
              "UPDATE " + tenant + ".ingestion_sources SET status = 'while lost' WHERE id = ?",
              source);
          var lost = Instant.now();
          await()
              .atMost(Duration.ofSeconds(20))
              .until(() -> Http.get(server.uri("/health/ready")).statusCode() == 503);
          await()
              .atMost(Duration.ofSeconds(40))
              .until(() -> client.projectEvents().size() == 7 || client.ended());
          assertThat(client.ended()).as("ended " + Duration.between(lost, Instant.now())).isFalse();
          assertThat(client.projectEventIds()).isEqualTo(ids(db, tenant, project));
        }
        try (var s = listening.createStatement()) {
          s.execute("SELECT 1"); // a round trip: any NOTIFY sent has reached this connection
        }
        var notifications = listening.unwrap(PGConnection.class).getNotifications();
        assertThat(notifications == null ? 0 : notifications.length)
            .as("NOTIFYs sent for the writes")
            .isZero();
      }
      // The slot was temporary: it went with the instance's connection.
      await().atMost(Duration.ofSeconds(30)).until(() -> slots(db) == 0L);
    } finally {
      Db.exec("DROP OWNED BY " + tenant);
      Db.exec("DROP ROLE " + tenant);
      Db.exec("DROP OWNED BY status_stream_capture_" + tenant);
      Db.exec("DROP ROLE IF EXISTS status_stream_capture_" + tenant);
    }
  }

  /**
   * A user that may create nothing: the migration says what an administrator must run for the
   * capture's role, and once that is done, that logical capture needs the REPLICATION attribute.
   */
  @Test
  void saysWhatItNeedsAndStaysNotReadyWhenTheDatabaseCannotDoIt(@TempDir Path work)
      throws Exception {
    var role = "no_replication_" + UUID.randomUUID().toString().substring(0, 8);
    Db.exec("CREATE ROLE " + role + " LOGIN PASSWORD 'secret' NOREPLICATION");
    try (var db = Db.create()) {
      Db.exec("ALTER DATABASE " + db.name() + " OWNER TO " + role);
      db.run("ALTER SCHEMA public OWNER TO " + role);
      try (var server =
          new JarServer(
                  JAVA,
                  work,
                  PORT,
                  JarServer.trustingTestTokens(
                      "DB_NAME",
                      db.name(),
                      "DB_USER",
                      role,
                      "DB_PASSWORD",
                      "secret",
                      "CHANGE_CAPTURE",
                      "logical"))
              .launch()) {
        var ready = server.uri("/health/ready");
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .ignoreExceptions()
            .until(() -> Files.readString(server.output()).contains("GRANT status_stream_capture"));
        assertThat(Http.get(ready).body()).contains("not migrated");
        // What the log said to run, as an administrator.
        Db.exec(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname ="
                + " 'status_stream_capture') THEN CREATE ROLE status_stream_capture NOLOGIN"
                + " NOINHERIT; END IF; END $$");
        Db.exec("GRANT status_stream_capture TO " + role);

        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .ignoreExceptions()
            .until(() -> Http.get(ready).body().contains("REPLICATION"));
        assertThat(Http.get(ready).statusCode()).isEqualTo(503);
        assertThat(Http.get(server.uri("/health/live")).statusCode()).isEqualTo(200);
        assertThat(db.query(Boolean.class, "SELECT notify FROM status_stream_capture"))
            .as("nothing switched: other instances in notify mode still get their NOTIFYs")
            .isTrue();
        assertThat(
                Http.get(
                        server.uri("/api/projects/" + UUID.randomUUID() + "/status"),
                        "Authorization",
                        "Bearer " + Tokens.forUser("alice"))
                    .statusCode())
            .isEqualTo(503);
        assertThat(server.output()).content().contains("CHANGE_CAPTURE=logical is not possible");
      }
    } finally {
      Db.exec("REVOKE status_stream_capture FROM " + role);
      Db.exec("DROP ROLE " + role);
    }
  }

  private static long slots(Db db) {
    return Db.value(
        Long.class,
        "SELECT count(*) FROM pg_replication_slots WHERE database = ? AND temporary",
        db.name());
  }

  private static java.util.List<Long> ids(Db db, String schema, UUID project) {
    var ids = new java.util.ArrayList<Long>();
    try (var c = db.connection();
        var s =
            c.prepareStatement(
                "SELECT id FROM " + schema + ".status_events WHERE project_id = ? ORDER BY id")) {
      s.setObject(1, project);
      try (var rows = s.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getLong(1));
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return ids;
  }
}
