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
    long first;
    try (var client = Api.stream(base, project, "alice")) {
      for (int i = 0; i < 3; i++) {
        touch(source, "step " + i);
      }
      first = Long.parseLong(client.awaitProjectEvents(3).projectEvents().get(0).id());
    }
    touch(source, "while away 1");
    touch(source, "while away 2");

    try (var byHeader = Api.stream(base, project, "alice", "Last-Event-ID", String.valueOf(first));
        var byQuery =
            SseClient.open(
                    Api.status(
                        base,
                        project,
                        Api.query("token", Tokens.forUser("alice"))
                            + "&lastEventId="
                            + (first + 2)))
                .awaitConnected()) {
      byHeader.awaitProjectEvents(4);
      byQuery.awaitProjectEvents(2);
      touch(source, "live");
      assertThat(byHeader.awaitProjectEvents(5).projectEventIds())
          .containsExactly(first + 1, first + 2, first + 3, first + 4, first + 5);
      assertThat(byQuery.awaitProjectEvents(3).projectEventIds())
          .containsExactly(first + 3, first + 4, first + 5);
      assertThat(Http.json(byHeader.projectEvents().get(2).data()).getString("status"))
          .isEqualTo("while away 1");
    }
  }

  @Test
  void asksForResyncWhenTheCursorWasPurgedOrIsNewerThanAnyIssued() {
    var project = Db.project("alice");
    var source = Db.source(project);
    for (int i = 0; i < 3; i++) {
      touch(source, "step " + i);
    }
    // As retention would: the oldest events are gone.
    Db.exec("DELETE FROM status_events WHERE project_id = ? AND id <= 2", project);

    for (var cursor : List.of("1", "99")) {
      try (var client = Api.stream(base, project, "alice", "Last-Event-ID", cursor)) {
        await().atMost(Duration.ofSeconds(10)).until(() -> client.events().size() >= 2);
        var resync = client.events().get(1);
        assertThat(resync.data()).isEqualTo("{\"type\":\"resync_required\"}");
        assertThat(resync.id()).isNull();
        touch(source, "after resync");
        assertThat(client.awaitProjectEvents(1).projectEventIds())
            .as("only live events after a resync")
            .hasSize(1)
            .allMatch(id -> id >= 4);
      }
    }
    // A cursor at the head needs nothing: no resync, nothing replayed.
    long head =
        Db.value(
            Long.class, "SELECT last_id FROM status_event_heads WHERE project_id = ?", project);
    try (var client = Api.stream(base, project, "alice", "Last-Event-ID", String.valueOf(head))) {
      touch(source, "next");
      assertThat(client.awaitProjectEvents(1).projectEventIds()).containsExactly(head + 1);
      assertThat(client.events()).noneMatch(e -> "{\"type\":\"resync_required\"}".equals(e.data()));
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
    Db.exec(
        "UPDATE status_events SET created_at = now() - interval '100 hours'"
            + " WHERE project_id = ? AND id = 1",
        project);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Db.value(
                        Long.class,
                        "SELECT count(*) FROM status_events WHERE project_id = ? AND id = 1",
                        project)
                    == 0L);
    assertThat(
            Db.value(
                Long.class, "SELECT count(*) FROM status_events WHERE project_id = ?", project))
        .isEqualTo(1L);
  }

  @Test
  void pollingPagesThroughTheSameLog() {
    var project = Db.project("alice");
    var source = Db.source(project);
    for (int i = 0; i < 5; i++) {
      touch(source, "step " + i);
    }
    var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};

    var page1 = Http.json(Http.get(Api.events(base, project, "after=0&limit=2"), auth).body());
    assertThat(page1.getJsonArray("events").stream().map(e -> e.asJsonObject().getString("id")))
        .containsExactly("1", "2");
    assertThat(page1.getString("lastEventId")).isEqualTo("2");
    assertThat(page1.containsKey("resyncRequired")).isFalse();
    var data = page1.getJsonArray("events").getJsonObject(0).getJsonObject("data");
    assertThat(data.getString("type")).isEqualTo("status_update");
    assertThat(data.getString("status")).isEqualTo("step 0");

    var page2 = Http.json(Http.get(Api.events(base, project, "after=2&limit=2"), auth).body());
    assertThat(page2.getString("lastEventId")).isEqualTo("4");
    var page3 = Http.json(Http.get(Api.events(base, project, "after=4"), auth).body());
    assertThat(page3.getJsonArray("events")).hasSize(1);
    assertThat(page3.getString("lastEventId")).isEqualTo("5");
    var empty = Http.json(Http.get(Api.events(base, project, "after=5"), auth).body());
    assertThat(empty.getJsonArray("events")).isEmpty();
    assertThat(empty.getString("lastEventId")).isEqualTo("5");

    Db.exec("DELETE FROM status_events WHERE project_id = ? AND id <= 3", project);
    var resync = Http.json(Http.get(Api.events(base, project, "after=1"), auth).body());
    assertThat(resync.getBoolean("resyncRequired")).isTrue();
    assertThat(resync.getJsonArray("events").stream().map(e -> e.asJsonObject().getString("id")))
        .containsExactly("4", "5");
  }
}
