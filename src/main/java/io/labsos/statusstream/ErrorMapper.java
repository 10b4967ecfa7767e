package io.labsos.statusstream;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * Inside JAX-RS, what turns a failed request into the JSON error shape: JAX-RS's own refusals (404,
 * 405) with their status, anything else as {@link ApiError#forFailure} answers it.
 */
@Provider
public class ErrorMapper implements ExceptionMapper<Exception> {

  @Override
  public Response toResponse(Exception exception) {
    if (exception instanceof WebApplicationException web) {
      var status = web.getResponse().getStatusInfo();
      return body(
              status.getStatusCode(),
              status.getReasonPhrase().toLowerCase().replace(' ', '_'),
              status.getReasonPhrase())
          .build();
    }
    var error = ApiError.forFailure(exception);
    var response = body(error.status().getStatusCode(), error.error(), error.getMessage());
    error.headers().forEach(response::header);
    return response.build();
  }

  private static Response.ResponseBuilder body(int status, String error, String message) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(ApiError.json(error, message));
  }
}
