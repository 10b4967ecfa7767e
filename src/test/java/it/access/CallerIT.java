package it.access;

import static org.assertj.core.api.Assertions.assertThat;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Where the caller's token may come from, and what its groups allow: the authentication mechanism
 * reads one token per request, by one rule; a token's groups read every project only when the
 * server names them (READ_ALL_PROJECTS_GROUPS), and then only tokens made for this service (aud).
 */
class CallerIT extends ServiceTest {

  /** A token of the issuer's for another application (its {@code aud}), with these groups. */
  private static String forAnotherApplication(String user, String... groups) {
    var claims = Tokens.claims(user, Tokens.ISSUER, Instant.now().plus(Duration.ofHours(1)));
    claims.setAudience("another-application");
    claims.setStringListClaim("groups", List.of(groups));
    return Tokens.signWithTestKey(claims);
  }

  private int status(String token, UUID project) {
    return Http.get(Api.status(base, project, null), "Authorization", "Bearer " + token)
        .statusCode();
  }

  private int poll(String token, UUID project) {
    return Http.get(Api.events(base, project, null), "Authorization", "Bearer " + token)
        .statusCode();
  }

  @Test
  void aGroupTheServerNamesReadsEveryProject() {
    // The test server's READ_ALL_PROJECTS_GROUPS: "status-reader , status-dashboards".
    for (var group : List.of("status-reader", "status-dashboards")) {
      var project = Db.project("alice");
      var reader = Tokens.forUserInGroups("dashboard", "viewers", group);
      try (var stream =
          SseClient.open(Api.status(base, project, null), "Authorization", "Bearer " + reader)
              .awaitConnected()) {
        assertThat(stream.status()).as(group).isEqualTo(200);
        Db.setSourceStatus(Db.source(project), "seen by the dashboard");
        stream.awaitProjectEvents(1);
      }
      assertThat(poll(reader, project)).as(group).isEqualTo(200);
      // Also a project that does not exist: such a reader sees an empty log.
      assertThat(poll(reader, UUID.randomUUID())).as(group).isEqualTo(200);
    }
  }

  @Test
  void aGroupTheServerDoesNotNameReadsOnlyTheProjectsOfItsMember() {
    var project = Db.project("alice", "admin");
    for (var other :
        List.of(
            Tokens.forUserInGroups("dashboard", "status-admin"),
            Tokens.forUserInGroups("dashboard", "status-readers"),
            Tokens.forUserInGroups("dashboard"))) {
      assertThat(poll(other, project)).isEqualTo(403);
      assertThat(status(other, project)).isEqualTo(403);
    }
    // A member is one whatever its groups.
    assertThat(poll(Tokens.forUserInGroups("admin", "status-admin"), project)).isEqualTo(200);
  }

  @Test
  void aNamedGroupInATokenForAnotherApplicationIsRefused() {
    var project = Db.project("alice");
    var elsewhere = forAnotherApplication("dashboard", "status-reader");
    assertThat(poll(elsewhere, project)).isEqualTo(401);
    assertThat(status(elsewhere, project)).isEqualTo(401);
    // Not even a member's: aud is checked for every token.
    assertThat(poll(forAnotherApplication("alice"), project)).isEqualTo(401);
  }

  @Test
  void aCookieCountsOnlyWithoutAnOriginOrFromAnAllowedOrigin() {
    var project = Db.project("carol");
    var cookie = "status_stream_token=" + Tokens.forUser("carol");
    var hostile =
        Http.get(Api.status(base, project, null), "Cookie", cookie, "Origin", "https://evil.test");
    assertThat(hostile.statusCode()).isEqualTo(401);
    assertThat(hostile.headers().map().keySet())
        .noneMatch(name -> name.toLowerCase().startsWith("access-control-allow-origin"));
    assertThat(
            Http.get(Api.events(base, project, null), "Cookie", cookie, "Origin", "null")
                .statusCode())
        .isEqualTo(401);
    try (var allowed =
        SseClient.open(
                Api.status(base, project, null), "Cookie", cookie, "Origin", "https://admin.test")
            .awaitConnected()) {
      assertThat(allowed.status()).isEqualTo(200);
    }
    try (var sameOrigin =
        SseClient.open(Api.status(base, project, null), "Cookie", cookie).awaitConnected()) {
      assertThat(sameOrigin.status()).isEqualTo(200);
    }
  }

  @Test
  void aRefusalCarriesCorsHeadersForAnAllowedOriginSoThePageCanReadIt() {
    var project = Db.project("carol");
    for (var origin : List.of("https://app.test", "https://admin.test")) {
      var refused = Http.get(Api.status(base, project, null), "Origin", origin);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.headers().firstValue("Access-Control-Allow-Origin")).hasValue(origin);
      assertThat(refused.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    }
  }

  @Test
  void anAuthorizationHeaderOfAnotherSchemeHidesNoQueryOrCookieToken() {
    var project = Db.project("dave");
    var basic = "Basic " + java.util.Base64.getEncoder().encodeToString("proxy:secret".getBytes());
    var byQuery =
        Http.get(
            Api.events(base, project, Api.query("access_token", Tokens.forUser("dave"))),
            "Authorization",
            basic);
    assertThat(byQuery.statusCode()).isEqualTo(200);
    var byCookie =
        Http.get(
            Api.events(base, project, null),
            "Authorization",
            basic,
            "Cookie",
            "status_stream_token=" + Tokens.forUser("dave"));
    assertThat(byCookie.statusCode()).isEqualTo(200);
    var alone = Http.get(Api.events(base, project, null), "Authorization", basic);
    assertThat(alone.statusCode()).isEqualTo(401);
  }

  @Test
  void headAnswersLikeTheStreamWithoutOpeningOne() {
    var project = Db.project("erin");
    var auth = "Bearer " + Tokens.forUser("erin");
    // More HEADs than the user may hold streams: none of them holds a slot.
    for (int i = 0; i < 20; i++) {
      var head =
          Http.send(
              HttpRequest.newBuilder(Api.status(base, project, null))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .header("Authorization", auth));
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
    }
    var streams = new java.util.ArrayList<SseClient>();
    try {
      for (int i = 0; i < 16; i++) {
        var stream = Api.stream(base, project, "erin");
        streams.add(stream);
        assertThat(stream.status()).isEqualTo(200);
      }
    } finally {
      streams.forEach(SseClient::close);
    }
    var unauthenticated =
        Http.send(
            HttpRequest.newBuilder(Api.status(base, project, null))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(unauthenticated.statusCode()).isEqualTo(401);
    var stranger =
        Http.send(
            HttpRequest.newBuilder(Api.status(base, project, null))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + Tokens.forUser("mallory")));
    assertThat(stranger.statusCode()).isEqualTo(403);
  }
}
