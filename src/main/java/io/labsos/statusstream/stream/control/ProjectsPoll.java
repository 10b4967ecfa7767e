package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.EventLog;
import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One page of the polling of several projects, the same log and the same rules as the stream of
 * several: each entry says its project, the answer's cursor holds every project's position. A
 * project the cursor names is read after its position, or gets {@code resync_required} (with no
 * events this time) when the log does not continue it; one the cursor does not name is read from
 * its oldest retained event. The entries of all projects are merged by the time they were appended,
 * each project's in id order, up to the limit in all.
 */
@ApplicationScoped
public class ProjectsPoll {

  @Inject EventLog log;
  @Inject ProjectAccess access;

  /**
   * An entry of the answer: an event of {@code project}, or (event null) {@code resync_required}.
   *
   * @param cursor the cursor once this entry is taken: its id
   */
  public record Entry(UUID project, StatusEvent event, String cursor) {

    /** What the entry carries: the event's payload with its project, or {@code resync_required}. */
    public String data() {
      return event == null
          ? Frame.tag(Frame.RESYNC_REQUIRED, project)
          : Frame.tag(event.json(), project);
    }
  }

  /**
   * @param entries in the order to take them
   * @param cursor where the client goes on from: the last entry's id, or the cursor it gave as it
   *     stands now
   */
  public record Page(List<Entry> entries, String cursor) {}

  /** What one project contributes: where it starts, and its items. */
  private record Part(UUID project, long start, List<StatusEvent> events, long resyncAt) {}

  /**
   * Reads first, then authorizes (every project or none): a deletion the check did not see is not
   * in what was read; one it saw, and what follows it, belongs to the project the caller may now
   * read.
   *
   * @throws io.labsos.statusstream.access.control.AccessDenied when the caller may not read one of
   *     them
   */
  public Page read(List<UUID> projects, Map<UUID, Long> positions, int limit, Caller caller)
      throws SQLException {
    var asked = new LinkedHashMap<UUID, Long>();
    projects.forEach(p -> asked.put(p, positions.getOrDefault(p, 0L)));
    var where = log.positions(asked);
    var parts = new ArrayList<Part>();
    for (var project : projects) {
      var position = where.get(project);
      var named = positions.containsKey(project);
      if (named && !position.continues()) {
        parts.add(new Part(project, position.head(), List.of(), position.head()));
        continue;
      }
      long from = named ? positions.get(project) : position.since();
      var events = log.after(project, from, limit);
      if (named && !events.isEmpty() && events.get(0).prevId() != from) {
        parts.add(new Part(project, position.head(), List.of(), position.head()));
        continue;
      }
      int deleted = -1;
      for (int i = 0; i < events.size(); i++) {
        if (events.get(i).deletion()) {
          deleted = i;
        }
      }
      if (deleted >= 0) {
        // Deleted (and maybe re-created) since the position: what the caller may read starts here.
        long at = events.get(deleted).id();
        parts.add(
            named
                ? new Part(project, at, List.of(), at)
                : new Part(project, at, events.subList(deleted + 1, events.size()), -1));
        continue;
      }
      parts.add(new Part(project, from, events, -1));
    }
    access.authorize(projects, caller);
    return page(projects, parts, limit);
  }

  /**
   * Resyncs first; then the events merged by the time they were appended, taking each time the
   * earliest among each project's next, so that every project's stay in id order.
   */
  private static Page page(List<UUID> projects, List<Part> parts, int limit) {
    var cursor = new StreamCursor(projects);
    var entries = new ArrayList<Entry>();
    var next = new int[parts.size()];
    for (int i = 0; i < parts.size(); i++) {
      cursor.set(i, parts.get(i).start());
    }
    for (int i = 0; i < parts.size() && entries.size() < limit; i++) {
      var part = parts.get(i);
      if (part.resyncAt() >= 0) {
        cursor.set(i, part.resyncAt());
        entries.add(new Entry(part.project(), null, cursor.text()));
      }
    }
    while (entries.size() < limit) {
      int earliest = -1;
      for (int i = 0; i < parts.size(); i++) {
        var events = parts.get(i).events();
        if (next[i] < events.size()
            && (earliest < 0
                || events
                    .get(next[i])
                    .createdAt()
                    .isBefore(parts.get(earliest).events().get(next[earliest]).createdAt()))) {
          earliest = i;
        }
      }
      if (earliest < 0) {
        break;
      }
      var event = parts.get(earliest).events().get(next[earliest]++);
      cursor.set(earliest, event.id());
      entries.add(new Entry(event.projectId(), event, cursor.text()));
    }
    return new Page(entries, cursor.text());
  }
}
