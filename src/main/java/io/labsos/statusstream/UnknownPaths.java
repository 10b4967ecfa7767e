package io.labsos.statusstream;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A path that is neither the API (with its description, {@code /openapi}) nor a file of the page
 * gets the JSON 404 here, before Liberty's file servlet, which would log a warning and write an
 * FFDC report for each new path anyone requests. The first filter of every request ({@code
 * web.xml}).
 */
public class UnknownPaths extends HttpFilter {

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    var path =
        request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
    if (path.equals("/")
        || path.equals("/api")
        || path.startsWith("/api/")
        || path.equals("/error")
        || path.equals("/openapi")
        || isFile(path)) {
      chain.doFilter(request, response);
      return;
    }
    ErrorPage.notFound().write(response);
  }

  private boolean isFile(String path) {
    var upper = path.toUpperCase(java.util.Locale.ROOT);
    if (upper.startsWith("/WEB-INF") || upper.startsWith("/META-INF")) {
      return false;
    }
    try {
      return getServletContext().getResource(path) != null;
    } catch (java.net.MalformedURLException e) {
      return false;
    }
  }
}
