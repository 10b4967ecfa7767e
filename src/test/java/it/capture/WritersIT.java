package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Other services write as their own roles, with their own search_path, and need only their rights
 * on the tables they write: their writes are streamed, and none of them can write the event log or
 * forge an event.
 */
class WritersIT extends ServiceTest {

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String jobsWriter = "jobs_writer_" + suffix;
  private final String proposalsWriter = "proposals_writer_" + suffix;

  private final List<String> roles = new ArrayList<>();

  @AfterEach
  void dropRoles() {
    for (var role : roles) {
      Db.exec("DROP OWNED BY " + role);
      Db.exec("DROP ROLE " + role);
    }
  }

  /** A login role with the given grants, connected with a search_path without our schema. */
  private Connection writer(String role, String grants) throws SQLException {
    Db.exec("CREATE ROLE " + role + " LOGIN PASSWORD 'secret'");
    roles.add(role);
    Db.exec(grants.replace("$role", role));
    var props = new Properties();
    props.setProperty("user", role);
    props.setProperty("password", "secret");
    var c = DriverManager.getConnection(Db.url(), props);
    try (var s = c.createStatement()) {
      s.execute("SET search_path = pg_catalog");
    }
    return c;
  }

  @Test
  void aWriterWithOnlyItsTableRightsAndItsOwnSearchPathIsStreamed() throws Exception {
    var project = Db.project("alice");
    var job = UUID.randomUUID();
    Db.exec("INSERT INTO jobs (id, project_id) VALUES (?, ?)", job, project);
    try (var client = Api.stream(base, project, "alice");
        var c = writer(jobsWriter, "GRANT SELECT, UPDATE ON public.jobs TO $role")) {
      try (var update =
          c.prepareStatement(
              "UPDATE public.jobs SET progress_stage = 'extract', progress_current = 2,"
                  + " progress_updated_at = now() WHERE id = ?")) {
        update.setObject(1, job);
        assertThat(update.executeUpdate()).isEqualTo(1);
      }
      var event = Http.json(client.awaitProjectEvents(1).projectEvents().get(0).data());
      assertThat(event.getString("type")).isEqualTo("progress_update");
      assertThat(event.getJsonObject("progress").getInt("current")).isEqualTo(2);
    }
  }

  @Test
  void aWriterWithOnlyDmlOnProposalsIsStreamedForInsertUpdateAndDelete() throws Exception {
    var project = Db.project("alice");
    var proposal = UUID.randomUUID();
    try (var client = Api.stream(base, project, "alice");
        var c =
            writer(
                proposalsWriter,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON public.proposed_nodes TO $role")) {
      try (var s = c.createStatement()) {
        s.execute(
            "INSERT INTO public.proposed_nodes (id, project_id, title, confidence) VALUES ('"
                + proposal
                + "', '"
                + project
                + "', 'A', 0.5)");
        s.execute("UPDATE public.proposed_nodes SET title = 'B' WHERE id = '" + proposal + "'");
        s.execute("DELETE FROM public.proposed_nodes WHERE id = '" + proposal + "'");
      }
      var types =
          client.awaitProjectEvents(3).projectEvents().stream()
              .map(e -> Http.json(e.data()).getString("type"))
              .toList();
      assertThat(types).containsExactly("new_proposal", "proposal_update", "proposal_deleted");
      assertThat(client.projectEventIds()).isEqualTo(Db.eventIds(project));
    }
  }

  @Test
  void noWriterCanWriteTheLogOrForgeAnEvent() throws Exception {
    var project = Db.project("alice");
    try (var c = writer(jobsWriter, "GRANT SELECT, UPDATE ON public.jobs TO $role");
        var s = c.createStatement()) {
      for (var attempt :
          new String[] {
            "INSERT INTO public.status_events (project_id, id, payload) VALUES ('"
                + project
                + "', 1, '{}')",
            "UPDATE public.status_event_heads SET last_id = 0",
            "DELETE FROM public.status_events",
            "UPDATE public.status_stream_capture SET notify = false",
            "SELECT public.status_stream_capture_job()",
            "SELECT public.status_stream_capture_ingestion_source()",
            "SELECT public.status_stream_capture_proposal()",
            "SELECT public.status_stream_capture_project_deleted()",
          }) {
        assertThatThrownBy(() -> s.execute(attempt))
            .as(attempt)
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("permission denied");
      }
    }
    assertThat(Db.eventIds(project)).isEmpty();
  }
}
