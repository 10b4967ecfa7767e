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
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.sql.SQLException;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * {@code GET /api/projects/{projectId}/status}: the project's events as Server-Sent Events. Parse,
 * check, authorize; then the stream is {@link StreamOpener}'s. The request is suspended, so the
 * container leaves the response to the stream, which writes it on the Servlet non-blocking output.
 * The caller is the token the authentication mechanism accepted; the stream keeps it as a {@link
 * Caller}, plain values, since the request's context is gone while the stream lives on.
 */
@Path("projects/{projectId}/status")
@ApplicationScoped
public class StatusStreamResource {

  @Inject ProjectAccess access;
  @Inject ChangeListener listener;
  @Inject StreamOpener streams;
  @Inject JsonWebToken token;

  @GET
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void stream(
      @PathParam("projectId") String projectIdText,
      @HeaderParam("Last-Event-ID") String lastEventIdHeader,
      @QueryParam("lastEventId") String lastEventIdQuery,
      @Context HttpServletRequest request,
      @Context HttpServletResponse response,
      @Suspended AsyncResponse suspended)
      throws SQLException, IOException {
    var project = Params.projectId(projectIdText);
    var lastEventId = lastEventId(lastEventIdHeader, lastEventIdQuery);
    // Authorized by the opener, in the order that keeps a deleted project's events to itself.
    streams.open(project, caller(), lastEventId, request, response);
  }

  /**
   * HEAD: the answer a GET would start with, after the same checks, and no stream (without this
   * method, JAX-RS would run the GET and hold a stream, and a slot of the caller's, for nothing).
   */
  @HEAD
  public Response head(
      @PathParam("projectId") String projectIdText,
      @HeaderParam("Last-Event-ID") String lastEventIdHeader,
      @QueryParam("lastEventId") String lastEventIdQuery)
      throws SQLException {
    var project = Params.projectId(projectIdText);
    lastEventId(lastEventIdHeader, lastEventIdQuery);
    access.authorize(project, caller());
    return Response.ok()
        .type(MediaType.SERVER_SENT_EVENTS_TYPE)
        .header("Cache-Control", "no-cache")
        .header("X-Accel-Buffering", "no")
        .build();
  }

  private static Long lastEventId(String header, String query) {
    return Params.eventId("Last-Event-ID", header != null ? header : query);
  }

  private Caller caller() {
    if (!listener.isConnected()) {
      throw ApiError.unavailable("The service is not ready; retry shortly");
    }
    return access.caller(token);
  }
}
