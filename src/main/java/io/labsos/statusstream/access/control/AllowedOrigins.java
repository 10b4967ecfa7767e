package io.labsos.statusstream.access.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The origins of {@code CORS_ALLOWED_ORIGINS}: exact {@code scheme://host[:port]}, comma-separated,
 * blanks around items ignored. One entry that is not an origin (a path, a trailing slash, {@code
 * *}, no scheme) makes the whole list count as empty and keeps the instance from becoming ready, so
 * a typo never silently opens or closes the service to a site.
 */
@ApplicationScoped
public class AllowedOrigins {

  private static final Logger LOG = Logger.getLogger(AllowedOrigins.class.getName());

  static final String MALFORMED =
      "CORS_ALLOWED_ORIGINS has an entry that is not an origin (scheme://host[:port])";

  @Inject
  @ConfigProperty(name = "CORS_ALLOWED_ORIGINS")
  Optional<String> configured;

  private Set<String> origins = Set.of();
  private String malformed;

  @PostConstruct
  void init() {
    var parsed = new LinkedHashSet<String>();
    for (var item : configured.orElse("").split(",")) {
      var entry = item.strip();
      if (entry.isEmpty()) {
        continue;
      }
      var origin = origin(entry);
      if (origin == null) {
        malformed = entry;
        return;
      }
      parsed.add(origin);
    }
    origins = Set.copyOf(parsed);
  }

  void start(@Observes Startup startup) {
    if (malformed != null) {
      LOG.severe(
          "CORS_ALLOWED_ORIGINS: \""
              + malformed
              + "\" is not an origin (scheme://host[:port], no path, no trailing slash): no origin"
              + " is allowed and this instance does not become ready");
    }
  }

  /** Why the configured list is refused, as a fixed text; empty when it is fine. */
  public Optional<String> problem() {
    return malformed == null ? Optional.empty() : Optional.of(MALFORMED);
  }

  public boolean allows(String origin) {
    return origin != null && origins.contains(origin);
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

  /** The origin as browsers send it (lower-case scheme and host), or null for anything else. */
  static String origin(String text) {
    try {
      var uri = new URI(text);
      var scheme = uri.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || uri.getHost() == null
          || uri.getRawUserInfo() != null
          || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        return null;
      }
      return scheme.toLowerCase(Locale.ROOT)
          + "://"
          + uri.getHost().toLowerCase(Locale.ROOT)
          + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    } catch (URISyntaxException e) {
      return null;
    }
  }
}
