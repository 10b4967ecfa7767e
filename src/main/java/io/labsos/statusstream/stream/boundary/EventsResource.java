package io.labsos.statusstream.stream.boundary;

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
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.sql.SQLException;
import java.util.List;

/**
 * {@code GET /api/projects/{projectId}/events?after=&limit=}: the polling fallback over the same
 * log as the stream. Without {@code after}, it answers from the oldest retained event; with it,
 * only what continues it, or {@code "resyncRequired":true} and the project's current position.
 */
@Path("projects/{projectId}/events")
@RequestScoped
public class EventsResource {

  @Inject ProjectAccess access;
  @Inject EventLog log;

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public Response events(
      @PathParam("projectId") String projectIdText,
      @QueryParam("after") String afterText,
      @QueryParam("limit") String limitText,
      @Context HttpHeaders headers,
      @Context UriInfo uri)
      throws SQLException {
    var project = Params.projectId(projectIdText);
    var after = Params.eventId("after", afterText);
    int limit = Params.limit(limitText);
    access.authorize(project, headers, uri);

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
