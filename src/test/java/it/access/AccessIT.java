package it.access;

import static org.assertj.core.api.Assertions.assertThat;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Who gets a stream, and what everyone else gets instead. */
class AccessIT extends ServiceTest {

  private HttpResponse<String> status(UUID project, String token, String... headers) {
    return get(Api.status(base, project, null), token, headers);
  }

  private static HttpResponse<String> get(URI uri, String token, String... headers) {
    var all = new String[headers.length + (token == null ? 0 : 2)];
    System.arraycopy(headers, 0, all, 0, headers.length);
    if (token != null) {
      all[headers.length] = "Authorization";
      all[headers.length + 1] = "Bearer " + token;
    }
    return Http.get(uri, all);
  }

  private static void assertError(HttpResponse<String> response, int status, String error) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    var json = Http.json(response.body());
    assertThat(json.getString("error")).isEqualTo(error);
    assertThat(json.getString("message")).isNotBlank();
  }

  private static void assertUnauthorized(HttpResponse<String> response) {
    assertError(response, 401, "unauthorized");
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
  }

  @Test
  void refusesRequestsWithoutAValidToken() {
    var project = Db.project("alice");
    var hourFromNow = Instant.now().plus(Duration.ofHours(1));

    assertUnauthorized(status(project, null));
    assertUnauthorized(
        status(
            project,
            Tokens.sign(Tokens.claims("alice", Tokens.ISSUER, hourFromNow), Tokens.foreignKey())));
    assertUnauthorized(
        status(
            project,
            Tokens.signWithTestKey(
                Tokens.claims(
                    "alice", Tokens.ISSUER, Instant.now().minus(Duration.ofMinutes(5))))));
    assertUnauthorized(
        status(
            project,
            Tokens.signWithTestKey(Tokens.claims("alice", "https://someone.else", hourFromNow))));
    // The test server accepts one audience (MP_JWT_VERIFY_AUDIENCES): none, or another, is refused.
    var withoutAudience = Tokens.claims("alice", Tokens.ISSUER, hourFromNow);
    withoutAudience.unsetClaim("aud");
    assertUnauthorized(status(project, Tokens.signWithTestKey(withoutAudience)));
    var otherAudience = Tokens.claims("alice", Tokens.ISSUER, hourFromNow);
    otherAudience.setAudience("another-application", "status-stream-it-not");
    assertUnauthorized(status(project, Tokens.signWithTestKey(otherAudience)));
    var unsigned =
        Tokens.base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}")
            + "."
            + Tokens.base64Url(Tokens.claims("alice", Tokens.ISSUER, hourFromNow).toJson())
            + ".";
    assertUnauthorized(status(project, unsigned));
    assertUnauthorized(status(project, "not.a.jwt"));
    assertUnauthorized(status(project, null, "Authorization", "Basic YWxpY2U6c2VjcmV0"));
  }

  @Test
  void nonMembersAndUnknownProjectsAreForbiddenAlike() {
    var project = Db.project("alice");
    var forbidden = status(project, Tokens.forUser("mallory"));
    var unknown = status(UUID.randomUUID(), Tokens.forUser("mallory"));
    assertError(forbidden, 403, "forbidden");
    assertError(unknown, 403, "forbidden");
    assertThat(unknown.body()).isEqualTo(forbidden.body());
  }

  @Test
  void refusesMalformedProjectIdsAndCursors() {
    var project = Db.project("alice");
    var token = Tokens.forUser("alice");
    assertError(
        get(URI.create(base.toString()).resolve("/api/projects/not-a-uuid/status"), token),
        400,
        "bad_request");
    for (var cursor : new String[] {"abc", "-1", "1.5", "99999999999999999999", ""}) {
      assertError(status(project, token, "Last-Event-ID", cursor), 400, "bad_request");
    }
    assertError(get(Api.status(base, project, "lastEventId=x"), token), 400, "bad_request");
  }

  @Test
  void acceptsTheTokenInTheQueryAsEventSourceSendsIt() {
    var project = Db.project("alice");
    for (var parameter : new String[] {"token", "access_token"}) {
      try (var client =
          SseClient.open(Api.status(base, project, Api.query(parameter, Tokens.forUser("alice"))))
              .awaitConnected()) {
        assertThat(client.status()).isEqualTo(200);
      }
    }
    var refused = Http.get(Api.status(base, project, Api.query("token", Tokens.forUser("eve"))));
    assertError(refused, 403, "forbidden");
  }

  @Test
  void thePollingEndpointAppliesTheSameRules() {
    var project = Db.project("alice");
    assertUnauthorized(get(Api.events(base, project, null), null));
    assertError(get(Api.events(base, project, null), Tokens.forUser("eve")), 403, "forbidden");
    var token = Tokens.forUser("alice");
    for (var query : new String[] {"limit=0", "limit=1001", "limit=x", "after=-1", "after=a"}) {
      assertError(get(Api.events(base, project, query), token), 400, "bad_request");
    }
    var ok = get(Api.events(base, project, "limit=1000"), token);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(Http.json(ok.body()).getString("lastEventId")).isEqualTo("0");
  }

  @Test
  void acceptsTheTokenInAnHttpOnlyCookieAndTheHeaderWinsOverOtherSources() {
    var project = Db.project("alice");
    var cookie = "status_stream_token=" + Tokens.forUser("alice");
    try (var client =
        SseClient.open(Api.status(base, project, null), "Cookie", cookie).awaitConnected()) {
      assertThat(client.status()).isEqualTo(200);
    }
    // A member's token in the query does not help a request whose header names someone else.
    var headerWins =
        get(
            Api.status(base, project, Api.query("token", Tokens.forUser("alice"))),
            Tokens.forUser("eve"),
            "Cookie",
            cookie);
    assertError(headerWins, 403, "forbidden");
  }

  @Test
  void answersCorsOnlyForConfiguredOrigins() {
    var project = Db.project("alice");
    var preflight =
        Http.send(
            HttpRequest.newBuilder(Api.status(base, project, null))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.test")
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization,last-event-id"));
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin"))
        .hasValue("https://app.test");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers"))
        .hasValueSatisfying(v -> assertThat(v).contains("Authorization", "Last-Event-ID"));

    try (var client =
        SseClient.open(
                Api.status(base, project, Api.query("token", Tokens.forUser("alice"))),
                "Origin",
                "https://admin.test")
            .awaitConnected()) {
      assertThat(client.response().headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue("https://admin.test");
    }

    var stranger =
        get(
            Api.events(base, project, null),
            Tokens.forUser("alice"),
            "Origin",
            "https://evil.test");
    assertThat(stranger.statusCode()).isEqualTo(200);
    assertThat(stranger.headers().map().keySet())
        .noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
    var strangerPreflight =
        Http.send(
            HttpRequest.newBuilder(Api.status(base, project, null))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.test.evil.test")
                .header("Access-Control-Request-Method", "GET"));
    assertThat(strangerPreflight.headers().map().keySet())
        .noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
  }

  @Test
  void theDemoEndpointsDoNotExistOutsideDemoMode() {
    var demo = Http.get(URI.create(base.toString()).resolve("/api/demo"));
    assertError(demo, 404, "not_found");
    var job =
        Http.send(
            HttpRequest.newBuilder(URI.create(base.toString()).resolve("/api/demo/jobs"))
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertError(job, 404, "not_found");
  }
}
