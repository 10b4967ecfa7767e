package it;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** The service's URLs. */
public final class Api {

  private Api() {}

  public static URI status(URL base, Object project, String query) {
    return URI.create(base.toString())
        .resolve("/api/projects/" + project + "/status" + (query == null ? "" : "?" + query));
  }

  public static URI events(URL base, Object project, String query) {
    return URI.create(base.toString())
        .resolve("/api/projects/" + project + "/events" + (query == null ? "" : "?" + query));
  }

  /** The stream of several projects, {@code /api/status?project=...}, with more query if given. */
  public static URI status(URL base, java.util.List<java.util.UUID> projects, String query) {
    return URI.create(base.toString()).resolve("/api/status?" + projects(projects, query));
  }

  /** The polling of several projects, {@code /api/events?project=...}. */
  public static URI events(URL base, java.util.List<java.util.UUID> projects, String query) {
    return URI.create(base.toString()).resolve("/api/events?" + projects(projects, query));
  }

  private static String projects(java.util.List<java.util.UUID> projects, String query) {
    var text = new StringBuilder();
    for (var project : projects) {
      text.append(text.length() == 0 ? "" : "&").append("project=").append(project);
    }
    return text + (query == null ? "" : "&" + query);
  }

  /** Opens a stream of several projects for the user. */
  public static SseClient stream(
      URL base, java.util.List<java.util.UUID> projects, String user, String... headers) {
    var all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer " + Tokens.forUser(user);
    System.arraycopy(headers, 0, all, 2, headers.length);
    return SseClient.open(status(base, projects, null), all).awaitConnected();
  }

  /** Opens the project's stream for the user, with the token in the Authorization header. */
  public static SseClient stream(URL base, UUID project, String user, String... headers) {
    var all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer " + Tokens.forUser(user);
    System.arraycopy(headers, 0, all, 2, headers.length);
    return SseClient.open(status(base, project, null), all).awaitConnected();
  }

  /**
   * The bytes of a stream request for the user, for tests that speak HTTP over a raw socket (to
   * stall, reset or drop it as no HTTP client would).
   */
  public static byte[] rawStreamRequest(URL base, UUID project, String user) {
    return ("GET /api/projects/%s/status HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n"
            + "Authorization: Bearer %s\r\n\r\n")
        .formatted(project, base.getHost(), Tokens.forUser(user))
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The root of the test server's HTTP port, where the service's context root is. */
  public static URL root() {
    try {
      return URI.create("http://localhost:" + System.getProperty("it.http.port", "9080") + "/")
          .toURL();
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A path of the test server's management endpoint (health checks, metrics): its own port, not the
   * application's.
   */
  public static URI management(String path) {
    return URI.create("http://localhost:" + System.getProperty("it.management.port") + path);
  }

  public static String query(String name, String value) {
    return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
