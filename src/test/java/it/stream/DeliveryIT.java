package it.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.Metrics;
import it.ServiceTest;
import it.SseClient;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Exactly once, in order, to exactly the right streams: under concurrency, rollbacks, faults. */
class DeliveryIT extends ServiceTest {

  private final ExecutorService writers = Executors.newFixedThreadPool(4);

  @AfterEach
  void stopWriters() {
    writers.shutdownNow();
  }

  private static long backendPid(Connection c) throws Exception {
    try (var s = c.createStatement();
        var rows = s.executeQuery("SELECT pg_backend_pid()")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  /** The listener's backend, or 0 while it is not connected. */
  private static int listenerPid() {
    return Db.value(
        Integer.class,
        "SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
            + " WHERE application_name = 'status-stream-listener'");
  }

  private static void update(Connection c, UUID source, String status) throws Exception {
    try (var s = c.prepareStatement("UPDATE ingestion_sources SET status = ? WHERE id = ?")) {
      s.setString(1, status);
      s.setObject(2, source);
      s.executeUpdate();
    }
  }

  @Test
  void aWriterThatCommitsLaterThanAnotherStillGetsDeliveredInOrder() throws Exception {
    var project = Db.project("alice");
    var first = Db.source(project);
    var second = Db.source(project);
    try (var client = Api.stream(base, project, "alice");
        var c1 = Db.connect();
        var c2 = Db.connect()) {
      c1.setAutoCommit(false);
      c2.setAutoCommit(false);
      long secondPid = backendPid(c2);
      update(c1, first, "written first, committed last");
      // The second writer of the project waits for the first: ids follow commit order.
      var blocked =
          CompletableFuture.runAsync(
              () -> {
                try {
                  update(c2, second, "written second");
                  c2.commit();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              writers);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  "Lock"
                      .equals(
                          Db.value(
                              String.class,
                              "SELECT wait_event_type FROM pg_stat_activity WHERE pid = ?",
                              (int) secondPid)));
      assertThat(blocked).isNotDone();
      c1.commit();
      blocked.get(10, TimeUnit.SECONDS);

      client.awaitProjectEvents(2);
      assertThat(client.projectEventIds()).hasSize(2).isEqualTo(Db.eventIds(project));
      assertThat(
              client.projectEvents().stream()
                  .map(e -> Http.json(e.data()).getString("status"))
                  .toList())
          .containsExactly("written first, committed last", "written second");
    }
  }

  @Test
  void writersOfDifferentProjectsCommittingInReverseOrderReachBothStreams() throws Exception {
    var a = Db.project("alice");
    var b = Db.project("alice");
    var sourceA = Db.source(a);
    var sourceB = Db.source(b);
    try (var streamA = Api.stream(base, a, "alice");
        var streamB = Api.stream(base, b, "alice");
        var c1 = Db.connect();
        var c2 = Db.connect()) {
      c1.setAutoCommit(false);
      c2.setAutoCommit(false);
      update(c1, sourceA, "a");
      update(c2, sourceB, "b");
      c2.commit();
      streamB.awaitProjectEvents(1);
      c1.commit();
      streamA.awaitProjectEvents(1);
      assertThat(Http.json(streamA.projectEvents().get(0).data()).getString("status"))
          .isEqualTo("a");
      assertThat(Http.json(streamB.projectEvents().get(0).data()).getString("status"))
          .isEqualTo("b");
    }
  }

  @Test
  void concurrentWritersOfOneProjectAreDeliveredExactlyOnceInOrder() throws Exception {
    var project = Db.project("alice");
    var sources =
        List.of(Db.source(project), Db.source(project), Db.source(project), Db.source(project));
    int perWriter = 40;
    try (var client = Api.stream(base, project, "alice")) {
      var done = new ArrayList<CompletableFuture<Void>>();
      for (var source : sources) {
        done.add(
            CompletableFuture.runAsync(
                () -> {
                  try (var c = Db.connect()) {
                    c.setAutoCommit(false);
                    for (int i = 0; i < perWriter; i++) {
                      update(c, source, "n" + i);
                      if (ThreadLocalRandom.current().nextInt(4) == 0) {
                        Thread.sleep(ThreadLocalRandom.current().nextInt(5));
                      }
                      c.commit();
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                writers));
      }
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      client.awaitProjectEvents(4 * perWriter);
      assertThat(client.projectEventIds())
          .hasSize(4 * perWriter)
          .isSorted()
          .doesNotHaveDuplicates()
          .isEqualTo(Db.eventIds(project));
    }
  }

  /**
   * 2,000 events from four writers as fast as they commit, to ten clients with small receive
   * windows that read 2 KB at a time: the server's writes meet full sockets and leave in large
   * batches, which Liberty splits into chunks anywhere (mid-frame too). Every client gets every
   * event, in order, once the chunked framing is removed as any HTTP client does.
   */
  @Test
  void aBurstToClientsThatReadSlowlyReachesThemWhole() throws Exception {
    var project = Db.project("alice");
    var source = Db.source(project);
    int perWriter = 500;
    int clients = 10;
    var channels = new ArrayList<java.nio.channels.SocketChannel>();
    var text = new ArrayList<StringBuilder>();
    var ended = new boolean[clients];
    try {
      for (int i = 0; i < clients; i++) {
        var channel = java.nio.channels.SocketChannel.open();
        channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
        channel.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()));
        channel.write(java.nio.ByteBuffer.wrap(Api.rawStreamRequest(base, project, "alice")));
        channel.configureBlocking(false);
        channels.add(channel);
        text.add(new StringBuilder());
      }
      var buffer = java.nio.ByteBuffer.allocate(2048);
      Runnable readSome =
          () -> {
            for (int i = 0; i < clients; i++) {
              if (ended[i]) {
                continue;
              }
              // Up to four reads of 2 KB a turn: slow enough that the server's writes meet full
              // sockets, fast enough that no client falls STREAM_BUFFER_EVENTS behind the burst
              // on a busy machine (with one read a turn, one in some runs did, and was ended).
              try {
                for (int r = 0; r < 4; r++) {
                  buffer.clear();
                  int n = channels.get(i).read(buffer);
                  if (n < 0) {
                    ended[i] = true;
                  }
                  if (n <= 0) {
                    break;
                  }
                  text.get(i)
                      .append(
                          new String(
                              buffer.array(), 0, n, java.nio.charset.StandardCharsets.UTF_8));
                }
              } catch (java.io.IOException e) {
                ended[i] = true;
              }
            }
          };
      await()
          .until(
              () -> {
                readSome.run();
                return text.stream().allMatch(t -> t.indexOf("connected") >= 0);
              });
      var done = new ArrayList<CompletableFuture<Void>>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        done.add(
            CompletableFuture.runAsync(
                () -> {
                  try (var c = Db.connect()) {
                    for (int i = 0; i < perWriter; i++) {
                      update(c, source, "w" + writer + " " + i);
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                writers));
      }
      var all = CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
      while (!all.isDone()) {
        readSome.run();
        Thread.sleep(1);
      }
      var ids = Db.eventIds(project);
      assertThat(ids).hasSize(4 * perWriter);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        for (int k = 0; k < 40; k++) {
          readSome.run();
          Thread.sleep(5);
        }
        boolean complete = true;
        for (int i = 0; i < clients; i++) {
          if (!ended[i] && count(text.get(i), "\"type\":\"status_update\"") < ids.size()) {
            complete = false;
          }
        }
        if (complete) {
          break;
        }
      }
      for (int i = 0; i < clients; i++) {
        var received = count(text.get(i), "\"type\":\"status_update\"");
        var streamed =
            body(text.get(i).toString())
                .lines()
                .filter(line -> line.startsWith("id: "))
                .map(line -> Long.parseLong(line.substring(4)))
                .toList();
        assertThat(ended[i])
            .as(
                "client %d disconnected (slow-client disconnects so far: %s)",
                i, Metrics.value(base, "status_stream_slow_client_disconnects_total"))
            .isFalse();
        assertThat(received).as("client " + i).isEqualTo(ids.size());
        assertThat(streamed).as("client " + i).isEqualTo(ids);
      }
    } finally {
      for (var channel : channels) {
        channel.close();
      }
    }
  }

  /** The body of a chunked HTTP response as far as it came (the raw text holds the framing). */
  private static String body(String raw) {
    int at = raw.indexOf("\r\n\r\n");
    if (at < 0) {
      return "";
    }
    at += 4;
    var body = new StringBuilder();
    while (true) {
      int eol = raw.indexOf("\r\n", at);
      if (eol < 0) {
        break;
      }
      int size = Integer.parseInt(raw.substring(at, eol).strip(), 16);
      if (eol + 2 + size > raw.length()) {
        break;
      }
      body.append(raw, eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    return body.toString();
  }

  private static int count(CharSequence text, String needle) {
    var all = body(text.toString());
    int n = 0;
    for (int at = all.indexOf(needle); at >= 0; at = all.indexOf(needle, at + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void rolledBackWritesProduceNoEventAndNoGap() throws Exception {
    var project = Db.project("alice");
    var source = Db.source(project);
    try (var client = Api.stream(base, project, "alice");
        var c = Db.connect()) {
      c.setAutoCommit(false);
      update(c, source, "never happened");
      c.rollback();
      c.setAutoCommit(true);
      update(c, source, "happened");
      client.awaitProjectEvents(1);
      assertThat(client.projectEventIds()).hasSize(1).isEqualTo(Db.eventIds(project));
      assertThat(
              Db.value(
                  Long.class, "SELECT prev_id FROM status_events WHERE project_id = ?", project))
          .as("the rolled back id left no gap before it")
          .isZero();
      assertThat(Http.json(client.projectEvents().get(0).data()).getString("status"))
          .isEqualTo("happened");
    }
  }

  @Test
  void aProgressMessageLargerThanNotifyAllowsStreamsWhole() {
    var project = Db.project("alice");
    var job = UUID.randomUUID();
    Db.exec("INSERT INTO jobs (id, project_id) VALUES (?, ?)", job, project);
    var message = "x".repeat(20_000) + " \"quoted\"\nsecond line";
    try (var client = Api.stream(base, project, "alice")) {
      Db.exec(
          "UPDATE jobs SET progress_message = ?, progress_updated_at = now() WHERE id = ?",
          message,
          job);
      var event = client.awaitProjectEvents(1).projectEvents().get(0);
      assertThat(event.fieldNames()).containsExactly("id", "data");
      assertThat(Http.json(event.data()).getJsonObject("progress").getString("message"))
          .isEqualTo(message);
    }
  }

  @Test
  void eachProjectsEventsReachOnlyThatProjectsStreams() {
    int projects = 5;
    int clientsPerProject = 3;
    int writesPerProject = 4;
    var ids = new ArrayList<UUID>();
    var sources = new ArrayList<UUID>();
    var clients = new ArrayList<List<SseClient>>();
    try {
      for (int p = 0; p < projects; p++) {
        var project = Db.project("alice", "bob", "carol");
        ids.add(project);
        sources.add(Db.source(project));
        var streams = new ArrayList<SseClient>();
        for (var user : List.of("alice", "bob", "carol").subList(0, clientsPerProject)) {
          streams.add(Api.stream(base, project, user));
        }
        clients.add(streams);
      }
      for (int i = 0; i < writesPerProject; i++) {
        for (int p = 0; p < projects; p++) {
          Db.setSourceStatus(sources.get(p), ids.get(p) + "/" + i);
        }
      }
      for (int p = 0; p < projects; p++) {
        for (var client : clients.get(p)) {
          client.awaitProjectEvents(writesPerProject);
          var project = ids.get(p).toString();
          assertThat(client.projectEvents())
              .hasSize(writesPerProject)
              .allSatisfy(
                  e ->
                      assertThat(Http.json(e.data()).getString("status"))
                          .startsWith(project + "/"));
          assertThat(client.projectEventIds()).isEqualTo(Db.eventIds(ids.get(p)));
        }
      }
    } finally {
      clients.stream().flatMap(List::stream).forEach(SseClient::close);
    }
  }

  @Test
  void killingTheListenersConnectionDuringABurstLosesNothing() throws Exception {
    var project = Db.project("alice", "bob");
    var source = Db.source(project);
    int writes = 300;
    try (var alice = Api.stream(base, project, "alice");
        var bob = Api.stream(base, project, "bob")) {
      var burst =
          CompletableFuture.runAsync(
              () -> {
                try (var c = Db.connect()) {
                  c.setAutoCommit(true);
                  for (int i = 0; i < writes; i++) {
                    update(c, source, "n" + i);
                    Thread.sleep(2);
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              writers);
      int killed = 0;
      for (int kill = 0; kill < 3; kill++) {
        int previous = killed;
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> listenerPid() != 0 && listenerPid() != previous);
        killed = listenerPid();
        Db.value(Boolean.class, "SELECT pg_terminate_backend(?)", killed);
      }
      burst.get(60, TimeUnit.SECONDS);
      for (var client : List.of(alice, bob)) {
        client.awaitProjectEvents(writes);
        assertThat(client.projectEventIds()).hasSize(writes).isEqualTo(Db.eventIds(project));
      }
    }
  }
}
