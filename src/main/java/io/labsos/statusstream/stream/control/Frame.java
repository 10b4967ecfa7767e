package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Bytes of the stream as they go on the wire, made once and shared: a live event is encoded once
 * for all the streams that carry it.
 *
 * @param bytes the frame, UTF-8, ending with the blank line that ends an SSE event or comment
 * @param createdAtMillis when the event was appended to the log (epoch ms), or 0 for what is not a
 *     live event: the start of the commit-to-send lag
 */
record Frame(byte[] bytes, long createdAtMillis) {

  static final Frame KEEPALIVE = comment(": keepalive");

  /** An empty comment, written half-way between keep-alives to notice a vanished client. */
  static final Frame PROBE = comment(": ");

  static final Frame TOKEN_EXPIRED = comment(": token expired");

  private static final String CONNECTED =
      "{\"type\":\"connected\",\"message\":\"Connected to status updates\"}";
  static final String RESYNC_REQUIRED = "{\"type\":\"resync_required\"}";

  static Frame live(StatusEvent event) {
    return new Frame(encode(event), event.createdAt().toEpochMilli());
  }

  /** An event read from the log for a client that resumes (no lag is measured for it). */
  static Frame replayed(StatusEvent event) {
    return new Frame(encode(event), 0);
  }

  /**
   * {@code id: N\ndata: <json>\n\n} in UTF-8. The payload is JSON made by the triggers: one line,
   * so it holds no line break that could end the {@code data:} field early.
   */
  private static byte[] encode(StatusEvent event) {
    return ("id: " + event.id() + "\ndata: " + event.json() + "\n\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static Frame connected(long retryMillis) {
    return text("retry: " + retryMillis + "\ndata: " + CONNECTED + "\n\n");
  }

  /**
   * "connected" of a stream of several projects, with the cursor it starts from: a client that
   * reconnects before any event (to add a project, or after a drop) resumes from there, and misses
   * nothing committed in between.
   */
  static Frame connected(long retryMillis, String cursor) {
    return text("retry: " + retryMillis + "\nid: " + cursor + "\ndata: " + CONNECTED + "\n\n");
  }

  /**
   * The client must refetch its state; with the position it goes on from, when there is one (the
   * native EventSource then resumes from there).
   */
  static Frame resyncRequired(long position) {
    return text(
        (position > 0 ? "id: " + position + "\n" : "") + "data: " + RESYNC_REQUIRED + "\n\n");
  }

  /**
   * A payload with {@code "projectId"} added as its last key: the events of a stream of several
   * projects. The triggers' payloads are JSON objects: the closing brace is their last character.
   */
  static String tag(String json, UUID project) {
    return json.substring(0, json.length() - 1) + ",\"projectId\":\"" + project + "\"}";
  }

  /** An event of a stream of several projects: its id is the stream's cursor. */
  static Frame tagged(String cursor, String taggedJson, long createdAtMillis) {
    return new Frame(
        ("id: " + cursor + "\ndata: " + taggedJson + "\n\n").getBytes(StandardCharsets.UTF_8),
        createdAtMillis);
  }

  /** {@code resync_required} for one project of a stream of several, with the stream's cursor. */
  static Frame resyncRequired(String cursor, UUID project) {
    return text("id: " + cursor + "\ndata: " + tag(RESYNC_REQUIRED, project) + "\n\n");
  }

  boolean isEvent() {
    return createdAtMillis != 0;
  }

  private static Frame comment(String line) {
    return text(line + "\n\n");
  }

  private static Frame text(String text) {
    return new Frame(text.getBytes(StandardCharsets.UTF_8), 0);
  }
}
