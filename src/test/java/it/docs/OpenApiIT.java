package it.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.Tokens;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The API description at {@code /openapi}: served on the API port, and saying what the running
 * server really answers: its operations, no others, and refusals and pages of the documented shape.
 */
class OpenApiIT extends ServiceTest {

  private static final String STREAM = "/api/projects/{projectId}/status";
  private static final String POLLING = "/api/projects/{projectId}/events";
  private static final Set<String> METHODS =
      Set.of("get", "head", "post", "put", "delete", "patch", "options");

  private JsonObject document() {
    var response = Http.get(URI.create(base.toString()).resolve("/openapi?format=JSON"));
    assertThat(response.statusCode()).isEqualTo(200);
    return Http.json(response.body());
  }

  @Test
  void theApiPortServesTheDocumentLibertyServesOnTheManagementPort() {
    var api = URI.create(base.toString());
    var yaml = Http.get(api.resolve("/openapi"));
    assertThat(yaml.statusCode()).isEqualTo(200);
    assertThat(yaml.body()).contains("openapi: 3.0.3").contains("title: status-stream");
    var json = document();
    assertThat(Http.json(Http.get(api.resolve("/openapi"), "Accept", "application/json").body()))
        .isEqualTo(json);
    assertThat(Http.json(Http.get(Api.management("/openapi?format=JSON")).body())).isEqualTo(json);
    // Liberty's browser UI stays on the management port, off the origin of the API's cookie.
    assertThat(Http.get(Api.management("/openapi/ui/")).statusCode()).isEqualTo(200);
    assertThat(Http.get(api.resolve("/openapi/ui/")).statusCode()).isEqualTo(404);
  }

  @Test
  void listsExactlyTheOperationsTheServerHasAndEachAnswersAsDocumented() {
    var paths = document().getJsonObject("paths");
    var documented = new TreeSet<String>();
    paths.forEach(
        (path, item) ->
            item.asJsonObject().keySet().stream()
                .filter(METHODS::contains)
                .forEach(method -> documented.add(method + " " + path)));
    assertThat(documented)
        .containsExactlyInAnyOrder(
            "get " + STREAM,
            "head " + STREAM,
            "get " + POLLING,
            "get /api/status",
            "head /api/status",
            "get /api/events",
            "get /api/demo",
            "post /api/demo/jobs",
            "get /health/live",
            "get /health/ready",
            "get /health/started",
            "get /metrics");

    // Without a token, on the port its path names (the management port for health and metrics),
    // each operation answers one of its documented statuses: 401 for the API, 404 for the demo
    // outside demo mode, 200 for the probes.
    for (var operation : documented) {
      var method = operation.substring(0, operation.indexOf(' '));
      var path = operation.substring(method.length() + 1);
      var item = paths.getJsonObject(path);
      var real = path.replace("{projectId}", UUID.randomUUID().toString());
      var uri =
          item.containsKey("servers")
              ? Api.management(real)
              : URI.create(base.toString()).resolve(real);
      int status = send(method.toUpperCase(), uri).statusCode();
      var responses = item.getJsonObject(method).getJsonObject("responses").keySet();
      assertThat(responses).as(operation).contains(String.valueOf(status));
    }

    // What is not documented is not there, for a caller with a token too.
    var token = "Bearer " + Tokens.forUser("openapi-" + UUID.randomUUID());
    var api = URI.create(base.toString());
    assertThat(send("POST", Api.status(base, UUID.randomUUID(), null), token).statusCode())
        .isEqualTo(405);
    assertThat(send("GET", api.resolve("/api/demo/jobs"), token).statusCode()).isEqualTo(405);
    assertThat(send("GET", api.resolve("/api/projects"), token).statusCode()).isEqualTo(404);
  }

  @Test
  void metricsAnswersItsDocumentedParametersAsDocumented() {
    var operation =
        document().getJsonObject("paths").getJsonObject("/metrics").getJsonObject("get");
    var responses = operation.getJsonObject("responses").keySet();
    var scope =
        operation.getJsonArray("parameters").stream()
            .map(JsonValue::asJsonObject)
            .filter(p -> p.getString("name").equals("scope"))
            .findFirst()
            .orElseThrow();
    for (var value : scope.getJsonObject("schema").getJsonArray("enum")) {
      var name = ((JsonString) value).getString();
      assertThat(Http.get(Api.management("/metrics?scope=" + name)).statusCode())
          .as(name)
          .isEqualTo(200);
    }
    var one =
        Http.get(Api.management("/metrics?scope=application&name=status_stream_open_streams"));
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.body()).contains("status_stream_open_streams");
    for (var unknown : java.util.List.of("/metrics?scope=nope", "/metrics?name=nope")) {
      var status = Http.get(Api.management(unknown)).statusCode();
      assertThat(status).as(unknown).isEqualTo(404);
      assertThat(responses).contains(String.valueOf(status));
    }
  }

  @Test
  void refusalsAndAnswersHaveTheDocumentedShape() {
    var document = document();
    var user = "openapi-" + UUID.randomUUID();
    var token = "Bearer " + Tokens.forUser(user);
    var project = Db.project(user);
    var error = schema(document, "Error");

    var badRequest = Http.get(Api.status(base, "not-a-uuid", null), "Authorization", token);
    assertThat(badRequest.statusCode()).isEqualTo(400);
    assertShape(Http.json(badRequest.body()), error);
    assertThat(Http.json(badRequest.body())).isEqualTo(example(document, "BadRequest"));

    var unauthorized = Http.get(Api.events(base, project, null));
    assertThat(unauthorized.statusCode()).isEqualTo(401);
    assertThat(unauthorized.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(Http.json(unauthorized.body())).isEqualTo(example(document, "Unauthorized"));

    var forbidden =
        Http.get(
            Api.events(base, project, null), "Authorization", "Bearer " + Tokens.forUser("eve"));
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(Http.json(forbidden.body())).isEqualTo(example(document, "Forbidden"));

    // A page with an event: the page and the event have the documented fields, no others.
    Db.setSourceStatus(Db.source(project), "running");
    await().until(() -> !Db.eventIds(project).isEmpty());
    var page = Http.get(Api.events(base, project, "after=0"), "Authorization", token);
    assertThat(page.statusCode()).isEqualTo(200);
    var body = Http.json(page.body());
    assertShape(body, schema(document, "EventPage"));
    var event = body.getJsonArray("events").getJsonObject(0);
    assertShape(event, schema(document, "PolledEvent"));
    assertShape(event.getJsonObject("data"), schema(document, "StatusUpdate"));

    // The stream starts with the documented headers and the documented first frame.
    try (var stream = Api.stream(base, project, user)) {
      var headers = stream.response().headers();
      assertThat(headers.firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
      assertThat(headers.firstValue("Cache-Control")).hasValue(headerValue(document, "NoCache"));
      assertThat(headers.firstValue("X-Accel-Buffering"))
          .hasValue(headerValue(document, "NoBuffering"));
      var connected = Http.json(stream.events().get(0).data());
      assertShape(connected, schema(document, "Connected"));
      assertThat(connected.getString("message"))
          .isEqualTo(enumValue(schema(document, "Connected"), "message"));
    }
  }

  @Test
  void theReferenceInProseNamesEveryDocumentedPath() throws IOException {
    var prose = Files.readString(Path.of(System.getProperty("it.basedir"), "docs", "api.md"));
    assertThat(document().getJsonObject("paths").keySet())
        .allSatisfy(p -> assertThat(prose).contains(p));
  }

  private static HttpResponse<String> send(String method, URI uri, String... authorization) {
    var request = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody());
    for (var value : authorization) {
      request.header("Authorization", value);
    }
    return Http.send(request);
  }

  private static JsonObject schema(JsonObject document, String name) {
    return document.getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
  }

  private static JsonObject example(JsonObject document, String response) {
    return document
        .getJsonObject("components")
        .getJsonObject("responses")
        .getJsonObject(response)
        .getJsonObject("content")
        .getJsonObject("application/json")
        .getJsonObject("example");
  }

  private static String headerValue(JsonObject document, String header) {
    var schema =
        document
            .getJsonObject("components")
            .getJsonObject("headers")
            .getJsonObject(header)
            .getJsonObject("schema");
    return schema.getJsonArray("enum").getString(0);
  }

  private static String enumValue(JsonObject schema, String property) {
    return schema
        .getJsonObject("properties")
        .getJsonObject(property)
        .getJsonArray("enum")
        .getString(0);
  }

  /** The object has every required property of the schema and none it does not list. */
  private static void assertShape(JsonObject object, JsonObject schema) {
    var required = new TreeSet<String>();
    schema.getJsonArray("required").forEach(name -> required.add(((JsonString) name).getString()));
    assertThat(object.keySet())
        .as(object.toString())
        .containsAll(required)
        .isSubsetOf(schema.getJsonObject("properties").keySet());
    if (schema.containsKey("additionalProperties")) {
      assertThat(schema.get("additionalProperties")).isEqualTo(JsonValue.FALSE);
    }
  }
}
