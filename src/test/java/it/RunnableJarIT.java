package it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The runnable jar, configured by nothing but environment variables, on a database where another
 * service created its tables first.
 */
class RunnableJarIT {

  private static final int PORT = 9181;

  static Stream<Path> javaRuntimes() {
    var runtimes = new ArrayList<Path>();
    runtimes.add(Path.of(System.getProperty("java.home"), "bin", "java"));
    try (var jvms = Files.list(Path.of("/usr/lib/jvm"))) {
      jvms.filter(p -> p.getFileName().toString().contains("25"))
          .map(p -> p.resolve("bin/java"))
          .filter(Files::isExecutable)
          .findFirst()
          .ifPresent(runtimes::add);
    } catch (IOException e) {
      // No other JDKs on this machine: the current one is tested.
    }
    return runtimes.stream();
  }

  @ParameterizedTest
  @MethodSource("javaRuntimes")
  void startsFromEnvironmentAloneAndAcceptsTablesOtherServicesCreated(Path java, @TempDir Path work)
      throws Exception {
    var database = "jar_" + UUID.randomUUID().toString().replace("-", "");
    Db.exec("CREATE DATABASE " + database);
    var project = UUID.randomUUID();
    var source = UUID.randomUUID();
    try (var c = Db.connect(database);
        var s = c.createStatement()) {
      // Another service got there first, with a column of its own.
      s.execute(
          "CREATE TABLE projects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text,"
              + " created_at timestamptz NOT NULL DEFAULT now(), owner text)");
      s.execute(
          "CREATE TABLE ingestion_sources (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
              + " project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
              + " source_name text, status text, updated_at timestamptz NOT NULL DEFAULT now())");
      s.execute("INSERT INTO projects (id, name, owner) VALUES ('" + project + "', 'old', 'ops')");
      s.execute(
          "INSERT INTO ingestion_sources (id, project_id, source_name, status) VALUES ('"
              + source
              + "', '"
              + project
              + "', 'papers', 'new')");
    }

    try (var server =
        new JarServer(java, work, PORT, JarServer.trustingTestTokens("DB_NAME", database))
            .start()) {
      assertThat(server.isAlive()).as("server process running").isTrue();

      try (var c = Db.connect(database);
          var s = c.createStatement()) {
        var rows = s.executeQuery("SELECT name, owner FROM projects WHERE id = '" + project + "'");
        assertThat(rows.next()).isTrue();
        assertThat(List.of(rows.getString(1), rows.getString(2))).containsExactly("old", "ops");
        // The other service's table now produces events.
        s.execute("UPDATE ingestion_sources SET status = 'done' WHERE id = '" + source + "'");
        var events =
            s.executeQuery(
                "SELECT payload->>'status' FROM status_events WHERE project_id = '"
                    + project
                    + "'");
        assertThat(events.next()).isTrue();
        assertThat(events.getString(1)).isEqualTo("done");
      }
    } finally {
      Db.exec("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }
}
