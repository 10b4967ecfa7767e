package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.Metrics;
import it.ServiceTest;
import it.Tokens;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A deleted project takes its history along; a project re-created with its id starts empty. */
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
      double tracked = Metrics.value(base, "status_stream_listener_projects");

      Db.exec("DELETE FROM projects WHERE id = ?", project);
      client.awaitEnded();
      assertThat(Db.eventIds(project)).as("the log, proposals' deletions included").isEmpty();
      assertThat(Db.head(project)).isZero();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Metrics.value(base, "status_stream_listener_projects") < tracked);
    }

    Db.exec("INSERT INTO projects (id, name) VALUES (?, 'a new project, the same id')", project);
    Db.exec("INSERT INTO project_members (project_id, user_id) VALUES (?, 'bob')", project);
    var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("bob")};
    var polled = Http.json(Http.get(Api.events(base, project, null), auth).body());
    assertThat(polled.getJsonArray("events")).isEmpty();
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
      assertThat(bob.projectEventIds()).isEqualTo(Db.eventIds(project));
    }
  }
}
