package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.Tokens;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A deleted project ends its streams whatever its history, takes its history along, and a project
 * re-created with its id is another project: nothing of one ever reaches the other's streams.
 */
class ProjectDeletionIT extends ServiceTest {

  @Test
  void deletingAProjectEndsItsStreamsAndARecreatedProjectShowsNoOldEvent() {
    var project = Db.project("alice");
    var source = Db.source(project);
    Db.exec(
        "INSERT INTO proposed_nodes (project_id, title, confidence) VALUES (?, 'old', 0.5)",
        project);
    String lastId;
    try (var client = Api.stream(base, project, "alice")) {
      Db.setSourceStatus(source, "old news");
      lastId = client.awaitProjectEvents(1).projectEvents().get(0).id();

      Db.exec("DELETE FROM projects WHERE id = ?", project);
      client.awaitEnded();
      assertThat(client.projectEvents()).as("nothing of the deletion is sent").hasSize(1);
      // The history goes with the purge; the log keeps only the deletion, the project's position.
      await().atMost(Duration.ofSeconds(20)).until(() -> Db.eventIds(project).size() == 1);
      assertThat(Db.eventIds(project)).containsExactly(Db.head(project));
    }

    Db.exec("INSERT INTO projects (id, name) VALUES (?, 'a new project, the same id')", project);
    Db.exec("INSERT INTO project_members (project_id, user_id) VALUES (?, 'bob')", project);
    var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("bob")};
    var polled = Http.json(Http.get(Api.events(base, project, null), auth).body());
    assertThat(polled.getJsonArray("events")).isEmpty();
    var resumedPoll =
        Http.json(Http.get(Api.events(base, project, "after=" + lastId), auth).body());
    assertThat(resumedPoll.getBoolean("resyncRequired")).isTrue();
    assertThat(
            Http.get(
                    Api.status(base, project, null),
                    "Authorization",
                    "Bearer " + Tokens.forUser("alice"))
                .statusCode())
        .isEqualTo(403);

    try (var bob = Api.stream(base, project, "bob", "Last-Event-ID", lastId)) {
      await().atMost(Duration.ofSeconds(10)).until(bob::resyncRequired);
      var source2 = Db.source(project);
      Db.setSourceStatus(source2, "new news");
      var events = bob.awaitProjectEvents(1).projectEvents();
      assertThat(events).hasSize(1);
      assertThat(Http.json(events.get(0).data()).getString("status")).isEqualTo("new news");
    }
  }

  @Test
  void aProjectDeletedBeforeItEverHadAnEventEndsItsStreams() {
    var project = Db.project("alice");
    try (var client = Api.stream(base, project, "alice")) {
      Db.exec("DELETE FROM projects WHERE id = ?", project);
      client.awaitEnded();
      assertThat(client.projectEvents()).isEmpty();
    }
  }

  @Test
  void aProjectDeletedAndRecreatedInOneTransactionSendsNothingOfTheNewProjectToTheOld()
      throws SQLException {
    var project = Db.project("alice");
    try (var alice = Api.stream(base, project, "alice")) {
      try (var c = Db.connect()) {
        c.setAutoCommit(false);
        try (var s = c.createStatement()) {
          s.execute("DELETE FROM projects WHERE id = '" + project + "'");
          s.execute("INSERT INTO projects (id, name) VALUES ('" + project + "', 'another team')");
          s.execute(
              "INSERT INTO project_members (project_id, user_id) VALUES ('"
                  + project
                  + "', 'bob')");
          var source = UUID.randomUUID();
          s.execute(
              "INSERT INTO ingestion_sources (id, project_id, source_name, status) VALUES ('"
                  + source
                  + "', '"
                  + project
                  + "', 'secret.csv', 'queued')");
          s.execute("UPDATE ingestion_sources SET status = 'secret' WHERE id = '" + source + "'");
        }
        c.commit();
      }
      alice.awaitEnded();
      assertThat(alice.projectEvents()).isEmpty();
      assertThat(String.join("\n", alice.lines())).doesNotContain("secret");
    }
  }
}
