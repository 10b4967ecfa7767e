package it.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import it.Http;
import it.SseClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What dev mode runs on Enter, against the server it runs (./mvnw liberty:dev, bin/dev; the build
 * never runs it): the server becomes ready, hands out a demo token, and streams the demo job's
 * progress. The ports are the environment's HTTP_PORT and MANAGEMENT_PORT, as the dev server's.
 */
class DevServerIT {

  private static URI uri(String variable, String fallback, String path) {
    var port = System.getenv().getOrDefault(variable, fallback);
    return URI.create("http://localhost:" + port + path);
  }

  @Test
  void theDevServerStreamsTheDemoJob() {
    var ready = uri("MANAGEMENT_PORT", "9081", "/health/ready");
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> Http.get(ready).statusCode() == 200);

    var session = Http.get(uri("HTTP_PORT", "9080", "/api/demo"));
    assumeTrue(
        session.statusCode() == 200,
        "the dev server is not in demo mode (a JWT key is configured): nothing to stream with");
    var demo = Http.json(session.body());
    var project = demo.getString("projectId");
    try (var stream =
        SseClient.open(
                uri("HTTP_PORT", "9080", "/api/projects/" + project + "/status"),
                "Authorization",
                "Bearer " + demo.getString("token"))
            .awaitConnected()) {
      var start =
          Http.send(
              HttpRequest.newBuilder(uri("HTTP_PORT", "9080", "/api/demo/jobs"))
                  .POST(HttpRequest.BodyPublishers.noBody()));
      // 409: a job of the page is running; its progress streams all the same.
      assertThat(start.statusCode()).isIn(200, 409);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  stream.projectEvents().stream()
                      .anyMatch(e -> e.data().contains("\"type\":\"progress_update\"")));
    }
  }
}
