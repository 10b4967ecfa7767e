package it.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.Tokens;
import jakarta.ws.rs.client.ClientBuilder;
import jakarta.ws.rs.sse.InboundSseEvent;
import jakarta.ws.rs.sse.SseEventSource;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** How another Jakarta service consumes the stream: Jakarta REST's SseEventSource. */
class SseEventSourceIT extends ServiceTest {

  @Test
  void aJakartaRestClientReceivesTheStream() {
    var project = Db.project("svc-proposals");
    var proposal = UUID.randomUUID();
    var client = ClientBuilder.newClient();
    try {
      var target =
          client
              .target(Api.status(base, project, null))
              .queryParam("access_token", Tokens.forUser("svc-proposals"));
      List<InboundSseEvent> received = new CopyOnWriteArrayList<>();
      try (var source = SseEventSource.target(target).build()) {
        source.register(received::add);
        source.open();
        await().atMost(Duration.ofSeconds(30)).until(() -> !received.isEmpty());
        Db.exec(
            "INSERT INTO proposed_nodes (id, project_id, title, confidence) VALUES (?, ?, 'X', 0.9)",
            proposal,
            project);
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 2);
      }
      assertThat(Http.json(received.get(0).readData()).getString("type")).isEqualTo("connected");
      var event = received.get(1);
      assertThat(event.getId()).isEqualTo(String.valueOf(Db.head(project)));
      assertThat(event.getName()).isNull();
      var json = Http.json(event.readData());
      assertThat(json.getString("type")).isEqualTo("new_proposal");
      assertThat(json.getString("proposalId")).isEqualTo(proposal.toString());
    } finally {
      client.close();
    }
  }

  /** Several projects on one connection, and a reconnect from the last cursor. */
  @Test
  void aJakartaRestClientReceivesSeveralProjectsAndResumesFromTheCursor() {
    var a = Db.project("svc-dashboard");
    var b = Db.project("svc-dashboard");
    var sa = Db.source(a);
    var sb = Db.source(b);
    var client = ClientBuilder.newClient();
    try {
      var target =
          client
              .target(URI.create(base.toString()).resolve("/api/status"))
              .queryParam("project", a, b)
              .queryParam("access_token", Tokens.forUser("svc-dashboard"));
      List<InboundSseEvent> received = new CopyOnWriteArrayList<>();
      try (var source = SseEventSource.target(target).build()) {
        source.register(received::add);
        source.open();
        await().atMost(Duration.ofSeconds(30)).until(() -> !received.isEmpty());
        Db.setSourceStatus(sa, "a running");
        Db.setSourceStatus(sb, "b running");
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 3);
      }
      var projects =
          received.subList(1, 3).stream()
              .map(e -> Http.json(e.readData()).getString("projectId"))
              .toList();
      assertThat(projects).containsExactlyInAnyOrder(a.toString(), b.toString());
      var cursor = received.get(2).getId();

      Db.setSourceStatus(sa, "a missed");
      List<InboundSseEvent> resumed = new CopyOnWriteArrayList<>();
      try (var source = SseEventSource.target(target.queryParam("lastEventId", cursor)).build()) {
        source.register(resumed::add);
        source.open();
        await().atMost(Duration.ofSeconds(30)).until(() -> resumed.size() >= 2);
      }
      var missed = Http.json(resumed.get(1).readData());
      assertThat(missed.getString("status")).isEqualTo("a missed");
      assertThat(missed.getString("projectId")).isEqualTo(a.toString());
    } finally {
      client.close();
    }
  }
}
