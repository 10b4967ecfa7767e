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
            "SELECT public.status_stream_capture_jobs()",
            "SELECT public.status_stream_capture_sources()",
            "SELECT public.status_stream_capture_proposals_inserted()",
            "SELECT public.status_stream_capture_projects_deleted()",
            "SELECT public.status_stream_untyped_status_update(1)",
            "SET ROLE status_stream_capture",
          }) {
        assertThatThrownBy(() -> s.execute(attempt))
            .as(attempt)
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("permission denied");
      }
    }
    assertThat(Db.eventIds(project)).isEmpty();
  }

  /**
   * A writer that owns its table may change a column's type to one of its own, with casts to json,
   * jsonb and text that try to make it a superuser and to forge an event: the capture never calls
   * them, one row or many, and logs the value as the text its type prints.
   */
  @Test
  void aWritersOwnTypeAndCastsGainItNothing() throws Exception {
    var project = Db.project("alice");
    var proposal = UUID.randomUUID();
    Db.exec(
        "INSERT INTO proposed_nodes (id, project_id, title, status) VALUES (?, ?, 'A', 'open')",
        proposal,
        project);
    Db.exec(
        "INSERT INTO proposed_nodes (project_id, title, status) VALUES (?, 'B', 'open')", project);
    Db.exec("CREATE ROLE " + proposalsWriter + " LOGIN PASSWORD 'secret'");
    roles.add(proposalsWriter);
    Db.exec("CREATE SCHEMA " + proposalsWriter + " AUTHORIZATION " + proposalsWriter);
    Db.exec("GRANT USAGE ON SCHEMA public TO " + proposalsWriter);
    Db.exec("ALTER TABLE proposed_nodes OWNER TO " + proposalsWriter);
    var props = new Properties();
    props.setProperty("user", proposalsWriter);
    props.setProperty("password", "secret");
    try (var client = Api.stream(base, project, "alice");
        var c = DriverManager.getConnection(Db.url(), props);
        var s = c.createStatement()) {
      s.execute("SET search_path = " + proposalsWriter + ", public");
      s.execute("CREATE TABLE calls (who text)");
      s.execute("GRANT INSERT ON calls TO PUBLIC");
      // Every status the table holds (other tests' rows too) is a label of the writer's type.
      var labels = new java.util.TreeSet<>(List.of("open", "accepted"));
      try (var rows =
          s.executeQuery(
              "SELECT DISTINCT status FROM public.proposed_nodes WHERE status IS NOT NULL")) {
        while (rows.next()) {
          labels.add(rows.getString(1));
        }
      }
      s.execute(
          "CREATE TYPE mood AS ENUM ("
              + String.join(
                  ", ", labels.stream().map(l -> "'" + l.replace("'", "''") + "'").toList())
              + ")");
      for (var target : List.of("json", "jsonb", "text")) {
        s.execute(
            """
            CREATE FUNCTION mood_%1$s(m mood) RETURNS %1$s LANGUAGE plpgsql AS $f$
            BEGIN
              INSERT INTO %2$s.calls VALUES (current_user);
              BEGIN
                EXECUTE 'ALTER ROLE %2$s SUPERUSER';
              EXCEPTION WHEN others THEN NULL;
              END;
              BEGIN
                INSERT INTO public.status_events (project_id, id, prev_id, payload)
                VALUES ('%3$s', 1, 0, '{"type":"forged"}');
              EXCEPTION WHEN others THEN NULL;
              END;
              RETURN '"forged"'::%1$s;
            END $f$
            """
                .formatted(target, proposalsWriter, project));
        s.execute("CREATE CAST (mood AS " + target + ") WITH FUNCTION mood_" + target + "(mood)");
      }
      s.execute(
          "ALTER TABLE public.proposed_nodes ALTER COLUMN status TYPE mood"
              + " USING status::text::mood");
      // One row, then every row of the project in one statement.
      s.execute(
          "UPDATE public.proposed_nodes SET status = 'accepted' WHERE id = '" + proposal + "'");
      s.execute(
          "UPDATE public.proposed_nodes SET title = title || '!' WHERE project_id = '"
              + project
              + "'");

      var events = client.awaitProjectEvents(3).projectEvents();
      assertThat(events)
          .extracting(e -> Http.json(e.data()).getString("status"))
          .containsExactlyInAnyOrder("accepted", "accepted", "open");
      var ids = Db.eventIds(project);
      assertThat(client.projectEventIds()).isEqualTo(ids.subList(2, ids.size()));
      assertThat(Db.value(Long.class, "SELECT count(*) FROM " + proposalsWriter + ".calls"))
          .as("calls of the writer's casts")
          .isZero();
      assertThat(
              Db.value(
                  Boolean.class,
                  "SELECT rolsuper FROM pg_roles WHERE rolname = ?",
                  proposalsWriter))
          .isFalse();
    } finally {
      // Undone without calling the writer's casts: they go first.
      for (var target : List.of("json", "jsonb", "text")) {
        Db.exec("DROP CAST IF EXISTS (" + proposalsWriter + ".mood AS " + target + ")");
      }
      Db.exec("ALTER TABLE proposed_nodes ALTER COLUMN status TYPE text USING status::text");
      Db.exec("ALTER TABLE proposed_nodes OWNER TO CURRENT_USER");
      Db.exec("DROP SCHEMA " + proposalsWriter + " CASCADE");
    }
  }
}
