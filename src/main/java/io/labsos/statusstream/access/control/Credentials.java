package io.labsos.statusstream.access.control;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.UriInfo;

/**
 * The one place that finds the token of a request: the {@code Authorization: Bearer} header wins;
 * else the {@code token} or {@code access_token} query parameter (EventSource cannot send headers);
 * else the HttpOnly cookie {@value #COOKIE}.
 */
public final class Credentials {

  public static final String COOKIE = "status_stream_token";

  private Credentials() {}

  public static String token(HttpHeaders headers, UriInfo uri) {
    var authorization = headers.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (authorization != null) {
      return authorization.regionMatches(true, 0, "Bearer ", 0, 7)
          ? authorization.substring(7).strip()
          : "";
    }
    var query = uri.getQueryParameters();
    var token = query.getFirst("token");
    if (token == null) {
      token = query.getFirst("access_token");
    }
    if (token == null) {
      var cookie = headers.getCookies().get(COOKIE);
      token = cookie == null ? null : cookie.getValue();
    }
    return token;
  }
}
