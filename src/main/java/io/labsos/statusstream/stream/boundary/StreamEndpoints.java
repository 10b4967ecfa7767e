package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.stream.control.StreamOpener;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The two streams, served on the Servlet API below JAX-RS:
 *
 * <ul>
 *   <li>{@code GET /api/projects/{projectId}/status}: one project's events as Server-Sent Events,
 *       resumed from {@code Last-Event-ID} (or {@code ?lastEventId=});
 *   <li>{@code GET /api/status?project=<id>&project=<id>...}: several projects on one connection.
 *       Each event is its project's payload with {@code projectId}; each frame's id is a cursor of
 *       every project's position, which the client sends back to resume each project exactly; 403
 *       when one of the projects may not be read, without saying which.
 * </ul>
 *
 * <p>{@code HEAD} answers what a {@code GET} would start with, after the same checks, and holds no
 * stream; other methods get 405. Here the parameters are checked and the caller taken from the
 * token the authentication mechanism accepted (plain values: the request's context is gone while
 * the stream lives on); then the stream is {@link StreamOpener}'s, which authorizes it and writes
 * it on the Servlet non-blocking output. Every other request goes on to JAX-RS.
 *
 * <p>Why not a JAX-RS resource: a suspended JAX-RS request keeps its own state (the request's
 * headers, URI and parameters as maps, the async response) for as long as the stream is open, a
 * fifth of an idle stream's heap, and its dispatch was a quarter of the CPU of an open
 * (BENCHMARKS.md). Mapped after the CORS filter ({@code web.xml}), so its answers carry the CORS
 * headers.
 */
public class StreamEndpoints extends HttpFilter {

  private static final String PROJECTS = "/api/projects/";
  private static final String STATUS = "/status";
  private static final String ALLOW = "GET, HEAD, OPTIONS";

  @Inject ProjectAccess access;
  @Inject ChangeListener listener;
  @Inject StreamOpener streams;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    var path =
        request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
    boolean several = path.equals("/api/status");
    String projectText = several ? null : projectOf(path);
    if (!several && projectText == null) {
      chain.doFilter(request, response);
      return;
    }
    try {
      switch (request.getMethod()) {
        case "GET", "HEAD" -> {
          if (!acceptsEventStream(request.getHeader("Accept"))) {
            throw ApiError.notAcceptable("This endpoint answers text/event-stream only");
          }
          boolean head = request.getMethod().equals("HEAD");
          if (several) {
            several(request, response, head);
          } else {
            one(projectText, request, response, head);
          }
        }
        case "OPTIONS" -> {
          // A CORS preflight was answered by the CORS filter; this is a plain OPTIONS.
          response.setHeader("Allow", ALLOW);
          response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        }
        default -> throw ApiError.methodNotAllowed(ALLOW);
      }
    } catch (SQLException | IOException | RuntimeException failure) {
      if (!response.isCommitted()) {
        ApiError.forFailure(failure).write(response);
      } else if (failure instanceof IOException io) {
        throw io;
      } else {
        throw new ServletException(failure);
      }
    }
  }

  private void one(
      String projectText, HttpServletRequest request, HttpServletResponse response, boolean head)
      throws SQLException, IOException {
    var project = Params.projectId(projectText);
    var lastEventId = Params.eventId("Last-Event-ID", lastEventId(request));
    var caller = caller(request);
    if (head) {
      access.authorize(project, caller);
      StreamOpener.answerHead(response);
      return;
    }
    // Authorized by the opener, in the order that keeps a deleted project's events to itself.
    streams.open(project, caller, lastEventId, request, response);
  }

  private void several(HttpServletRequest request, HttpServletResponse response, boolean head)
      throws SQLException, IOException {
    var texts = request.getParameterValues("project");
    var projects = Params.projectIds(texts == null ? List.of() : List.of(texts));
    var cursor = Params.cursor("Last-Event-ID", lastEventId(request));
    var caller = caller(request);
    if (head) {
      access.authorize(projects, caller);
      StreamOpener.answerHead(response);
      return;
    }
    streams.open(projects, caller, cursor, request, response);
  }

  /** The project id text of {@code /api/projects/{projectId}/status}, or null for another path. */
  static String projectOf(String path) {
    if (!path.startsWith(PROJECTS)) {
      return null;
    }
    var rest = path.substring(PROJECTS.length());
    if (!rest.endsWith(STATUS)) {
      return null;
    }
    var text = rest.substring(0, rest.length() - STATUS.length());
    return text.isEmpty() || text.indexOf('/') >= 0 ? null : text;
  }

  private static String lastEventId(HttpServletRequest request) {
    var header = request.getHeader("Last-Event-ID");
    return header != null ? header : request.getParameter("lastEventId");
  }

  /** No Accept header, or one that names text/event-stream, text/* or *&#47;*. */
  static boolean acceptsEventStream(String accept) {
    if (accept == null || accept.isBlank()) {
      return true;
    }
    for (var range : accept.split(",")) {
      int parameters = range.indexOf(';');
      var type =
          (parameters < 0 ? range : range.substring(0, parameters))
              .strip()
              .toLowerCase(Locale.ROOT);
      if (type.equals("text/event-stream") || type.equals("text/*") || type.equals("*/*")) {
        return true;
      }
    }
    return false;
  }

  private Caller caller(HttpServletRequest request) {
    if (!listener.isConnected()) {
      throw ApiError.unavailable("The service is not ready; retry shortly");
    }
    return access.caller(request.getUserPrincipal() instanceof JsonWebToken token ? token : null);
  }
}
