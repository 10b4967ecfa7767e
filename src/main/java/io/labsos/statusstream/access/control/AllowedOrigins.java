package io.labsos.statusstream.access.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * CORS for the origins {@link AccessSettings} allows ({@code CORS_ALLOWED_ORIGINS}): the headers of
 * the API's answers and of the public files, and whether a request's origin may send a token.
 */
@ApplicationScoped
public class AllowedOrigins {

  @Inject AccessSettings settings;

  public boolean allows(String origin) {
    return origin != null && settings.allowedOrigins().contains(origin);
  }

  /**
   * Adds the CORS headers a response to this request needs: {@code Access-Control-Allow-Origin}
   * (with credentials) for an allowed origin, nothing for any other.
   *
   * @return whether the request's origin is allowed
   */
  public boolean addCorsHeaders(HttpServletRequest request, HttpServletResponse response) {
    var origin = request.getHeader("Origin");
    if (origin == null) {
      return false;
    }
    response.addHeader("Vary", "Origin");
    if (!allows(origin)) {
      return false;
    }
    response.setHeader("Access-Control-Allow-Origin", origin);
    response.setHeader("Access-Control-Allow-Credentials", "true");
    return true;
  }

  /**
   * Adds the CORS headers of a public file: {@code Access-Control-Allow-Origin} for an allowed
   * origin, without credentials (the file holds nothing of the caller's), and {@code Vary: Origin}
   * on every answer, also one without an origin: the file is cacheable, and a shared cache must not
   * hand one origin's answer to another.
   */
  public void addPublicCorsHeaders(HttpServletRequest request, HttpServletResponse response) {
    response.addHeader("Vary", "Origin");
    var origin = request.getHeader("Origin");
    if (allows(origin)) {
      response.setHeader("Access-Control-Allow-Origin", origin);
    }
  }
}
