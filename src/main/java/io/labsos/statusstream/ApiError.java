package io.labsos.statusstream;

import jakarta.ws.rs.core.Response.Status;
import java.util.Map;

/**
 * A request the service refuses, answered as {@code {"error": ..., "message": ...}} by {@link
 * ErrorMapper}. Messages are fixed texts: nothing of the request is echoed back.
 */
public class ApiError extends RuntimeException {

  private final Status status;
  private final String error;
  private final Map<String, String> headers;

  public ApiError(Status status, String error, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }

  public ApiError(Status status, String error, String message) {
    this(status, error, message, Map.of());
  }

  public static ApiError badRequest(String message) {
    return new ApiError(Status.BAD_REQUEST, "bad_request", message);
  }

  public static ApiError unauthorized(String message) {
    return new ApiError(
        Status.UNAUTHORIZED, "unauthorized", message, Map.of("WWW-Authenticate", "Bearer"));
  }

  public static ApiError forbidden() {
    return new ApiError(
        Status.FORBIDDEN,
        "forbidden",
        "You are not a member of this project, or it does not exist");
  }

  public static ApiError unavailable(String message) {
    return new ApiError(
        Status.SERVICE_UNAVAILABLE, "unavailable", message, Map.of("Retry-After", "5"));
  }

  public Status status() {
    return status;
  }

  public String error() {
    return error;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
