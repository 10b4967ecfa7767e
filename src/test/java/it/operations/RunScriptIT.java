package it.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Http;
import it.JarServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bin/run as a developer runs it, with its own local PostgreSQL: whichever signal stops it, the
 * server stops first, then PostgreSQL, and the script exits.
 */
class RunScriptIT {

  private static final int HTTP_PORT = 9188;
  private static final Path ROOT = Path.of(System.getProperty("it.basedir"));

  private static final Map<String, String> ENV =
      Map.of(
          "HTTP_PORT", String.valueOf(HTTP_PORT),
          "HTTPS_PORT", "9551",
          "MANAGEMENT_PORT", String.valueOf(JarServer.managementPort(HTTP_PORT)),
          "LOCAL_PG_DIR", "target/postgres-runit",
          "LOCAL_PG_PORT", "55437",
          // Liberty's server script adds these to the server JVM's options: a quicker start.
          "JVM_ARGS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");

  private static ProcessBuilder script(Path output, String... command) {
    var builder =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    var environment = builder.environment();
    // bin/test's database is not the one this bin/run is to start and stop.
    environment.keySet().removeIf(k -> k.startsWith("DB_"));
    environment.putAll(ENV);
    return builder;
  }

  @ParameterizedTest
  @ValueSource(strings = {"TERM", "INT", "HUP"})
  void aSignalStopsTheServerThenPostgresAndTheScript(String signal, @TempDir Path work)
      throws Exception {
    var output = work.resolve("run.out");
    var builder = script(output, "bin/run", "--no-build");
    builder.environment().put("LOG_DIR", work.resolve("logs").toString());
    var run = builder.start();
    try {
      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> !run.isAlive() || isReady());
      assertThat(run.isAlive()).as("bin/run running: see " + output).isTrue();
      List<ProcessHandle> processes = run.descendants().toList();
      assertThat(processes)
          .as("the server's JVM")
          .anyMatch(p -> p.info().commandLine().orElse("").contains("ws-server.jar"));

      kill(signal, run.pid());

      assertThat(run.waitFor(90, TimeUnit.SECONDS)).as("bin/run exited").isTrue();
      assertThat(processes).noneMatch(ProcessHandle::isAlive);
      var status = script(output, "bin/postgres", "status").start();
      assertThat(status.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(status.exitValue()).as("bin/postgres status: 3 when stopped").isEqualTo(3);
      var console = Files.readString(output);
      assertThat(console.indexOf("CWWKE0036I")).as("the server stopped").isNotNegative();
      assertThat(console.indexOf("CWWKE0036I"))
          .as("the server stopped before PostgreSQL")
          .isLessThan(console.indexOf("bin/postgres: stopped"));
    } finally {
      run.descendants().forEach(ProcessHandle::destroyForcibly);
      run.destroyForcibly();
      script(output, "bin/postgres", "stop").start().waitFor(60, TimeUnit.SECONDS);
    }
  }

  private static boolean isReady() {
    try {
      var ready = "http://localhost:" + JarServer.managementPort(HTTP_PORT) + "/health/ready";
      return Http.get(URI.create(ready)).statusCode() == 200;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static void kill(String signal, long pid) throws IOException, InterruptedException {
    var kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).isTrue();
  }
}
