package io.labsos.statusstream;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.core.Response.Status;
import java.io.IOException;

/**
 * The error page of the web container (web.xml): what it answers itself, before or around the
 * application (a URI it rejects, an uncaught failure), in the JSON error shape with a fixed text
 * per status. Nothing of the request is echoed and nothing is logged here.
 */
@WebServlet(urlPatterns = "/error", asyncSupported = true)
public class ErrorPage extends HttpServlet {

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if (response.isCommitted()) {
      return;
    }
    var code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    int status = code instanceof Integer number ? number : 404;
    if (request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) != null && status < 400) {
      status = 500;
    }
    response.resetBuffer();
    error(status).write(response);
  }

  static ApiError error(int status) {
    return switch (status) {
      case 400 -> ApiError.badRequest("The request is malformed");
      case 401 -> ApiError.unauthorized("A bearer token is required");
      case 403 -> new ApiError(Status.FORBIDDEN, "forbidden", "Forbidden");
      case 404 -> notFound();
      case 405 ->
          new ApiError(Status.METHOD_NOT_ALLOWED, "method_not_allowed", "Method Not Allowed");
      default ->
          status >= 500
              ? new ApiError(Status.INTERNAL_SERVER_ERROR, "internal_error", "Unexpected error")
              : ApiError.badRequest("The request is malformed");
    };
  }

  static ApiError notFound() {
    return new ApiError(Status.NOT_FOUND, "not_found", "Not Found");
  }
}
