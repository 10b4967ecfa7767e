package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.access.control.CallerLimits;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.EventLog;
import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.util.List;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * {@code GET /api/projects/{projectId}/events?after=&limit=}: the polling fallback over the same
 * log as the stream. Without {@code after}, it answers from the oldest retained event; with it,
 * only what continues it, or {@code "resyncRequired":true} and the project's current position. Each
 * user has at most {@code POLL_MAX_PER_USER} of these requests in flight ({@link CallerLimits}).
 */
@Path("projects/{projectId}/events")
@RequestScoped
public class EventsResource {

  @Inject ProjectAccess access;
  @Inject CallerLimits limits;
  @Inject EventLog log;
  @Inject JsonWebToken token;

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public Response events(
      @PathParam("projectId") String projectIdText,
      @QueryParam("after") String afterText,
      @QueryParam("limit") String limitText)
      throws SQLException {
    var project = Params.projectId(projectIdText);
    var after = Params.eventId("after", afterText);
    int count = Params.limit(limitText);
    var caller = access.caller(token);
    try (var slot = limits.poll(caller.subject())) {
      // Read, then authorize: a deletion of the project the check did not see is not in what was
      // read; one it saw, and what follows it, belongs to the project the caller may now read.
      var position = log.position(project, after == null ? 0 : after);
      long from = after == null ? position.since() : after;
      var events = after != null && !position.continues() ? null : log.after(project, from, count);
      access.authorize(project, caller);
      return answer(after, from, events, position.head());
    }
  }

  /**
   * Without a position: from the oldest retained event of the project as it is now (after its last
   * deletion). With one, the answer continues it or says resyncRequired and gives the project's
   * position to go on from (the client refetches).
   *
   * @param events what the log holds after {@code from}, or null when it does not continue it
   */
  private static Response answer(Long after, long from, List<StatusEvent> events, long head) {
    boolean resync = events == null;
    long last = resync ? head : from;
    if (!resync) {
      int deleted = -1;
      for (int i = 0; i < events.size(); i++) {
        if (events.get(i).deletion()) {
          deleted = i;
        }
      }
      if (deleted >= 0) {
        last = events.get(deleted).id();
        resync = after != null;
        events = resync ? List.of() : events.subList(deleted + 1, events.size());
      } else if (after != null && !events.isEmpty() && events.get(0).prevId() != after) {
        resync = true; // purged since the position was read
        last = head;
      } else if (events.isEmpty()) {
        last = Math.max(from, head);
      }
    }
    if (resync) {
      events = List.of();
    }

    // The payloads are JSON already (built by the triggers): they are embedded as they are.
    var json = new StringBuilder("{\"events\":[");
    for (int i = 0; i < events.size(); i++) {
      var event = events.get(i);
      json.append(i == 0 ? "" : ",")
          .append("{\"id\":\"")
          .append(event.id())
          .append("\",\"data\":")
          .append(event.json())
          .append('}');
      last = event.id();
    }
    json.append("],\"lastEventId\":\"").append(last).append('"');
    if (resync) {
      json.append(",\"resyncRequired\":true");
    }
    json.append('}');
    var noCache = new CacheControl();
    noCache.setNoStore(true);
    return Response.ok(json.toString()).cacheControl(noCache).build();
  }
}
