package io.labsos.statusstream.events.entity;

import java.time.Instant;
import java.util.UUID;

/**
 * One entry of a project's event log, fired as a CDI event by the listener: the only thing the
 * database side and the HTTP side share.
 *
 * @param projectId the project whose stream carries it
 * @param id the event id: positive and strictly increasing within the project, in commit order
 * @param prevId the id of the project's entry before it (0 for its first): what a reader checks to
 *     know that it continues the position it had, with nothing missing in between
 * @param json the payload, one line of compact JSON exactly as clients receive it
 * @param createdAt when the writer's trigger appended it (the start of the commit-to-send lag)
 */
public record StatusEvent(UUID projectId, long id, long prevId, String json, Instant createdAt) {

  /** The payload of the entry a deleted project's log ends with; never sent to a client. */
  public static final String DELETED = "{\"type\":\"project_deleted\"}";

  /**
   * Whether this entry says the project was deleted: its streams end, and what follows belongs to a
   * project re-created with the same id, whose members may be others.
   */
  public boolean deletion() {
    return json.length() == DELETED.length() && json.equals(DELETED);
  }
}
