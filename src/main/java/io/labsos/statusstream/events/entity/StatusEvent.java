package io.labsos.statusstream.events.entity;

import java.time.Instant;
import java.util.UUID;

/**
 * One entry of a project's event log, fired as a CDI event by the listener: the only thing the
 * database side and the HTTP side share.
 *
 * @param projectId the project whose stream carries it
 * @param id the event id: positive, gapless and increasing within the project
 * @param json the payload, one line of JSON exactly as clients receive it
 * @param createdAt when the writer's trigger appended it (the start of the commit-to-send lag)
 */
public record StatusEvent(UUID projectId, long id, String json, Instant createdAt) {}
