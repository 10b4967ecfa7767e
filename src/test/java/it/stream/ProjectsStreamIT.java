package it.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Several projects on one connection: {@code /api/status?project=...&project=...}. Each event says
 * its project; each frame's id is a cursor of every project's position, from which a reconnect
 * resumes each project exactly; the polling of several has the same shape.
 */
class ProjectsStreamIT extends ServiceTest {

  private static final String CONNECTED =
      "{\"type\":\"connected\",\"message\":\"Connected to status updates\"}";

  /** The events of a stream of several, by project, as the ids of their payloads' sources. */
  private static Map<String, List<String>> statusesByProject(SseClient client) {
    return events(client).stream()
        .filter(e -> e.getString("type").equals("status_update"))
        .collect(
            Collectors.groupingBy(
                e -> e.getString("projectId"),
                Collectors.mapping(e -> e.getString("status"), Collectors.toList())));
  }

  private static List<JsonObject> events(SseClient client) {
    return client.events().stream()
        .filter(e -> e.id() != null && !CONNECTED.equals(e.data()))
        .map(e -> Http.json(e.data()))
        .toList();
  }

  private static String lastId(SseClient client) {
    var withIds = client.events().stream().filter(e -> e.id() != null).toList();
    return withIds.get(withIds.size() - 1).id();
  }

  @Test
  void eventsOfEveryProjectOnOneConnectionEachWithItsProject() {
    var a = Db.project("alice");
    var b = Db.project("alice");
    var c = Db.project("alice");
    var sources = Map.of(a, Db.source(a), b, Db.source(b), c, Db.source(c));
    try (var client = Api.stream(base, List.of(a, b, c), "alice")) {
      assertThat(client.events().get(0).data()).isEqualTo(CONNECTED);
      assertThat(client.response().headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
      for (int i = 0; i < 3; i++) {
        for (var project : List.of(a, b, c)) {
          Db.setSourceStatus(sources.get(project), project + " " + i);
        }
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 9);
      var byProject = statusesByProject(client);
      for (var project : List.of(a, b, c)) {
        assertThat(byProject.get(project.toString()))
            .containsExactly(project + " 0", project + " 1", project + " 2");
      }
      // The payload is the one-project payload plus projectId, no more.
      var one = events(client).get(0);
      assertThat(one.keySet())
          .containsExactlyInAnyOrder(
              "type", "sourceId", "status", "sourceName", "updatedAt", "projectId");
      // Each id is an opaque cursor, not one project's id; never the same twice.
      var ids = client.events().stream().filter(e -> e.id() != null).map(e -> e.id()).toList();
      assertThat(ids).doesNotHaveDuplicates().allMatch(id -> id.matches("[A-Za-z0-9_-]{50,}"));
    }
  }

  @Test
  void aReconnectWithTheCursorResumesEveryProjectAndCanAddOrDropOne() {
    var a = Db.project("alice");
    var b = Db.project("alice");
    var c = Db.project("alice");
    var sa = Db.source(a);
    var sb = Db.source(b);
    var sc = Db.source(c);
    String cursor;
    try (var client = Api.stream(base, List.of(a, b), "alice")) {
      Db.setSourceStatus(sa, "a before");
      Db.setSourceStatus(sb, "b before");
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 2);
      cursor = lastId(client);
    }
    // Missed while away.
    Db.setSourceStatus(sa, "a missed");
    Db.setSourceStatus(sb, "b missed");
    Db.setSourceStatus(sc, "c before it was watched");
    // Back, with c added and b dropped: a resumes, c starts live, nothing of b.
    try (var client = Api.stream(base, List.of(a, c), "alice", "Last-Event-ID", cursor)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 1);
      Db.setSourceStatus(sc, "c live");
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 2);
      var byProject = statusesByProject(client);
      assertThat(byProject.get(a.toString())).containsExactly("a missed");
      assertThat(byProject.get(c.toString())).containsExactly("c live");
      assertThat(byProject).doesNotContainKey(b.toString());
      assertThat(client.resyncRequired()).isFalse();
    }
    // The same cursor also works as ?lastEventId= (a manual reconnect).
    try (var client =
        SseClient.open(
                Api.status(base, List.of(b), Api.query("lastEventId", cursor)),
                "Authorization",
                "Bearer " + Tokens.forUser("alice"))
            .awaitConnected()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 1);
      assertThat(statusesByProject(client).get(b.toString())).containsExactly("b missed");
    }
  }

  @Test
  void theConnectedFrameCarriesTheCursorSoAReconnectBeforeAnyEventMissesNothing() {
    var a = Db.project("alice");
    var b = Db.project("alice");
    var sa = Db.source(a);
    Db.setSourceStatus(sa, "a before the stream");
    String cursor;
    try (var client = Api.stream(base, List.of(a, b), "alice")) {
      var connected = client.events().get(0);
      assertThat(connected.data()).isEqualTo(CONNECTED);
      assertThat(connected.id()).isNotBlank();
      cursor = connected.id();
    }
    // Committed after "connected", before the client got any event: a page that adds a project
    // reconnects now, with the only cursor it has.
    Db.setSourceStatus(sa, "a between");
    try (var client = Api.stream(base, List.of(a, b), "alice", "Last-Event-ID", cursor)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 1);
      assertThat(statusesByProject(client).get(a.toString())).containsExactly("a between");
      assertThat(client.resyncRequired()).isFalse();
    }
  }

  @Test
  void aProjectWhoseHistoryIsGoneResyncsAloneTheOthersResume() {
    var a = Db.project("alice");
    var b = Db.project("alice");
    var sa = Db.source(a);
    var sb = Db.source(b);
    String cursor;
    try (var client = Api.stream(base, List.of(a, b), "alice")) {
      Db.setSourceStatus(sa, "a 1");
      Db.setSourceStatus(sb, "b 1");
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 2);
      cursor = lastId(client);
    }
    Db.setSourceStatus(sa, "a 2");
    Db.setSourceStatus(sb, "b 2");
    Db.setSourceStatus(sb, "b 3");
    // What followed b's position is gone (purged): the log no longer continues it.
    Db.exec("DELETE FROM status_events WHERE id = ?", Db.eventIds(b).get(1));
    try (var client = Api.stream(base, List.of(a, b), "alice", "Last-Event-ID", cursor)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> events(client).size() >= 2);
      var all = events(client);
      var resync = all.stream().filter(e -> e.getString("type").equals("resync_required")).toList();
      assertThat(resync).hasSize(1);
      assertThat(resync.get(0).getString("projectId")).isEqualTo(b.toString());
      assertThat(statusesByProject(client).get(a.toString())).containsExactly("a 2");
      // The resync's cursor holds b's position: resuming from it continues b.
      Db.setSourceStatus(sb, "b 3");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> statusesByProject(client).containsKey(b.toString()));
      assertThat(statusesByProject(client).get(b.toString())).containsExactly("b 3");
    }
  }

  @Test
  void refusesBadInputAndAnyProjectTheCallerMayNotRead() {
    var mine = Db.project("alice");
    var theirs = Db.project("bob");
    var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
    var forbidden = Http.get(Api.status(base, List.of(mine, theirs), null), auth);
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(forbidden.body()).doesNotContain(theirs.toString()).doesNotContain(mine.toString());
    assertThat(Http.get(Api.events(base, List.of(mine, theirs), null), auth).statusCode())
        .isEqualTo(403);

    assertThat(Http.get(uri(base, "/api/status"), auth).statusCode()).isEqualTo(400);
    assertThat(Http.get(uri(base, "/api/status?project=not-a-uuid"), auth).statusCode())
        .isEqualTo(400);
    var many = new ArrayList<UUID>();
    for (int i = 0; i < 65; i++) {
      many.add(UUID.randomUUID());
    }
    assertThat(Http.get(Api.status(base, many, null), auth).statusCode()).isEqualTo(400);
    for (var cursor : List.of("12345", "not a cursor", "AAAA", "x".repeat(3000))) {
      var answer =
          Http.get(
              Api.status(base, List.of(mine), null), auth[0], auth[1], "Last-Event-ID", cursor);
      assertThat(answer.statusCode()).as(cursor.length() > 20 ? "long" : cursor).isEqualTo(400);
      assertThat(Http.json(answer.body()).getString("error")).isEqualTo("bad_request");
    }
    assertThat(
            Http.get(Api.events(base, List.of(mine), Api.query("after", "12345")), auth)
                .statusCode())
        .isEqualTo(400);
    assertThat(Http.get(Api.status(base, List.of(mine), null)).statusCode()).isEqualTo(401);
  }

  @Test
  void oneConnectionTakesOneSlotOfTheUsersLimitHoweverManyProjects() {
    var projects = new ArrayList<UUID>();
    for (int i = 0; i < 20; i++) {
      projects.add(Db.project("carol"));
    }
    var open = new ArrayList<SseClient>();
    try {
      // STREAM_MAX_PER_USER is 16: 16 connections of 20 projects each.
      for (int i = 0; i < 16; i++) {
        open.add(Api.stream(base, projects, "carol"));
      }
      assertThat(open).allMatch(s -> s.status() == 200);
      var refused =
          Http.get(
              Api.status(base, projects.subList(0, 1), null),
              "Authorization",
              "Bearer " + Tokens.forUser("carol"));
      assertThat(refused.statusCode()).isEqualTo(429);
    } finally {
      open.forEach(SseClient::close);
    }
  }

  @Test
  void pollingOfSeveralHasTheShapeOfTheirStream() {
    var a = Db.project("alice");
    var b = Db.project("alice");
    var sa = Db.source(a);
    var sb = Db.source(b);
    Db.setSourceStatus(sa, "a 1");
    Db.setSourceStatus(sb, "b 1");
    Db.setSourceStatus(sa, "a 2");
    var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
    var first = Http.json(Http.get(Api.events(base, List.of(a, b), "limit=2"), auth).body());
    var events = first.getJsonArray("events");
    assertThat(events).hasSize(2);
    var cursor = first.getString("lastEventId");
    assertThat(events.getJsonObject(1).getString("id")).isEqualTo(cursor);
    var rest =
        Http.json(
            Http.get(Api.events(base, List.of(a, b), Api.query("after", cursor)), auth).body());
    var statuses = new ArrayList<String>();
    for (var page : List.of(events, rest.getJsonArray("events"))) {
      for (int i = 0; i < page.size(); i++) {
        var data = page.getJsonObject(i).getJsonObject("data");
        statuses.add(data.getString("projectId").substring(0, 8) + ":" + data.getString("status"));
      }
    }
    assertThat(statuses)
        .containsExactly(
            a.toString().substring(0, 8) + ":a 1",
            b.toString().substring(0, 8) + ":b 1",
            a.toString().substring(0, 8) + ":a 2");
    // Nothing new: no events, the same position.
    var none =
        Http.json(
            Http.get(
                    Api.events(
                        base, List.of(a, b), Api.query("after", rest.getString("lastEventId"))),
                    auth)
                .body());
    assertThat(none.getJsonArray("events")).isEmpty();
  }

  private static java.net.URI uri(java.net.URL base, String path) {
    return java.net.URI.create(base.toString()).resolve(path);
  }
}
