package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What a {@link Capture} learned in one poll.
 *
 * @param entries committed log entries, in commit order (so in id order within each project)
 * @param toRead projects whose new entries must be read from the log, with the id the capture knows
 *     they reach (0 when it does not know): a NOTIFY, or a transaction too large to hold
 * @param readAll every project may have moved: read each whose head differs from its cursor
 */
record Changes(List<StatusEvent> entries, Map<UUID, Long> toRead, boolean readAll) {

  static final Changes NONE = new Changes(List.of(), Map.of(), false);

  static Changes read(Set<UUID> projects) {
    var toRead = new java.util.LinkedHashMap<UUID, Long>();
    projects.forEach(project -> toRead.put(project, 0L));
    return new Changes(List.of(), toRead, false);
  }

  boolean isEmpty() {
    return entries.isEmpty() && toRead.isEmpty() && !readAll;
  }
}
