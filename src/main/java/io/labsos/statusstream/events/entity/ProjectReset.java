package io.labsos.statusstream.events.entity;

import java.util.UUID;

/**
 * The listener's word that a project's streams cannot simply go on: fired instead of (or after) a
 * {@link StatusEvent} when the log does not continue what was delivered.
 *
 * @param projectId the project
 * @param position the project's position now (0 when it has no events): where its streams go on
 * @param reason why
 */
public record ProjectReset(UUID projectId, long position, Reason reason) {

  public enum Reason {
    /**
     * The log no longer continues what streams were sent (a restore or failover lost events, or a
     * purge took what the listener had not read): streams get {@code resync_required} and go on
     * from {@code position}.
     */
    REWOUND,
    /**
     * Delivering an event failed on this instance: its streams end, and their clients resume from
     * the log with Last-Event-ID.
     */
    DELIVERY_FAILED
  }
}
