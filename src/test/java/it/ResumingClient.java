package it;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client that watches one project for as long as a test runs, as a browser does: when its stream
 * ends (or is refused while an instance is not ready) it opens a new one with the last id it got,
 * as {@code Last-Event-ID}. It notes when each event arrived, so a test can tell how long any event
 * took, across every reconnect.
 */
public final class ResumingClient implements AutoCloseable {

  /** One event, when it arrived. */
  public record Received(long id, String data, Instant at) {}

  private final URI uri;
  private final String token;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger reconnects = new AtomicInteger();
  private final AtomicInteger resyncs = new AtomicInteger();
  private final Thread watcher;
  private volatile boolean closed;
  private volatile boolean connected;

  private ResumingClient(URI uri, String user) {
    this.uri = uri;
    this.token = Tokens.forUser(user);
    watcher = new Thread(this::watch, "resuming-client");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** Watches the stream at {@code uri} as {@code user}. */
  public static ResumingClient watch(URI uri, String user) {
    return new ResumingClient(uri, user);
  }

  private void watch() {
    while (!closed) {
      var headers = new java.util.ArrayList<>(List.of("Authorization", "Bearer " + token));
      if (!received.isEmpty()) {
        headers.addAll(
            List.of("Last-Event-ID", String.valueOf(received.get(received.size() - 1).id())));
      }
      try (var stream = SseClient.open(uri, headers.toArray(String[]::new))) {
        int seen = 0;
        boolean resynced = false;
        while (!closed) {
          connected |= !stream.events().isEmpty();
          var events = stream.projectEvents();
          for (; seen < events.size(); seen++) {
            var event = events.get(seen);
            received.add(new Received(Long.parseLong(event.id()), event.data(), Instant.now()));
          }
          if (!resynced && stream.resyncRequired()) {
            resynced = true;
            resyncs.incrementAndGet();
          }
          if (stream.ended()) {
            break;
          }
          pause(20);
        }
      } catch (RuntimeException e) {
        // Refused or cut: try again, as EventSource does.
      }
      if (!closed) {
        reconnects.incrementAndGet();
        pause(250);
      }
    }
  }

  /**
   * Waits until the first stream is open (its connected message came): everything written from now
   * on is the client's.
   */
  public ResumingClient awaitConnected() {
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(() -> connected);
    return this;
  }

  /** Every event received, across reconnects, in the order received. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  public List<Long> ids() {
    return received.stream().map(Received::id).toList();
  }

  /** How many times the client had to open a new stream. */
  public int reconnects() {
    return reconnects.get();
  }

  /** How many times a stream told the client to refetch its state: events it could not get. */
  public int resyncs() {
    return resyncs.get();
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      watcher.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
