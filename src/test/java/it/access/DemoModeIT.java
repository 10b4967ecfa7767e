package it.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import it.Http;
import it.JarServer;
import it.SseClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Demo mode hands out tokens to anyone who asks: it listens on localhost unless HTTP_HOST says
 * otherwise, says so loudly at start, trusts its key the way the verifier trusts any key (as
 * configuration), and runs one job at a time.
 */
class DemoModeIT {

  private static final int PORT = 9195;

  /** The local addresses the kernel says sockets listen on at this port (/proc/net/tcp*). */
  private static List<String> listeningAddresses(int port) throws Exception {
    var addresses = new ArrayList<String>();
    for (var table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      var file = Path.of(table);
      if (!Files.exists(file)) {
        continue;
      }
      for (var line : Files.readAllLines(file).subList(1, Files.readAllLines(file).size())) {
        var fields = line.trim().split("\\s+");
        var local = fields[1];
        int colon = local.lastIndexOf(':');
        boolean listening = "0A".equals(fields[3]);
        if (listening && Integer.parseInt(local.substring(colon + 1), 16) == port) {
          addresses.add(local.substring(0, colon));
        }
      }
    }
    return addresses;
  }

  /** 127.0.0.1 in /proc/net/tcp (little-endian hex), or as an IPv4-mapped IPv6 address. */
  private static boolean isLoopback(String hex) {
    return hex.equals("0100007F")
        || hex.equals("0000000000000000FFFF00000100007F")
        || hex.equals("00000000000000000000000001000000");
  }

  @Test
  void listensOnLocalhostWarnsAtStartAndRunsOneJobAtATime(@TempDir Path work) throws Exception {
    assumeThat(Path.of("/proc/net/tcp")).exists();
    try (var server =
        new JarServer(
                Path.of(System.getProperty("java.home"), "bin", "java"),
                work,
                PORT,
                Map.of("DEMO_MODE", "true", "STREAM_HEARTBEAT_SECONDS", "2"))
            .start()) {
      for (var port : List.of(PORT, server.managementPort())) {
        var addresses = listeningAddresses(port);
        assertThat(addresses).as("port " + port).isNotEmpty().allMatch(DemoModeIT::isLoopback);
      }
      // Without TLS_CERT_FILE and TLS_KEY_FILE nothing listens on HTTPS_PORT (JarServer: +363).
      assertThat(listeningAddresses(PORT + 363)).as("HTTPS_PORT").isEmpty();
      // Loud at start, before anyone asked the demo for anything.
      assertThat(Files.readString(server.output())).contains("DEMO MODE IS ON");

      // The demo's token opens the demo project's stream: its key is trusted as configuration.
      var session = Http.json(Http.get(server.uri("/api/demo")).body());
      var status =
          server.uri(
              "/api/projects/"
                  + session.getString("projectId")
                  + "/status?access_token="
                  + session.getString("token"));
      try (var stream = SseClient.open(status).awaitConnected()) {
        assertThat(stream.status()).isEqualTo(200);
      }

      var jobs = server.uri("/api/demo/jobs");
      var first = post(jobs);
      assertThat(first.statusCode()).isEqualTo(200);
      var second = post(jobs);
      assertThat(second.statusCode()).isEqualTo(409);
      assertThat(Http.json(second.body()).getString("error")).isEqualTo("job_running");
      // The job takes about 8 s; then the next one may start.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> post(jobs).statusCode() == 200);
    }
  }

  private static java.net.http.HttpResponse<String> post(URI uri) {
    return Http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody()));
  }
}
