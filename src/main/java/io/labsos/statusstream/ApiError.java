package io.labsos.statusstream;

import io.labsos.statusstream.access.control.AccessDenied;
import io.labsos.statusstream.access.control.KeysUnavailable;
import io.labsos.statusstream.access.control.LimitReached;
import io.labsos.statusstream.access.control.Unauthenticated;
import io.labsos.statusstream.stream.control.NoRoomForStream;
import jakarta.json.Json;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.core.Response.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A request the service refuses, answered as {@code {"error": ..., "message": ...}}: by {@link
 * ErrorMapper} inside JAX-RS, and by {@link #write} where the servlet layer answers (the
 * authentication mechanism, the streams, the container's error pages). Messages are fixed texts:
 * nothing of the request is echoed back. The control classes throw the refusals of their domain,
 * which know nothing of HTTP; {@link #of} is the one place that gives each its status, code and
 * headers.
 */
public class ApiError extends RuntimeException {

  private static final Logger LOG = Logger.getLogger(ApiError.class.getName());

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

  public static ApiError tooManyRequests(String error, String message, int retryAfterSeconds) {
    return new ApiError(
        Status.TOO_MANY_REQUESTS,
        error,
        message,
        Map.of("Retry-After", String.valueOf(retryAfterSeconds)));
  }

  public static ApiError unavailable(String message) {
    return unavailable(message, 5);
  }

  public static ApiError unavailable(String message, int retryAfterSeconds) {
    return new ApiError(
        Status.SERVICE_UNAVAILABLE,
        "unavailable",
        message,
        Map.of("Retry-After", String.valueOf(retryAfterSeconds)));
  }

  public static ApiError notAcceptable(String message) {
    return new ApiError(Status.NOT_ACCEPTABLE, "not_acceptable", message);
  }

  /** 405, with the methods the resource has. */
  public static ApiError methodNotAllowed(String allow) {
    return new ApiError(
        Status.METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method Not Allowed",
        Map.of("Allow", allow));
  }

  /**
   * The answer to any failure of a request: its refusal ({@link #of}), 503 when the database could
   * not answer, else 500. The last two are logged, with nothing of them in the answer.
   */
  public static ApiError forFailure(Throwable failure) {
    var refusal = of(failure);
    if (refusal.isPresent()) {
      return refusal.get();
    }
    if (failure instanceof SQLException) {
      LOG.log(Level.WARNING, "Database unavailable for a request: {0}", failure.getMessage());
      return unavailable("The database is unavailable; retry shortly");
    }
    LOG.log(Level.SEVERE, "Unexpected failure of a request", failure);
    return new ApiError(Status.INTERNAL_SERVER_ERROR, "internal_error", "Unexpected error");
  }

  /**
   * The answer to a failure: an {@code ApiError} as it is, a refusal of the domain as its status;
   * empty for any other failure (the caller's 500, or its own answer).
   */
  public static Optional<ApiError> of(Throwable failure) {
    if (failure instanceof ApiError error) {
      return Optional.of(error);
    }
    if (failure instanceof Unauthenticated refused) {
      return Optional.of(unauthorized(refused.getMessage()));
    }
    if (failure instanceof AccessDenied) {
      return Optional.of(forbidden());
    }
    if (failure instanceof KeysUnavailable unavailable) {
      return Optional.of(unavailable(unavailable.getMessage()));
    }
    if (failure instanceof LimitReached reached) {
      return Optional.of(
          switch (reached.limit()) {
            case STREAMS ->
                tooManyRequests(
                    "too_many_streams",
                    "Too many open streams for this user",
                    reached.retryAfterSeconds());
            case POLLS ->
                tooManyRequests(
                    "too_many_requests",
                    "Too many polling requests at once for this user",
                    reached.retryAfterSeconds());
          });
    }
    if (failure instanceof NoRoomForStream full) {
      return Optional.of(
          unavailable(
              "This instance has no room for another stream; try again later",
              full.retryAfterSeconds()));
    }
    return Optional.empty();
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

  /** The one JSON error shape. */
  public static String json(String error, String message) {
    return Json.createObjectBuilder()
        .add("error", error)
        .add("message", message)
        .build()
        .toString();
  }

  public String json() {
    return json(error, getMessage());
  }

  /** Answers the request with this error and commits the response (the servlet layer's way). */
  public void write(HttpServletResponse response) throws IOException {
    response.setStatus(status.getStatusCode());
    headers.forEach(response::setHeader);
    response.setHeader("Cache-Control", "no-store");
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    var body = json().getBytes(StandardCharsets.UTF_8);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
    response.flushBuffer();
  }
}
