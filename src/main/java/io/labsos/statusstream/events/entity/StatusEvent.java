package io.labsos.statusstream.events.entity;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * One entry of a project's event log, fired as a CDI event by the listener: the only thing the
 * database side and the HTTP side share.
 *
 * @param projectId the project whose stream carries it
 * @param id the event id: positive and strictly increasing within the project, in commit order
 * @param prevId the id of the project's event before it (0 for its first): what a reader checks to
 *     know that it continues the position it had, with nothing missing in between
 * @param json the payload, one line of compact JSON exactly as clients receive it
 * @param createdAt when the writer's trigger appended it (the start of the commit-to-send lag)
 */
public record StatusEvent(UUID projectId, long id, long prevId, String json, Instant createdAt) {

  /**
   * The event as it goes on the wire, {@code id: N\ndata: <json>\n\n} in UTF-8, encoded once for
   * however many streams carry it. The payload is JSON from the trigger, so it holds no line break
   * that could end the {@code data:} field early.
   */
  public byte[] frame() {
    return ("id: " + id + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
  }
}
