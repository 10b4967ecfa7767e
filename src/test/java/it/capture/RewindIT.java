package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.JarServer;
import it.LocalPostgres;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore or failover that loses committed events: no stream goes silent, no client skips a new
 * event. Open streams get resync_required and then the new history; a client resuming from a
 * position the database no longer has gets resync_required, also after new writes.
 */
class RewindIT extends ServiceTest {

  private static final int PORT = 9189;

  private void awaitReady(URI ready) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Http.get(ready).statusCode() == 200 && Http.get(ready).statusCode() == 200);
  }

  private static void killServiceConnections(Db db) {
    Db.value(
        Boolean.class,
        "SELECT coalesce(bool_and(pg_terminate_backend(pid)), true) FROM pg_stat_activity"
            + " WHERE datname = ? AND application_name LIKE 'status-stream%'",
        db == null ? Db.env("DB_NAME", "labsos") : db.name());
  }

  @Test
  void aFailoverThatLostTheLastEventsResyncsStreamsAndLosesNoNewEvent() {
    var project = Db.project("alice");
    var source = Db.source(project);
    List<Long> old;
    try (var client = Api.stream(base, project, "alice")) {
      for (int i = 0; i < 5; i++) {
        Db.setSourceStatus(source, "old " + i);
      }
      client.awaitProjectEvents(5);
      old = Db.eventIds(project);

      // What a replica promoted after losing the last three commits holds, then the failover.
      Db.exec("DELETE FROM status_events WHERE project_id = ? AND id > ?", project, old.get(1));
      Db.exec(
          "UPDATE status_event_heads SET last_id = ?, prev_id = ? WHERE project_id = ?",
          old.get(1),
          old.get(0),
          project);
      killServiceConnections(null);
      for (int i = 0; i < 3; i++) {
        Db.setSourceStatus(source, "new " + i);
      }
      var now = Db.eventIds(project);
      assertThat(now).hasSize(5);
      var fresh = now.subList(2, 5);
      assertThat(fresh.get(0))
          .as("new ids continue above every lost one")
          .isGreaterThan(old.get(4));

      client.awaitProjectEvents(8);
      assertThat(client.resyncRequired()).isTrue();
      var expected = new ArrayList<>(old);
      expected.addAll(fresh);
      assertThat(client.projectEventIds()).isEqualTo(expected);
      assertThat(resyncIndex(client)).as("resync between the old and the new").isEqualTo(5);
      assertThat(client.ended()).isFalse();
    }

    awaitReady(Api.management("/health/ready"));
    for (var lost : List.of(old.get(4), old.get(3))) {
      try (var resumed = Api.stream(base, project, "alice", "Last-Event-ID", lost.toString())) {
        await().atMost(Duration.ofSeconds(10)).until(resumed::resyncRequired);
        assertThat(resumed.events().get(1).id()).isEqualTo(String.valueOf(Db.head(project)));
        assertThat(resumed.projectEvents()).isEmpty();
      }
    }
    // A position both histories share continues into the new one.
    try (var resumed = Api.stream(base, project, "alice", "Last-Event-ID", old.get(1).toString())) {
      assertThat(resumed.awaitProjectEvents(3).projectEventIds())
          .isEqualTo(Db.eventIds(project).subList(2, 5));
      assertThat(resumed.resyncRequired()).isFalse();
    }
  }

  /**
   * The database comes back with fewer events, and its clock is behind the ids its lost history
   * used: the stream's resync carries the position the log went back to, and new events continue
   * from there with ids above every lost one, so no client takes a new event for one it had.
   */
  @Test
  void aRewindBelowTheStreamsPositionResyncsThereAndNewIdsNeverReuseALostOne() {
    var project = Db.project("alice");
    var source = Db.source(project);
    // A history whose ids run far ahead of the clock (an old primary's clock was ahead).
    long ahead =
        Db.value(Long.class, "SELECT (extract(epoch FROM now()) * 1000000)::bigint")
            + 1_000_000_000_000L;
    Db.exec(
        "INSERT INTO status_event_heads (project_id, last_id, prev_id) VALUES (?, ?, 0)",
        project,
        ahead);
    List<Long> old;
    try (var client = Api.stream(base, project, "alice")) {
      for (int i = 0; i < 3; i++) {
        Db.setSourceStatus(source, "old " + i);
      }
      client.awaitProjectEvents(3);
      old = Db.eventIds(project);
      assertThat(old).containsExactly(ahead + 1, ahead + 2, ahead + 3);

      // The failover lost the last two; the new primary's clock is far behind those ids.
      Db.exec("DELETE FROM status_events WHERE project_id = ? AND id > ?", project, old.get(0));
      Db.exec(
          "UPDATE status_event_heads SET last_id = ?, prev_id = ? WHERE project_id = ?",
          old.get(0),
          ahead,
          project);
      killServiceConnections(null);
      await().atMost(Duration.ofSeconds(30)).until(client::resyncRequired);
      var resync = client.events().stream().filter(RewindIT::isResync).findFirst().orElseThrow();
      assertThat(resync.id()).as("the resync's position").isEqualTo(old.get(0).toString());

      for (int i = 0; i < 2; i++) {
        Db.setSourceStatus(source, "new " + i);
      }
      var fresh = Db.eventIds(project).subList(1, 3);
      assertThat(fresh.get(0)).as("above every lost id").isGreaterThan(old.get(2));
      client.awaitProjectEvents(5);
      var expected = new ArrayList<>(old);
      expected.addAll(fresh);
      assertThat(client.projectEventIds()).isEqualTo(expected);
      assertThat(client.ended()).isFalse();
    }
    for (var lost : List.of(old.get(2), old.get(1))) {
      try (var resumed = Api.stream(base, project, "alice", "Last-Event-ID", lost.toString())) {
        await().atMost(Duration.ofSeconds(10)).until(resumed::resyncRequired);
        assertThat(resumed.projectEvents()).isEmpty();
      }
    }
    try (var resumed = Api.stream(base, project, "alice", "Last-Event-ID", old.get(0).toString())) {
      assertThat(resumed.awaitProjectEvents(2).projectEventIds())
          .isEqualTo(Db.eventIds(project).subList(1, 3));
      assertThat(resumed.resyncRequired()).isFalse();
    }
  }

  @Test
  void aPointInTimeRestoreUnderARunningServiceResyncsAndDeliversTheNewHistory(@TempDir Path work)
      throws Exception {
    LocalPostgres.assumeTool("pg_dump");
    try (var db = Db.create();
        var server =
            new JarServer(
                    Path.of(System.getProperty("java.home"), "bin", "java"),
                    work,
                    PORT,
                    JarServer.trustingTestTokens(
                        "DB_NAME", db.name(), "STREAM_HEARTBEAT_SECONDS", "2"))
                .start()) {
      var project = db.newProject("alice");
      var source = db.newSource(project);
      var stream = server.uri("/api/projects/" + project + "/status");
      var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
      try (var client = SseClient.open(stream, auth).awaitConnected()) {
        db.sourceStatus(source, "before dump 1");
        db.sourceStatus(source, "before dump 2");
        client.awaitProjectEvents(2);
        var dump = work.resolve("dump");
        LocalPostgres.run("pg_dump", "-Fc", "-f", dump.toString(), db.name());
        for (int i = 0; i < 3; i++) {
          db.sourceStatus(source, "after dump " + i);
        }
        client.awaitProjectEvents(5);
        var old = db.idsOf(project);

        // The restore: into a new database, which then takes the old one's place.
        var restored = db.name() + "_restored";
        Db.exec("CREATE DATABASE " + restored);
        LocalPostgres.run("pg_restore", "-d", restored, dump.toString());
        db.close(); // its sessions end, replication connections included, as in a restore
        Db.exec("ALTER DATABASE " + restored + " RENAME TO " + db.name());
        assertThat(db.idsOf(project)).isEqualTo(old.subList(0, 2));

        awaitReady(server.uri("/health/ready"));
        for (int i = 0; i < 3; i++) {
          db.sourceStatus(source, "after restore " + i);
        }
        var fresh = db.idsOf(project).subList(2, 5);
        client.awaitProjectEvents(8);
        assertThat(client.resyncRequired()).isTrue();
        var expected = new ArrayList<>(old);
        expected.addAll(fresh);
        assertThat(client.projectEventIds()).isEqualTo(expected);

        try (var resumed =
            SseClient.open(stream, auth[0], auth[1], "Last-Event-ID", old.get(4).toString())
                .awaitConnected()) {
          await().atMost(Duration.ofSeconds(10)).until(resumed::resyncRequired);
          assertThat(resumed.projectEvents()).isEmpty();
        }
      }
    }
  }

  private static int resyncIndex(SseClient client) {
    var withIds = client.events().stream().filter(e -> e.id() != null || isResync(e)).toList();
    for (int i = 0; i < withIds.size(); i++) {
      if (isResync(withIds.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isResync(SseClient.Event event) {
    return SseClient.RESYNC_REQUIRED.equals(event.data());
  }
}
