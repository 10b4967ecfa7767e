package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.access.control.CallerLimits;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.EventLog;
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
import java.util.UUID;
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
      access.authorize(project, caller);
      return answer(project, after, count);
    }
  }

  private Response answer(UUID project, Long after, int limit) throws SQLException {
    // Without a position: from the oldest retained event. With one, the answer continues it or
    // says resyncRequired and gives the project's position to go on from (the client refetches).
    long from = after == null ? 0 : after;
    var events = log.after(project, from, limit);
    long last = from;
    boolean resync = after != null && !events.isEmpty() && events.get(0).prevId() != after;
    if (events.isEmpty() || resync) {
      var position = log.position(project, from);
      resync |= after != null && !position.continues();
      last = position.head();
      if (resync) {
        events = List.of();
      }
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
