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
import jakarta.json.JsonValue.ValueType;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StreamIT extends ServiceTest {

  private static final String CONNECTED =
      "{\"type\":\"connected\",\"message\":\"Connected to status updates\"}";
  private static final String RESYNC = "{\"type\":\"resync_required\"}";

  private static void touch(UUID source, String status) {
    Db.exec(
        "UPDATE ingestion_sources SET status = ?, updated_at = now() WHERE id = ?", status, source);
  }

  private static void assertKeys(JsonObject json, String... keys) {
    assertThat(json.keySet()).containsExactlyInAnyOrder(keys);
  }

  @Test
  void opensWithRetryAndTheConnectedMessageAndStreamHeaders() {
    var project = Db.project("alice");
    try (var client = Api.stream(base, project, "alice")) {
      var first = client.events().get(0);
      assertThat(first.data()).isEqualTo(CONNECTED);
      assertThat(first.retry()).matches("[0-9]+");
      assertThat(first.id()).isNull();
      var headers = client.response().headers();
      assertThat(client.status()).isEqualTo(200);
      assertThat(headers.firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
      assertThat(headers.firstValue("Cache-Control")).hasValue("no-cache");
      assertThat(headers.firstValue("X-Accel-Buffering")).hasValue("no");
    }
  }

  @Test
  void deliversEveryEventTypeWithTheFieldsAndTypesTheBrowserExpects() {
    var project = Db.project("alice");
    var source = Db.source(project);
    var job = UUID.randomUUID();
    Db.exec("INSERT INTO jobs (id, project_id) VALUES (?, ?)", job, project);
    var proposal = UUID.randomUUID();
    try (var client = Api.stream(base, project, "alice")) {
      touch(source, "processing");
      Db.exec(
          "UPDATE jobs SET progress_stage = 'extract', progress_current = 3, progress_total = 10,"
              + " progress_message = 'Reading papers', progress_updated_at ="
              + " '2026-01-02T03:04:05.678Z' WHERE id = ?",
          job);
      Db.exec(
          "INSERT INTO proposed_nodes (id, project_id, title, confidence) VALUES (?, ?, 'A', 0.75)",
          proposal,
          project);
      Db.exec(
          "UPDATE proposed_nodes SET status = 'accepted', title = 'B', updated_at = now()"
              + " WHERE id = ?",
          proposal);
      Db.exec("DELETE FROM proposed_nodes WHERE id = ?", proposal);

      var events = client.awaitProjectEvents(5).projectEvents();
      var json = events.stream().map(e -> Http.json(e.data())).toList();

      var status = json.get(0);
      assertKeys(status, "type", "sourceId", "status", "sourceName", "updatedAt");
      assertThat(status.getString("type")).isEqualTo("status_update");
      assertThat(status.getString("sourceId")).isEqualTo(source.toString());
      assertThat(status.getString("status")).isEqualTo("processing");
      assertThat(status.getString("sourceName")).isEqualTo("papers.csv");
      assertThat(OffsetDateTime.parse(status.getString("updatedAt"))).isNotNull();

      var progress = json.get(1);
      assertKeys(progress, "type", "jobId", "progress");
      assertThat(progress.getString("type")).isEqualTo("progress_update");
      assertThat(progress.getString("jobId")).isEqualTo(job.toString());
      var inner = progress.getJsonObject("progress");
      assertKeys(inner, "stage", "current", "total", "message", "timestamp");
      assertThat(inner.getString("stage")).isEqualTo("extract");
      assertThat(inner.getJsonNumber("current").intValue()).isEqualTo(3);
      assertThat(inner.getJsonNumber("total").intValue()).isEqualTo(10);
      assertThat(inner.getString("message")).isEqualTo("Reading papers");
      assertThat(inner.getJsonNumber("timestamp").longValueExact())
          .isEqualTo(OffsetDateTime.parse("2026-01-02T03:04:05.678Z").toInstant().toEpochMilli());

      var created = json.get(2);
      assertKeys(created, "type", "proposalId", "title", "confidence", "createdAt");
      assertThat(created.getString("type")).isEqualTo("new_proposal");
      assertThat(created.getString("proposalId")).isEqualTo(proposal.toString());
      assertThat(created.getString("title")).isEqualTo("A");
      assertThat(created.get("confidence").getValueType()).isEqualTo(ValueType.NUMBER);
      assertThat(created.getJsonNumber("confidence").doubleValue()).isEqualTo(0.75);
      assertThat(OffsetDateTime.parse(created.getString("createdAt"))).isNotNull();

      var updated = json.get(3);
      assertKeys(updated, "type", "proposalId", "title", "confidence", "status", "updatedAt");
      assertThat(updated.getString("type")).isEqualTo("proposal_update");
      assertThat(updated.getString("title")).isEqualTo("B");
      assertThat(updated.getString("status")).isEqualTo("accepted");
      assertThat(OffsetDateTime.parse(updated.getString("updatedAt"))).isNotNull();

      var deleted = json.get(4);
      assertKeys(deleted, "type", "proposalId");
      assertThat(deleted.getString("type")).isEqualTo("proposal_deleted");
      assertThat(deleted.getString("proposalId")).isEqualTo(proposal.toString());

      var ids = client.projectEventIds();
      assertThat(ids).isSorted().doesNotHaveDuplicates().allMatch(id -> id > 0);
      assertThat(events).allSatisfy(e -> assertThat(e.fieldNames()).containsOnly("id", "data"));
      assertThat(client.lines()).noneMatch(line -> line.startsWith("event"));
    }
  }

  @Test
  void aJobUpdateThatLeavesTheProgressTimeAloneSendsNothing() {
    var project = Db.project("alice");
    var job = UUID.randomUUID();
    Db.exec("INSERT INTO jobs (id, project_id) VALUES (?, ?)", job, project);
    var source = Db.source(project);
    try (var client = Api.stream(base, project, "alice")) {
      Db.exec("UPDATE jobs SET progress_stage = 'quiet' WHERE id = ?", job);
      touch(source, "done");
      var events = client.awaitProjectEvents(1).projectEvents();
      assertThat(Http.json(events.get(0).data()).getString("type")).isEqualTo("status_update");
      assertThat(events).hasSize(1);
    }
  }

  @Test
  void replaysWhatWasMissedAfterLastEventIdFromHeaderOrQuery() {
    var project = Db.project("alice");
    var source = Db.source(project);
    try (var client = Api.stream(base, project, "alice")) {
      for (int i = 0; i < 3; i++) {
        touch(source, "step " + i);
      }
      client.awaitProjectEvents(3);
    }
    touch(source, "while away 1");
    touch(source, "while away 2");
    var ids = Db.eventIds(project);
    assertThat(ids).hasSize(5);

    try (var byHeader =
            Api.stream(base, project, "alice", "Last-Event-ID", String.valueOf(ids.get(0)));
        var byQuery =
            SseClient.open(
                    Api.status(
                        base,
                        project,
                        Api.query("token", Tokens.forUser("alice")) + "&lastEventId=" + ids.get(2)))
                .awaitConnected()) {
      byHeader.awaitProjectEvents(4);
      byQuery.awaitProjectEvents(2);
      touch(source, "live");
      var all = Db.eventIds(project);
      assertThat(byHeader.awaitProjectEvents(5).projectEventIds()).isEqualTo(all.subList(1, 6));
      assertThat(byQuery.awaitProjectEvents(3).projectEventIds()).isEqualTo(all.subList(3, 6));
      assertThat(Http.json(byHeader.projectEvents().get(2).data()).getString("status"))
          .isEqualTo("while away 1");
      assertThat(byHeader.events()).noneMatch(e -> RESYNC.equals(e.data()));
    }
  }

  @Test
  void asksForResyncWithThePositionWhenTheCursorWasPurgedOrIsNotInTheLog() {
    var project = Db.project("alice");
    var source = Db.source(project);
    for (int i = 0; i < 3; i++) {
      touch(source, "step " + i);
    }
    var ids = Db.eventIds(project);
    // As retention would: the oldest events are gone.
    Db.exec("DELETE FROM status_events WHERE project_id = ? AND id <= ?", project, ids.get(1));
    long head = Db.head(project);

    // Purged; never issued (a restored database); between two issued ids; 0 (from the start).
    for (var cursor :
        List.of(ids.get(0), ids.get(2) + 1_000_000, ids.get(2) - 1, ids.get(0) - 1, 0L)) {
      try (var client =
          Api.stream(base, project, "alice", "Last-Event-ID", String.valueOf(cursor))) {
        await().atMost(Duration.ofSeconds(10)).until(() -> client.events().size() >= 2);
        var resync = client.events().get(1);
        assertThat(resync.data()).as("cursor " + cursor).isEqualTo(RESYNC);
        assertThat(resync.id()).isEqualTo(String.valueOf(head));
        touch(source, "after resync");
        head = Db.head(project);
        assertThat(client.awaitProjectEvents(1).projectEventIds())
            .as("only live events after a resync")
            .containsExactly(head);
      }
    }
    // A cursor at the head needs nothing: no resync, nothing replayed.
    try (var client = Api.stream(base, project, "alice", "Last-Event-ID", String.valueOf(head))) {
      touch(source, "next");
      assertThat(client.awaitProjectEvents(1).projectEventIds()).containsExactly(Db.head(project));
      assertThat(client.events()).noneMatch(e -> RESYNC.equals(e.data()));
    }
  }

  @Test
  void sendsKeepaliveCommentsBetweenEvents() {
    var project = Db.project("alice");
    try (var client = Api.stream(base, project, "alice")) {
      await().atMost(Duration.ofSeconds(15)).until(() -> client.lines().contains(": keepalive"));
    }
  }

  @Test
  void purgesEventsOlderThanTheRetention() {
    var project = Db.project("alice");
    var source = Db.source(project);
    touch(source, "old");
    touch(source, "new");
    var ids = Db.eventIds(project);
    Db.exec(
        "UPDATE status_events SET created_at = now() - interval '100 hours'"
            + " WHERE project_id = ? AND id = ?",
        project,
        ids.get(0));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> Db.eventIds(project).equals(ids.subList(1, 2)));
  }

  @Test
  void pollingPagesThroughTheSameLog() {
    var project = Db.project("alice");
    var source = Db.source(project);
    for (int i = 0; i < 5; i++) {
      touch(source, "step " + i);
    }
    var ids = Db.eventIds(project).stream().map(String::valueOf).toList();
    var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};

    var page1 = Http.json(Http.get(Api.events(base, project, "after=0&limit=2"), auth).body());
    assertThat(idsOf(page1)).isEqualTo(ids.subList(0, 2));
    assertThat(page1.getString("lastEventId")).isEqualTo(ids.get(1));
    assertThat(page1.containsKey("resyncRequired")).isFalse();
    var data = page1.getJsonArray("events").getJsonObject(0).getJsonObject("data");
    assertThat(data.getString("type")).isEqualTo("status_update");
    assertThat(data.getString("status")).isEqualTo("step 0");

    var page2 =
        Http.json(
            Http.get(Api.events(base, project, "after=" + ids.get(1) + "&limit=2"), auth).body());
    assertThat(idsOf(page2)).isEqualTo(ids.subList(2, 4));
    assertThat(page2.getString("lastEventId")).isEqualTo(ids.get(3));
    var page3 = Http.json(Http.get(Api.events(base, project, "after=" + ids.get(3)), auth).body());
    assertThat(idsOf(page3)).containsExactly(ids.get(4));
    assertThat(page3.getString("lastEventId")).isEqualTo(ids.get(4));
    var empty = Http.json(Http.get(Api.events(base, project, "after=" + ids.get(4)), auth).body());
    assertThat(empty.getJsonArray("events")).isEmpty();
    assertThat(empty.getString("lastEventId")).isEqualTo(ids.get(4));
    var fromStart = Http.json(Http.get(Api.events(base, project, null), auth).body());
    assertThat(idsOf(fromStart)).isEqualTo(ids);

    // Purged, not in the log, or beyond it: nothing but the position to go on from.
    Db.exec(
        "DELETE FROM status_events WHERE project_id = ? AND id <= ?",
        project,
        Long.valueOf(ids.get(2)));
    for (var after : List.of(ids.get(0), "1", String.valueOf(Long.parseLong(ids.get(4)) + 1))) {
      var resync = Http.json(Http.get(Api.events(base, project, "after=" + after), auth).body());
      assertThat(resync.getBoolean("resyncRequired")).as(after).isTrue();
      assertThat(resync.getJsonArray("events")).isEmpty();
      assertThat(resync.getString("lastEventId")).isEqualTo(ids.get(4));
    }
    var continued =
        Http.json(Http.get(Api.events(base, project, "after=" + ids.get(2)), auth).body());
    assertThat(continued.containsKey("resyncRequired")).isFalse();
    assertThat(idsOf(continued)).isEqualTo(ids.subList(3, 5));
  }

  private static List<String> idsOf(JsonObject page) {
    return page.getJsonArray("events").stream().map(e -> e.asJsonObject().getString("id")).toList();
  }
}
