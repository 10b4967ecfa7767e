package it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Stops and starts the PostgreSQL that bin/test brought up (bin/postgres), for the tests of what
 * the service does while its database is gone. Unavailable when the tests run against a database
 * given by DB_HOST: those tests are then skipped.
 */
public final class LocalPostgres {

  private LocalPostgres() {}

  public static void assumeControllable() {
    assumeTrue(
        System.getenv("LOCAL_PG_DIR") != null,
        "the database is not the local one of bin/postgres: cannot stop and start it");
  }

  public static void stop() {
    run("stop");
  }

  public static void start() {
    run("start");
  }

  /** Skips the test unless a PostgreSQL client program, e.g. pg_dump, can be found. */
  public static void assumeTool(String name) {
    assumeTrue(tool(name).isPresent(), name + " is not installed");
  }

  /**
   * Runs a PostgreSQL client program (pg_dump, pg_restore) against the test database server; the
   * newest installed version, so that it can read what the server writes.
   */
  public static void run(String tool, String... args) {
    var command = new java.util.ArrayList<String>();
    command.add(tool(tool).orElseThrow().toString());
    command.addAll(java.util.List.of(args));
    var builder = new ProcessBuilder(command).inheritIO();
    builder.environment().put("PGHOST", Db.env("DB_HOST", "localhost"));
    builder.environment().put("PGPORT", Db.env("DB_PORT", "5432"));
    builder.environment().put("PGUSER", Db.env("DB_USER", "postgres"));
    builder.environment().put("PGPASSWORD", Db.env("DB_PASSWORD", ""));
    try {
      var process = builder.start();
      if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static java.util.Optional<Path> tool(String name) {
    var candidates = new java.util.ArrayList<Path>();
    try (var versions = java.nio.file.Files.list(Path.of("/usr/lib/postgresql"))) {
      versions
          .sorted(
              java.util.Comparator.comparing(
                      (Path p) -> p.getFileName().toString(),
                      java.util.Comparator.comparingInt(
                          v -> v.matches("[0-9]+") ? Integer.parseInt(v) : 0))
                  .reversed())
          .forEach(v -> candidates.add(v.resolve("bin").resolve(name)));
    } catch (IOException e) {
      // No Debian PostgreSQL packages: look on the PATH.
    }
    for (var dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, name));
      }
    }
    return candidates.stream().filter(java.nio.file.Files::isExecutable).findFirst();
  }

  private static void run(String action) {
    var script = Path.of(System.getProperty("it.basedir"), "bin", "postgres");
    try {
      var process = new ProcessBuilder(script.toString(), action).inheritIO().start();
      if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException("bin/postgres " + action + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
