package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.stream.control.StreamOpener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * {@code GET /api/status?project=<id>&project=<id>...}: the events of several projects on one
 * connection, as Server-Sent Events. Each event is its project's payload with {@code projectId};
 * each frame's id is a cursor of every project's position, which the client sends back as {@code
 * Last-Event-ID} (or {@code lastEventId}) to resume each project exactly. The same tokens, limits
 * (one slot of {@code STREAM_MAX_PER_USER} per connection) and answers as one project's stream; 403
 * when one of the projects may not be read, without saying which.
 */
@Path("status")
@ApplicationScoped
public class ProjectsStatusResource {

  @Inject ProjectAccess access;
  @Inject ChangeListener listener;
  @Inject StreamOpener streams;
  @Inject JsonWebToken token;

  @GET
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void stream(
      @QueryParam("project") List<String> projectTexts,
      @HeaderParam("Last-Event-ID") String lastEventIdHeader,
      @QueryParam("lastEventId") String lastEventIdQuery,
      @Context HttpServletRequest request,
      @Context HttpServletResponse response,
      @Suspended AsyncResponse suspended)
      throws SQLException, IOException {
    var projects = Params.projectIds(projectTexts);
    var cursor =
        Params.cursor(
            "Last-Event-ID", lastEventIdHeader != null ? lastEventIdHeader : lastEventIdQuery);
    streams.open(projects, caller(), cursor, request, response);
  }

  /** HEAD: the answer a GET would start with, after the same checks, and no stream. */
  @HEAD
  public Response head(
      @QueryParam("project") List<String> projectTexts,
      @HeaderParam("Last-Event-ID") String lastEventIdHeader,
      @QueryParam("lastEventId") String lastEventIdQuery)
      throws SQLException {
    var projects = Params.projectIds(projectTexts);
    Params.cursor(
        "Last-Event-ID", lastEventIdHeader != null ? lastEventIdHeader : lastEventIdQuery);
    access.authorize(projects, caller());
    return Response.ok()
        .type(MediaType.SERVER_SENT_EVENTS_TYPE)
        .header("Cache-Control", "no-cache")
        .header("X-Accel-Buffering", "no")
        .build();
  }

  private Caller caller() {
    if (!listener.isConnected()) {
      throw ApiError.unavailable("The service is not ready; retry shortly");
    }
    return access.caller(token);
  }
}
