package io.labsos.statusstream.access.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The one place that finds the token of a request: an {@code Authorization: Bearer} header wins;
 * else the {@code token} or {@code access_token} query parameter (EventSource cannot send headers);
 * else the HttpOnly cookie named by {@code MP_JWT_TOKEN_COOKIE} ({@value
 * AccessSettings#DEFAULT_TOKEN_COOKIE} unless set). An Authorization header of another scheme (a
 * proxy's Basic) is not ours and hides nothing.
 *
 * <p>The cookie is ambient: a browser sends it with any page's request. It counts only for requests
 * without an {@code Origin} (same-origin GETs, EventSource among them, send none) or from an origin
 * of {@code CORS_ALLOWED_ORIGINS}; another site's page gets nothing with it.
 */
@ApplicationScoped
public class Credentials {

  @Inject AccessSettings settings;
  @Inject AllowedOrigins origins;

  /** The token, or null when the request carries none that counts. */
  public String token(HttpServletRequest request) {
    var authorization = request.getHeader("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).strip();
    }
    var token = queryParameter(request, "token");
    if (token == null) {
      token = queryParameter(request, "access_token");
    }
    if (token == null && request.getCookies() != null) {
      var origin = request.getHeader("Origin");
      if (origin == null || origins.allows(origin)) {
        var name = settings.tokenCookie();
        for (var cookie : request.getCookies()) {
          if (name.equals(cookie.getName())) {
            return cookie.getValue();
          }
        }
      }
    }
    return token;
  }

  /** A parameter of the query string only (getParameter would read a form body too). */
  static String queryParameter(HttpServletRequest request, String name) {
    var query = request.getQueryString();
    if (query == null) {
      return null;
    }
    for (var pair : query.split("&")) {
      int equals = pair.indexOf('=');
      var key = equals < 0 ? pair : pair.substring(0, equals);
      if (key.equals(name)) {
        try {
          return equals < 0
              ? ""
              : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return "";
        }
      }
    }
    return null;
  }
}
