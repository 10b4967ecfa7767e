package it.operations;

import static org.assertj.core.api.Assertions.assertThat;

import it.Http;
import it.JarServer;
import jakarta.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the runnable jar's logs go: LOG_DIR keeps the files after the server stopped (the jar
 * deletes the folder it extracted itself to), and the console can be JSON for log shippers. One
 * server start for both: it is the slow part.
 */
class LogsIT {

  private static final int PORT = 9187;

  @Test
  void logDirKeepsTheFilesAndTheConsoleCanBeJson(@TempDir Path work) throws Exception {
    var logs = work.resolve("logs");
    var token = "secret-" + UUID.randomUUID();
    var server =
        new JarServer(
            Path.of(System.getProperty("java.home"), "bin", "java"),
            work,
            PORT,
            JarServer.trustingTestTokens(
                "LOG_DIR", logs.toString(),
                "WLP_LOGGING_CONSOLE_FORMAT", "json",
                "WLP_LOGGING_CONSOLE_SOURCE", "message,accessLog"));
    try (server) {
      server.start();
      assertThat(Http.get(server.uri("/health/ready?access_token=" + token)).statusCode())
          .isEqualTo(200);
    }

    // The files, after the server stopped.
    assertThat(logs.resolve("messages.log"))
        .content()
        .contains("CWWKF0011I") // ready
        .contains("CWWKE0036I"); // stopped
    assertThat(logs.resolve("access.log"))
        .content()
        .contains("\"GET /health/ready HTTP/1.1\" 200")
        .doesNotContain(token);
    try (Stream<Path> files = Files.walk(work)) {
      assertThat(files.filter(f -> f.getFileName().toString().equals("messages.log")))
          .as("nothing written where the jar extracted itself")
          .containsExactly(logs.resolve("messages.log"));
    }

    // The console: Liberty's lines are JSON objects, the access log's among them, without tokens.
    var console = Files.readAllLines(server.output());
    assertThat(console).noneMatch(line -> line.contains(token));
    var events = new ArrayList<JsonObject>();
    for (var line : console) {
      // The launcher's own lines (extracting the jar) come before Liberty's.
      if (line.startsWith("{")) {
        events.add(Http.json(line));
      }
    }
    assertThat(events)
        .anyMatch(e -> "CWWKF0011I".equals(e.getString("ibm_messageId", null)))
        .anyMatch(
            e ->
                "liberty_accesslog".equals(e.getString("type"))
                    && "/health/ready".equals(e.getString("ibm_uriPath", null)));
    var launched = indexOf(console, "CWWKE0001I");
    assertThat(console.subList(launched, console.size()))
        .filteredOn(line -> line.contains("CWWK"))
        .allMatch(line -> line.startsWith("{"));
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    throw new AssertionError(text + " not in the console output");
  }
}
