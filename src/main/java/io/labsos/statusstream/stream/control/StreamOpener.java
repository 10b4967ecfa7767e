package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.EventLog;
import io.labsos.statusstream.events.control.EventLog.Position;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Opens a stream for a caller: the order of things that makes a stream miss nothing and carry
 * nothing its caller may not see.
 *
 * <ol>
 *   <li>The stream is registered first: from here on the projects' live events are held for it, so
 *       the reads below miss nothing, and every event committed after the client sees "connected"
 *       reaches it.
 *   <li>The position of the client's Last-Event-ID (or, for several projects, of each project its
 *       cursor names) is read, with each project's head, in one query.
 *   <li>Only then is the caller authorized, for every project or none. A deletion of a project that
 *       this check did not see comes after that head in the log, and ends the stream when it
 *       arrives; one it saw made the caller a member of the project re-created since, or no member
 *       at all.
 *   <li>{@code retry} and "connected" are queued (for several projects with the cursor they start
 *       from as its id); then, for each position the log does not continue, {@code resync_required}
 *       with that project's position.
 *   <li>Each project's log after its position is replayed (first batch here), then it goes live; a
 *       project that starts at its head has nothing to read and goes live at once.
 *   <li>Only then does the response start: a failure before it is still an ordinary error answer.
 * </ol>
 */
@ApplicationScoped
public class StreamOpener {

  @Inject Subscriptions subscriptions;
  @Inject EventLog log;
  @Inject ProjectAccess access;

  @Inject StreamSettings settings;

  /** Both reads of an open take one connection of the pool: one checkout, one validation. */
  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  /**
   * HEAD's whole answer, once the request was checked and authorized: the status and headers a
   * stream's response starts with, and no stream.
   */
  public static void answerHead(HttpServletResponse response) {
    ServletWire.headers(response);
  }

  /**
   * One project's stream.
   *
   * @param lastEventId where the client stands, or null for a new client (it gets what is committed
   *     from now on)
   * @throws SQLException when the log cannot be read; nothing was sent yet
   */
  public void open(
      UUID project,
      Caller caller,
      Long lastEventId,
      HttpServletRequest request,
      HttpServletResponse response)
      throws SQLException, IOException {
    var from = new LinkedHashMap<UUID, Long>();
    if (lastEventId != null) {
      from.put(project, lastEventId);
    }
    open(List.of(project), false, caller, from, request, response);
  }

  /**
   * A stream of several projects on one connection.
   *
   * @param projects the projects, in the order the request names them, each once
   * @param cursor the positions of the client's cursor, by project (those of projects the request
   *     does not name are ignored: a project the cursor does not name starts with live events);
   *     empty for a new client
   * @throws SQLException when the log cannot be read; nothing was sent yet
   */
  public void open(
      List<UUID> projects,
      Caller caller,
      Map<UUID, Long> cursor,
      HttpServletRequest request,
      HttpServletResponse response)
      throws SQLException, IOException {
    var from = new LinkedHashMap<UUID, Long>();
    for (var project : projects) {
      if (cursor.containsKey(project)) {
        from.put(project, cursor.get(project));
      }
    }
    open(projects, true, caller, from, request, response);
  }

  private void open(
      List<UUID> projects,
      boolean several,
      Caller caller,
      Map<UUID, Long> resumeFrom,
      HttpServletRequest request,
      HttpServletResponse response)
      throws SQLException, IOException {
    var stream = subscriptions.open(projects, caller, several);
    try {
      subscriptions.subscribe(stream);
      var asked = new LinkedHashMap<UUID, Long>();
      projects.forEach(p -> asked.put(p, resumeFrom.getOrDefault(p, 0L)));
      Map<UUID, Position> positions;
      try (var connection = pool.getConnection()) {
        positions = log.positions(connection, asked);
        access.authorize(connection, projects, caller);
      }

      var starts = new LinkedHashMap<UUID, Long>();
      for (var project : projects) {
        var position = positions.get(project);
        var lastEventId = resumeFrom.get(project);
        starts.put(
            project, lastEventId == null || !position.continues() ? position.head() : lastEventId);
      }
      if (stream.projects() != null) {
        starts.forEach(stream.projects()::start);
      }
      if (several) {
        // Where each project starts; a position the log does not continue stays the client's
        // own, so that a reconnect before its resync_required arrives gets that resync again.
        var start = new StreamCursor(projects);
        for (int i = 0; i < projects.size(); i++) {
          var project = projects.get(i);
          start.set(i, resumeFrom.getOrDefault(project, starts.get(project)));
        }
        stream.outbox().offer(Frame.connected(settings.retryMillis(), start.text()));
      } else {
        stream.outbox().offer(Frame.connected(settings.retryMillis()));
      }
      for (var subscriber : stream.subscribers()) {
        var project = subscriber.project();
        if (resumeFrom.containsKey(project) && !positions.get(project).continues()) {
          subscriber.resyncFirst(positions.get(project).head());
        }
      }
      for (var subscriber : stream.subscribers()) {
        var project = subscriber.project();
        subscriber.start(starts.get(project), positions.get(project).head());
      }
      ServletWire.attach(request, response, stream.outbox());
    } catch (SQLException | IOException | RuntimeException e) {
      stream.close("failed to start: " + e.getClass().getSimpleName());
      throw e;
    }
  }
}
