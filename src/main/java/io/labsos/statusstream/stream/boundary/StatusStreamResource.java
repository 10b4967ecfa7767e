package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.events.control.EventLog;
import io.labsos.statusstream.stream.control.ProjectChannels;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.sql.SQLException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code GET /api/projects/{projectId}/status}: the project's events as Server-Sent Events. */
@Path("projects/{projectId}/status")
@RequestScoped
public class StatusStreamResource {

  static final String CONNECTED =
      "{\"type\":\"connected\",\"message\":\"Connected to status updates\"}";
  static final String RESYNC_REQUIRED = "{\"type\":\"resync_required\"}";

  @Inject ProjectAccess access;
  @Inject ProjectChannels channels;
  @Inject EventLog log;
  @Inject ChangeListener listener;

  /** How long a client waits before it reconnects (the stream's {@code retry:} field). */
  @Inject
  @ConfigProperty(name = "STREAM_RETRY_MILLIS", defaultValue = "3000")
  long retryMillis;

  @Context HttpServletResponse response;

  @GET
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public void stream(
      @PathParam("projectId") String projectIdText,
      @HeaderParam("Last-Event-ID") String lastEventIdHeader,
      @QueryParam("lastEventId") String lastEventIdQuery,
      @Context HttpHeaders headers,
      @Context UriInfo uri,
      @Context SseEventSink sink,
      @Context Sse sse)
      throws SQLException {
    var project = Params.projectId(projectIdText);
    var lastEventId =
        Params.eventId(
            "Last-Event-ID", lastEventIdHeader != null ? lastEventIdHeader : lastEventIdQuery);
    if (!listener.isConnected()) {
      throw ApiError.unavailable("The service is not ready; retry shortly");
    }
    var caller = access.authorize(project, headers, uri);
    var subscriber = channels.open(project, caller, sink, sse);

    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("X-Accel-Buffering", "no");
    try {
      // Live events are held for this subscriber from here on, so the log reads below miss
      // nothing; and every event committed after the client sees "connected" reaches it.
      channels.subscribe(subscriber);
      var position = log.position(project, lastEventId == null ? 0 : lastEventId);
      // Written at once: flushes the headers, so the client knows the stream is open.
      subscriber.writeNow(
          sse.newEventBuilder().reconnectDelay(retryMillis).data(CONNECTED).build());
      long from;
      if (lastEventId == null) {
        from = position.head();
      } else if (position.resyncRequired()) {
        subscriber.writeNow(sse.newEventBuilder().data(RESYNC_REQUIRED).build());
        from = position.head();
      } else {
        from = lastEventId;
      }
      subscriber.replayThenGoLive(from, log);
    } catch (SQLException | RuntimeException e) {
      subscriber.close("failed to start: " + e.getClass().getSimpleName());
    }
  }
}
