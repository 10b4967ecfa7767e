package it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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

    Process server = null;
    try {
      var command =
          new ProcessBuilder(java.toString(), "-jar", System.getProperty("it.jar"))
              .directory(work.toFile())
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("server.out").toFile());
      var env = command.environment();
      env.put("DB_NAME", database);
      env.put("HTTP_PORT", String.valueOf(PORT));
      env.put("HTTPS_PORT", String.valueOf(PORT + 363));
      env.put("WLP_JAR_EXTRACT_DIR", work.resolve("wlp").toString());
      server = command.start();

      var ready = URI.create("http://localhost:" + PORT + "/health/ready");
      var process = server;
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> !process.isAlive() || isUp(ready));
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
      stop(server);
      Db.exec("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }

  private static boolean isUp(URI ready) {
    try {
      return Http.get(ready).statusCode() == 200;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static void stop(Process server) throws InterruptedException {
    if (server == null) {
      return;
    }
    // The launcher runs the server in a second JVM (the jar carries jvm.options): stop both.
    var children = server.descendants().toList();
    server.destroy();
    children.forEach(ProcessHandle::destroy);
    if (!server.waitFor(30, TimeUnit.SECONDS)) {
      server.destroyForcibly();
    }
    for (var child : children) {
      child.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join();
      child.destroyForcibly();
    }
  }
}
