package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More streams than the process has files for: the instance refuses the ones it has no room for
 * (503 with Retry-After) and goes on serving the ones it holds. Before, Liberty itself ran out of
 * files (its jars are opened as classes load): requests went unanswered, and in a benchmark the
 * application restarted on its own, ending every stream.
 */
class OpenFileLimitIT {

  private static final int PORT = 9190;
  private static final int FILES = 1_000;
  private static final int REQUESTS = 1_300;

  @Test
  void streamsBeyondTheOpenFileLimitAreRefusedAndTheOthersGoOn(@TempDir Path work)
      throws Exception {
    var env =
        JarServer.trustingTestTokens(
            "STREAM_MAX_PER_USER", "100000", "STREAM_HEARTBEAT_SECONDS", "2");
    var java = Path.of(System.getProperty("java.home"), "bin", "java");
    var held = new ArrayList<Socket>();
    try (var server = new JarServer(java, work, PORT, env).openFileLimit(FILES).start()) {
      // After the start: the server migrates the schema when no other test has.
      var project = Db.project("alice");
      var source = Db.source(project);
      var first =
          SseClient.open(
                  server.uri("/api/projects/" + project + "/status"),
                  "Authorization",
                  "Bearer " + Tokens.forUser("alice"))
              .awaitConnected();
      var request = Api.rawStreamRequest(server.uri("/").toURL(), project, "alice");
      var answers = new TreeMap<String, Integer>();
      String refusal = null;
      try {
        for (int i = 0; i < REQUESTS; i++) {
          var socket = new Socket("localhost", PORT);
          socket.setSoTimeout(10_000);
          socket.getOutputStream().write(request);
          var head = head(socket.getInputStream());
          var status = head.isEmpty() ? "no answer" : head.split(" ", 3)[1];
          answers.merge(status, 1, Integer::sum);
          if (head.isEmpty()) {
            break; // the server stopped answering: no use asking on
          }
          if (status.equals("200")) {
            held.add(socket);
          } else {
            if (status.equals("503")) {
              refusal = head;
            }
            socket.close();
          }
        }
        assertThat(answers.keySet()).as("answers %s", answers).containsOnly("200", "503");
        assertThat(answers.get("200")).as("streams held").isGreaterThan(300);
        assertThat(refusal).containsIgnoringCase("Retry-After: 10");

        // Those it holds go on: the first stream gets the next event.
        Db.setSourceStatus(source, "at the limit");
        first.awaitProjectEvents(1);
        assertThat(Http.get(server.uri("/health/ready")).statusCode()).isEqualTo(200);
      } finally {
        for (var socket : held) {
          socket.close();
        }
      }
      // Room again once the clients are gone (noticed at a heartbeat's write).
      await().atMost(Duration.ofSeconds(60)).until(() -> status(request) == 200);
      var output = Files.readString(server.output());
      assertThat(output).doesNotContain("Too many open files").doesNotContain("CWWKZ0009I");
      assertThat(output).contains("New streams are refused (503)");
      first.close();
    }
  }

  private static int status(byte[] request) throws IOException {
    try (var socket = new Socket("localhost", PORT)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      var head = head(socket.getInputStream());
      return head.isEmpty() ? 0 : Integer.parseInt(head.split(" ", 3)[1]);
    }
  }

  /** The status line and headers of an answer; empty when none came within the socket's timeout. */
  private static String head(InputStream in) throws IOException {
    var head = new StringBuilder();
    try {
      int c;
      while ((c = in.read()) >= 0) {
        head.append((char) c);
        if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      return "";
    }
    return head.toString();
  }
}
