package io.labsos.statusstream.access.boundary;

import io.labsos.statusstream.access.control.AllowedOrigins;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * CORS for the browser client at {@code /js/*}: a page imports it as a module script, which the
 * browser fetches in CORS mode, so a page on another origin can load it only with {@code
 * Access-Control-Allow-Origin}. Only the origins of {@code CORS_ALLOWED_ORIGINS} get it, the same
 * that may call the API; without credentials, since the module is public code. A module import is a
 * plain GET: there is no preflight to answer.
 */
@WebFilter(urlPatterns = "/js/*", asyncSupported = true)
public class ClientModuleCorsFilter extends HttpFilter {

  @Inject AllowedOrigins origins;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    origins.addPublicCorsHeaders(request, response);
    chain.doFilter(request, response);
  }
}
