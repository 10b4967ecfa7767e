package io.labsos.statusstream.openapi.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.Endpoints;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code GET /openapi} on the API port: the OpenAPI document (META-INF/openapi.yaml) as Liberty
 * serves it, for those who read the API, who reach only this port. Liberty's endpoint is one of its
 * own applications on {@code default_host}, which server.xml keeps on the management port (with
 * health, metrics and the document's browser UI) so that nothing of Liberty's answers on the port
 * the world reaches; this servlet fetches exactly that one document from there, over the local
 * interface, and answers with it. YAML unless {@code ?format=JSON} or {@code Accept:
 * application/json}, as Liberty decides. Nothing of the request but that choice is passed on.
 */
@WebServlet("/openapi")
public class OpenApiDocument extends HttpServlet {

  /** Per servlet instance, not static: it goes with the application when that is stopped. */
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @Inject Endpoints endpoints;

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    HttpResponse<byte[]> document;
    try {
      document =
          client.send(
              HttpRequest.newBuilder(managementUri(wantsJson(request)))
                  .timeout(Duration.ofSeconds(5))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException | URISyntaxException e) {
      unavailable(response);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      unavailable(response);
      return;
    }
    if (document.statusCode() != 200) {
      unavailable(response);
      return;
    }
    response.setStatus(200);
    response.setContentType(
        document.headers().firstValue("Content-Type").orElse("text/plain; charset=UTF-8"));
    response.setHeader("Cache-Control", "no-cache");
    response.setContentLength(document.body().length);
    response.getOutputStream().write(document.body());
  }

  private static boolean wantsJson(HttpServletRequest request) {
    var format = request.getParameter("format");
    if (format != null) {
      return format.equalsIgnoreCase("JSON");
    }
    var accept = request.getHeader("Accept");
    return accept != null && accept.contains("application/json");
  }

  private URI managementUri(boolean json) throws URISyntaxException {
    return new URI(
        "http",
        null,
        endpoints.localHost(),
        endpoints.managementPort(),
        "/openapi",
        json ? "format=JSON" : null,
        null);
  }

  private static void unavailable(HttpServletResponse response) throws IOException {
    ApiError.unavailable("The API description is unavailable; retry shortly").write(response);
  }
}
