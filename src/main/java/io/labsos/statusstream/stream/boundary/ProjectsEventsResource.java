package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.access.control.CallerLimits;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.stream.control.ProjectsPoll;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.util.List;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * {@code GET /api/events?project=<id>&project=<id>...&after=<cursor>&limit=<n>}: the polling of
 * several projects, in the shape of their stream: {@code
 * {"events":[{"id":"<cursor>","data":{...,"projectId":"..."}}],"lastEventId":"<cursor>"}}; a
 * project whose position the log no longer continues has an entry {@code
 * {"type":"resync_required","projectId":"..."}} (see {@link ProjectsPoll}).
 */
@Path("events")
@RequestScoped
public class ProjectsEventsResource {

  @Inject ProjectAccess access;
  @Inject CallerLimits limits;
  @Inject ProjectsPoll poll;
  @Inject JsonWebToken token;

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public Response events(
      @QueryParam("project") List<String> projectTexts,
      @QueryParam("after") String afterText,
      @QueryParam("limit") String limitText)
      throws SQLException {
    var projects = Params.projectIds(projectTexts);
    var after = Params.cursor("after", afterText);
    int count = Params.limit(limitText);
    var caller = access.caller(token);
    try (var slot = limits.poll(caller.subject())) {
      var page = poll.read(projects, after, count, caller);
      var json = new StringBuilder("{\"events\":[");
      for (int i = 0; i < page.entries().size(); i++) {
        var entry = page.entries().get(i);
        json.append(i == 0 ? "" : ",").append("{\"id\":\"").append(entry.cursor());
        // The payloads are JSON already (built by the triggers): embedded as they are.
        json.append("\",\"data\":").append(entry.data()).append('}');
      }
      json.append("],\"lastEventId\":\"").append(page.cursor()).append("\"}");
      var noCache = new CacheControl();
      noCache.setNoStore(true);
      return Response.ok(json.toString()).cacheControl(noCache).build();
    }
  }
}
