package io.labsos.statusstream.access.boundary;

import io.labsos.statusstream.access.control.AllowedOrigins;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * CORS for the API: only the exact origins of {@code CORS_ALLOWED_ORIGINS}, with credentials. Any
 * other origin gets no CORS header at all, so the browser keeps the answer from its page. A servlet
 * filter, not a JAX-RS one: its headers are set before an event stream commits the response.
 * Refusals of the authentication mechanism come before any filter and add the same headers
 * themselves ({@link BearerMechanism}). Mapped to {@code /api/*} before the streams' filter ({@code
 * web.xml}).
 */
public class CorsFilter extends HttpFilter {

  @Inject AllowedOrigins origins;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    boolean allowed = origins.addCorsHeaders(request, response);
    boolean preflight =
        "OPTIONS".equals(request.getMethod())
            && request.getHeader("Access-Control-Request-Method") != null;
    if (preflight) {
      if (allowed) {
        response.setHeader("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        response.setHeader(
            "Access-Control-Allow-Headers", "Authorization, Last-Event-ID, Cache-Control");
        response.setHeader("Access-Control-Max-Age", "600");
      }
      response.setStatus(HttpServletResponse.SC_NO_CONTENT);
      return;
    }
    chain.doFilter(request, response);
  }
}
