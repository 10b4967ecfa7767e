package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Metrics;
import it.ServiceTest;
import it.SseClient;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A client that stops reading delays no one else and is disconnected. */
class SlowClientIT extends ServiceTest {

  @Test
  void aStalledClientHoldsBackNoOtherSubscriberAndIsDisconnected() throws Exception {
    var project = Db.project("alice", "stalled");
    var job = UUID.randomUUID();
    Db.exec("INSERT INTO jobs (id, project_id) VALUES (?, ?)", job, project);
    double slowBefore = Metrics.value(base, "status_stream_slow_client_disconnects_total");

    try (var stalled = new Socket()) {
      // A small window, and never a read: the server's writes to it block once the buffers fill.
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress(base.getHost(), base.getPort()));
      OutputStream out = stalled.getOutputStream();
      out.write(Api.rawStreamRequest(base, project, "stalled"));
      out.flush();

      List<SseClient> readers = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          readers.add(Api.stream(base, project, "alice"));
        }
        int events = 200;
        var message = "m".repeat(30_000);
        for (int i = 0; i < events; i++) {
          Db.exec(
              "UPDATE jobs SET progress_current = ?, progress_message = ?,"
                  + " progress_updated_at = clock_timestamp() WHERE id = ?",
              i,
              message,
              job);
        }
        for (var reader : readers) {
          reader.awaitProjectEvents(events);
          assertThat(reader.projectEvents()).hasSize(events);
        }
      } finally {
        readers.forEach(SseClient::close);
      }
      // 6 MB went to a client that reads nothing: its writes block, time out, and it is dropped.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  Metrics.value(base, "status_stream_slow_client_disconnects_total") > slowBefore);
    }
  }
}
