package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import it.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deploy next to a busy service: the migration's triggers need locks on tables that service
 * writes. A long transaction of that service makes the migration wait at most {@code
 * MIGRATION_LOCK_TIMEOUT_SECONDS} per attempt (then it retries), and never the service's writers
 * behind the migration.
 */
class MigrationLockIT {

  private static final int PORT = 9189;

  @Test
  void aLongTransactionOfAnotherServiceDelaysTheMigrationNotItsWriters(@TempDir Path work)
      throws Exception {
    try (var db = Db.create()) {
      var job = UUID.randomUUID();
      try (var c = db.connection();
          var s = c.createStatement()) {
        // The other service was there first, with its tables and a job it updates.
        s.execute(
            "CREATE TABLE projects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text,"
                + " created_at timestamptz NOT NULL DEFAULT now())");
        s.execute(
            "CREATE TABLE jobs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                + " project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
                + " progress_stage text, progress_current integer, progress_total integer,"
                + " progress_message text, progress_updated_at timestamptz DEFAULT now())");
        var project = UUID.randomUUID();
        s.execute("INSERT INTO projects (id) VALUES ('" + project + "')");
        s.execute("INSERT INTO jobs (id, project_id) VALUES ('" + job + "', '" + project + "')");
      }
      try (var longTransaction = db.connection();
          var writer = db.connection()) {
        longTransaction.setAutoCommit(false);
        try (var s = longTransaction.createStatement()) {
          s.executeQuery("SELECT count(*) FROM jobs").close();
        }
        try (var s = writer.createStatement()) {
          s.execute("SET statement_timeout = '10s'");
        }
        try (var server =
            new JarServer(
                    Path.of(System.getProperty("java.home"), "bin", "java"),
                    work,
                    PORT,
                    JarServer.trustingTestTokens(
                        "DB_NAME", db.name(), "MIGRATION_LOCK_TIMEOUT_SECONDS", "1"))
                .launch()) {
          long[] slowest = {0};
          // While the migration has given up on the lock twice, the writer keeps writing.
          await()
              .atMost(Duration.ofSeconds(120))
              .pollInterval(Duration.ofMillis(200))
              .until(
                  () -> {
                    long started = System.nanoTime();
                    try (var update =
                        writer.prepareStatement(
                            "UPDATE jobs SET progress_message = 'working' WHERE id = ?")) {
                      update.setObject(1, job);
                      update.executeUpdate();
                    }
                    slowest[0] = Math.max(slowest[0], System.nanoTime() - started);
                    return lockWaits(server) >= 2;
                  });
          assertThat(Duration.ofNanos(slowest[0]))
              .as("the longest a writer waited")
              .isLessThan(Duration.ofSeconds(4));
          assertThat(Http.get(server.uri("/health/started")).statusCode()).isEqualTo(503);

          longTransaction.commit();
          server.awaitReady();
          try (var update =
              writer.prepareStatement(
                  "UPDATE jobs SET progress_updated_at = clock_timestamp() WHERE id = ?")) {
            update.setObject(1, job);
            update.executeUpdate();
          }
          assertThat(
                  db.query(
                      Long.class,
                      "SELECT count(*) FROM status_events WHERE payload->>'jobId' = ?",
                      job.toString()))
              .as("the triggers are in place")
              .isEqualTo(1L);

          // The migration's lock timeout stays with the migration: the service's own queries
          // wait for a lock as long as it is held.
          var project = db.query(UUID.class, "SELECT project_id FROM jobs WHERE id = ?", job);
          db.run("INSERT INTO project_members (project_id, user_id) VALUES (?, 'alice')", project);
          var events = server.uri("/api/projects/" + project + "/events");
          var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
          assertThat(Http.get(events, auth).statusCode()).isEqualTo(200);
          try (var locker = db.connection()) {
            locker.setAutoCommit(false);
            try (var s = locker.createStatement()) {
              s.execute("LOCK TABLE status_events IN ACCESS EXCLUSIVE MODE");
            }
            var poll = CompletableFuture.supplyAsync(() -> Http.get(events, auth).statusCode());
            await()
                .atMost(Duration.ofSeconds(10))
                .until(
                    () ->
                        db.query(
                            Boolean.class,
                            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type"
                                + " = 'Lock' AND application_name LIKE 'status-stream%')"));
            await()
                .during(Duration.ofMillis(2500))
                .atMost(Duration.ofSeconds(4))
                .until(() -> !poll.isDone());
            locker.commit();
            assertThat(poll.get()).isEqualTo(200);
          }
        }
      }
    }
  }

  private static long lockWaits(JarServer server) throws java.io.IOException {
    var output = server.output();
    return Files.exists(output)
        ? Files.readAllLines(output).stream()
            .filter(l -> l.contains("schema migration waits for a lock"))
            .count()
        : 0;
  }
}
