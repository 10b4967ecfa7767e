package it.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import it.Db;
import it.ServiceTest;
import java.nio.file.Path;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

class SchemaIT extends ServiceTest {

  private static List<String> columns(String table) {
    var names =
        Db.value(
            String.class,
            "SELECT string_agg(column_name, ',' ORDER BY column_name)"
                + " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ?",
            table);
    return List.of(names.split(","));
  }

  @Test
  void createsTheContractTablesWithTheirColumns() {
    assertThat(columns("projects")).contains("id", "name", "created_at");
    assertThat(columns("project_members")).contains("project_id", "user_id", "role");
    assertThat(columns("ingestion_sources"))
        .contains("id", "project_id", "source_name", "status", "updated_at");
    assertThat(columns("jobs"))
        .contains(
            "id",
            "project_id",
            "progress_stage",
            "progress_current",
            "progress_total",
            "progress_message",
            "progress_updated_at");
    assertThat(columns("proposed_nodes"))
        .contains("id", "project_id", "title", "confidence", "status", "created_at", "updated_at");
  }

  @Test
  void writersThatKnowOnlyTheContractColumnsGetDefaults() {
    var project = Db.project("alice");
    Db.exec("INSERT INTO ingestion_sources (project_id) VALUES (?)", project);
    Db.exec("INSERT INTO jobs (project_id) VALUES (?)", project);
    Db.exec("INSERT INTO proposed_nodes (project_id) VALUES (?)", project);
    assertThat(
            Db.value(
                Long.class,
                "SELECT count(*) FROM proposed_nodes WHERE project_id = ?"
                    + " AND id IS NOT NULL AND created_at IS NOT NULL",
                project))
        .isEqualTo(1L);
  }

  @Test
  void rejectsMembersOfUnknownProjectsAndDuplicateMemberships() {
    var project = Db.project("alice");
    assertThatThrownBy(
            () -> Db.exec("INSERT INTO project_members VALUES (?, 'alice', 'member')", project))
        .hasRootCauseMessage(
            "ERROR: duplicate key value violates unique constraint \"project_members_pkey\"\n"
                + "  Detail: Key (project_id, user_id)=("
                + project
                + ", alice) already exists.");
    assertThatThrownBy(
            () ->
                Db.exec("INSERT INTO project_members VALUES (gen_random_uuid(), 'bob', 'member')"))
        .rootCause()
        .hasMessageContaining("violates foreign key constraint");
  }

  @Test
  void deletingAProjectCascadesToEverythingItOwns() {
    var project = Db.project("alice", "bob");
    Db.exec("INSERT INTO ingestion_sources (project_id, source_name) VALUES (?, 'a')", project);
    Db.exec("INSERT INTO jobs (project_id) VALUES (?)", project);
    Db.exec("INSERT INTO proposed_nodes (project_id, title) VALUES (?, 'p')", project);

    Db.exec("DELETE FROM projects WHERE id = ?", project);

    for (var table : List.of("project_members", "ingestion_sources", "jobs", "proposed_nodes")) {
      assertThat(
              Db.value(
                  Long.class, "SELECT count(*) FROM " + table + " WHERE project_id = ?", project))
          .as(table)
          .isZero();
    }
  }

  @Test
  void migratingAMigratedDatabaseAgainChangesNothing() {
    var flyway =
        Flyway.configure()
            .dataSource(Db.url(), Db.env("DB_USER", "postgres"), Db.env("DB_PASSWORD", ""))
            .locations(
                "filesystem:"
                    + Path.of(System.getProperty("it.basedir"), "src/main/resources/db/migration"))
            .table("status_stream_schema_history")
            .load();
    var before = Db.value(Long.class, "SELECT count(*) FROM status_stream_schema_history");

    var result = flyway.migrate();

    assertThat(result.migrationsExecuted).isZero();
    assertThat(flyway.info().pending()).isEmpty();
    assertThat(Db.value(Long.class, "SELECT count(*) FROM status_stream_schema_history"))
        .isEqualTo(before);
  }
}
