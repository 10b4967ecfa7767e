package it.access;

import static org.assertj.core.api.Assertions.assertThat;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a hostile or careless client gets: answers by the contract's rules, never a server page. */
class HostileInputIT extends ServiceTest {

  private static void assertJsonError(java.net.http.HttpResponse<String> response, int status) {
    assertThat(response.statusCode()).as(response.uri().toString()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .as(response.uri().toString())
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    var json = Http.json(response.body());
    assertThat(json.keySet()).containsExactlyInAnyOrder("error", "message");
  }

  @Test
  void anyIdAClientCouldHoldIsAnsweredByTheContractsRules() {
    var project = Db.project("alice");
    var auth = "Bearer " + Tokens.forUser("alice");
    // 18 and 19 digits, and Long.MAX_VALUE: newer than any id issued, so resync_required.
    for (var id : List.of("999999999999999999", "1000000000000000000", "9223372036854775807")) {
      try (var stream =
          SseClient.open(
                  Api.status(base, project, null), "Authorization", auth, "Last-Event-ID", id)
              .awaitConnected()) {
        assertThat(stream.status()).as(id).isEqualTo(200);
        org.awaitility.Awaitility.await().until(stream::resyncRequired);
      }
      var polled = Http.get(Api.events(base, project, "after=" + id), "Authorization", auth);
      assertThat(polled.statusCode()).as(id).isEqualTo(200);
      assertThat(Http.json(polled.body()).getBoolean("resyncRequired")).isTrue();
    }
    // Blanks around the id count for nothing, on either side, in the header and the query.
    for (var query : List.of("after=%205", "after=5%20", "after=%095%09")) {
      assertThat(Http.get(Api.events(base, project, query), "Authorization", auth).statusCode())
          .as(query)
          .isEqualTo(200);
    }
    for (var query : List.of("lastEventId=%205", "lastEventId=5%20")) {
      try (var stream =
          SseClient.open(Api.status(base, project, query), "Authorization", auth)
              .awaitConnected()) {
        assertThat(stream.status()).as(query).isEqualTo(200);
      }
    }
    // Above the 64-bit range, or not a number: 400.
    for (var query :
        List.of("after=9223372036854775808", "after=99999999999999999999", "after=5%205")) {
      assertJsonError(Http.get(Api.events(base, project, query), "Authorization", auth), 400);
    }
    assertJsonError(
        Http.get(
            Api.status(base, project, null),
            "Authorization",
            auth,
            "Last-Event-ID",
            "9223372036854775808"),
        400);
  }

  @Test
  void theStreamsAnswerOnlyWhatTheyServe() throws IOException, InterruptedException {
    var project = Db.project("frank");
    var auth = "Bearer " + Tokens.forUser("frank");
    for (var uri :
        List.of(Api.status(base, project, null), Api.status(base, List.of(project), null))) {
      // A client that takes no event stream gets 406, not a stream it cannot read.
      assertJsonError(
          Http.get(uri, "Authorization", auth, "Accept", "application/json, text/html;q=0.9"), 406);
      // One that takes anything gets the stream (its status is all that is read here).
      var anything =
          Http.CLIENT.send(
              java.net.http.HttpRequest.newBuilder(uri)
                  .header("Authorization", auth)
                  .header("Accept", "text/html, */*;q=0.1")
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofInputStream());
      anything.body().close();
      assertThat(anything.statusCode()).as(uri.toString()).isEqualTo(200);
      for (var method : List.of("POST", "PUT", "DELETE", "PATCH")) {
        var refused =
            Http.send(
                java.net.http.HttpRequest.newBuilder(uri)
                    .method(method, java.net.http.HttpRequest.BodyPublishers.ofString("{}"))
                    .header("Authorization", auth));
        assertJsonError(refused, 405);
        assertThat(refused.headers().firstValue("Allow")).hasValue("GET, HEAD, OPTIONS");
      }
      var options =
          Http.send(
              java.net.http.HttpRequest.newBuilder(uri)
                  .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()));
      assertThat(options.statusCode()).isEqualTo(204);
      assertThat(options.headers().firstValue("Allow")).hasValue("GET, HEAD, OPTIONS");
    }
  }

  @Test
  void requestsTheContainerRejectsGetTheJsonShapeAndLeaveTheLogAlone() throws IOException {
    var messages = Path.of(System.getProperty("it.logs"), "messages.log");
    var lines = Files.readAllLines(messages, StandardCharsets.ISO_8859_1).size();
    var root = URI.create(base.toString());
    var paths =
        List.of(
            "/api/projects/%2F/status",
            "/api/projects/a%2Fb/events",
            "/%C0%AE%C0%AE/x",
            "/%C0%AE%C0%AE/WEB-INF/web.xml",
            "/nothing-here",
            "/nothing/here.html",
            "/WEB-INF/web.xml",
            "/api/nothing",
            "/js/",
            "/health/ready",
            "/metrics",
            "/jwt/x",
            "/ibm/api/");
    for (var path : paths) {
      var response = Http.get(root.resolve(path));
      assertThat(response.statusCode()).as(path).isIn(400, 404);
      assertJsonError(response, response.statusCode());
      assertThat(response.body()).as(path).doesNotContain("Exception", "SRVE", "CWW", "%2F");
    }
    var all = Files.readAllLines(messages, StandardCharsets.ISO_8859_1);
    var added = all.subList(lines, all.size());
    assertThat(added).as("lines added to messages.log").hasSizeLessThanOrEqualTo(paths.size());
    assertThat(added).noneMatch(line -> line.matches(".*(SRVE0315E|SRVE0190E|FFDC1015I).*"));
  }

  @Test
  void theApplicationAnswersForTheHostAProxySendsWithoutAPort() throws IOException {
    // Through a proxy or a Kubernetes Service the Host names the public name, port omitted.
    for (var host :
        List.of("status.example.org", "status.example.org:443", "localhost:" + base.getPort())) {
      try (var socket = new Socket(base.getHost(), base.getPort())) {
        socket
            .getOutputStream()
            .write(
                ("GET /api/demo HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        var answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // The application's own 404 for the demo outside demo mode, not Liberty's.
        assertThat(answer).as(host).startsWith("HTTP/1.1 404").contains("\"error\":\"not_found\"");
      }
    }
  }
}
