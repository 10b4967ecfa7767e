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
