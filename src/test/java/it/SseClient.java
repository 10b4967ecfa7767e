package it;

import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * A raw Server-Sent Events client: reads the bytes of the stream line by line, as a browser does,
 * and keeps every line and every parsed event for the test to inspect.
 */
public final class SseClient implements AutoCloseable {

  /** One event as the SSE parsing rules assemble it. */
  public record Event(String id, String data, String retry, List<String> fieldNames) {}

  public static final String RESYNC_REQUIRED = "{\"type\":\"resync_required\"}";

  /** Each stream is read on a thread of its own: reads block. */
  private static final ExecutorService READERS =
      Executors.newCachedThreadPool(
          r -> {
            var thread = new Thread(r, "sse-test-reader");
            thread.setDaemon(true);
            return thread;
          });

  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final CompletableFuture<HttpResponse<Stream<String>>> response;
  private volatile boolean ended;

  private SseClient(HttpClient client, HttpRequest request) {
    response = client.sendAsync(request, HttpResponse.BodyHandlers.ofLines());
    response.thenAcceptAsync(this::read, READERS);
  }

  public static SseClient open(URI uri, String... headers) {
    return open(Http.CLIENT, uri, headers);
  }

  /**
   * A stream over the given client: an HTTP/2 one shares one connection among its streams, and
   * {@link #close()} resets the stream (RST_STREAM) without closing the connection.
   */
  public static SseClient open(HttpClient client, URI uri, String... headers) {
    var request =
        HttpRequest.newBuilder(uri)
            .header("Accept", "text/event-stream")
            .timeout(Duration.ofMinutes(5));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return new SseClient(client, request.GET().build());
  }

  private void read(HttpResponse<Stream<String>> http) {
    String id = null;
    String retry = null;
    StringBuilder data = null;
    var fields = new ArrayList<String>();
    try (var body = http.body()) {
      for (var iterator = body.iterator(); iterator.hasNext(); ) {
        var line = iterator.next();
        lines.add(line);
        if (line.isEmpty()) {
          if (data != null || retry != null) {
            events.add(
                new Event(id, data == null ? null : data.toString(), retry, List.copyOf(fields)));
          }
          id = null;
          retry = null;
          data = null;
          fields.clear();
          continue;
        }
        if (line.startsWith(":")) {
          continue;
        }
        int colon = line.indexOf(':');
        var name = colon < 0 ? line : line.substring(0, colon);
        var value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
        fields.add(name);
        switch (name) {
          case "id" -> id = value;
          case "retry" -> retry = value;
          case "data" ->
              data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
          default -> {}
        }
      }
    } catch (RuntimeException e) {
      // The stream was closed: by the test, or by the server.
    } finally {
      ended = true;
    }
  }

  public int status() {
    return response.join().statusCode();
  }

  public HttpResponse<Stream<String>> response() {
    return response.join();
  }

  public List<Event> events() {
    return List.copyOf(events);
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** The events that carry an id: the project's events, without connected or resync messages. */
  public List<Event> projectEvents() {
    return events.stream()
        .filter(e -> e.id() != null && !RESYNC_REQUIRED.equals(e.data()))
        .toList();
  }

  /** Whether the server told the client to refetch its state. */
  public boolean resyncRequired() {
    return events.stream().anyMatch(e -> RESYNC_REQUIRED.equals(e.data()));
  }

  /** The ids of {@link #projectEvents()}, as numbers. */
  public List<Long> projectEventIds() {
    return projectEvents().stream().map(e -> Long.parseLong(e.id())).toList();
  }

  public boolean ended() {
    return ended;
  }

  /** Whether the request failed before any answer (refused, reset, or a TLS handshake failed). */
  public boolean failed() {
    return response.isCompletedExceptionally();
  }

  public SseClient awaitProjectEvents(int count) {
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> projectEvents().size() >= count);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "expected "
              + count
              + " events within 30 s, got "
              + projectEvents().size()
              + "; stream ended: "
              + ended
              + "; last lines: "
              + lines.subList(Math.max(0, lines.size() - 6), lines.size()),
          e);
    }
    return this;
  }

  /** Waits until the server ended the stream. */
  public SseClient awaitEnded() {
    await().atMost(Duration.ofSeconds(60)).until(() -> ended);
    return this;
  }

  public SseClient awaitConnected() {
    await().atMost(Duration.ofSeconds(30)).until(() -> !events.isEmpty());
    return this;
  }

  @Override
  public void close() {
    response.thenAccept(r -> r.body().close());
    response.cancel(true);
  }
}
