package io.labsos.statusstream.access.boundary;

import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * CORS for the API: only the exact origins of {@code CORS_ALLOWED_ORIGINS}, with credentials. Any
 * other origin gets no CORS header at all, so the browser keeps the answer from its page. A servlet
 * filter, not a JAX-RS one: its headers are set before an event stream commits the response.
 */
@WebFilter(urlPatterns = "/api/*", asyncSupported = true)
public class CorsFilter extends HttpFilter {

  @Inject
  @ConfigProperty(name = "CORS_ALLOWED_ORIGINS")
  Optional<List<String>> allowedOrigins;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    var origin = request.getHeader("Origin");
    boolean allowed =
        origin != null && allowedOrigins.map(list -> list.contains(origin)).orElse(false);
    if (origin != null) {
      response.addHeader("Vary", "Origin");
    }
    if (allowed) {
      response.setHeader("Access-Control-Allow-Origin", origin);
      response.setHeader("Access-Control-Allow-Credentials", "true");
    }
    boolean preflight =
        "OPTIONS".equals(request.getMethod())
            && request.getHeader("Access-Control-Request-Method") != null;
    if (preflight) {
      if (allowed) {
        response.setHeader("Access-Control-Allow-Methods", "GET, OPTIONS");
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
