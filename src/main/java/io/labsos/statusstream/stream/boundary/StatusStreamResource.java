package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.stream.control.StreamOpener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.sql.SQLException;

/**
 * {@code GET /api/projects/{projectId}/status}: the project's events as Server-Sent Events. Parse,
 * check, authorize; then the stream is {@link StreamOpener}'s. The request is suspended, so the
 * container leaves the response to the stream, which writes it on the Servlet non-blocking output.
 */
@Path("projects/{projectId}/status")
@ApplicationScoped
public class StatusStreamResource {

  @Inject ProjectAccess access;
  @Inject ChangeListener listener;
  @Inject StreamOpener streams;

  @GET
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void stream(
      @PathParam("projectId") String projectIdText,
      @HeaderParam("Last-Event-ID") String lastEventIdHeader,
      @QueryParam("lastEventId") String lastEventIdQuery,
      @Context HttpHeaders headers,
      @Context UriInfo uri,
      @Context HttpServletRequest request,
      @Context HttpServletResponse response,
      @Suspended AsyncResponse suspended)
      throws SQLException, IOException {
    var project = Params.projectId(projectIdText);
    var lastEventId =
        Params.eventId(
            "Last-Event-ID", lastEventIdHeader != null ? lastEventIdHeader : lastEventIdQuery);
    if (!listener.isConnected()) {
      throw ApiError.unavailable("The service is not ready; retry shortly");
    }
    var caller = access.authorize(project, headers, uri);
    streams.open(project, caller, lastEventId, request, response);
  }
}
