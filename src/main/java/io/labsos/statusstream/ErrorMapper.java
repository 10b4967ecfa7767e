package io.labsos.statusstream;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one place that turns a failed request into the JSON error shape. */
@Provider
public class ErrorMapper implements ExceptionMapper<Exception> {

  private static final Logger LOG = Logger.getLogger(ErrorMapper.class.getName());

  @Override
  public Response toResponse(Exception exception) {
    var refusal = ApiError.of(exception);
    if (refusal.isPresent()) {
      var error = refusal.get();
      var response = body(error.status().getStatusCode(), error.error(), error.getMessage());
      error.headers().forEach(response::header);
      return response.build();
    }
    if (exception instanceof WebApplicationException web) {
      var status = web.getResponse().getStatusInfo();
      return body(
              status.getStatusCode(),
              status.getReasonPhrase().toLowerCase().replace(' ', '_'),
              status.getReasonPhrase())
          .build();
    }
    if (exception instanceof SQLException) {
      LOG.log(Level.WARNING, "Database unavailable for a request: {0}", exception.getMessage());
      return body(503, "unavailable", "The database is unavailable; retry shortly")
          .header("Retry-After", "5")
          .build();
    }
    LOG.log(Level.SEVERE, "Unexpected failure of a request", exception);
    return body(500, "internal_error", "Unexpected error").build();
  }

  private static Response.ResponseBuilder body(int status, String error, String message) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(ApiError.json(error, message));
  }
}
