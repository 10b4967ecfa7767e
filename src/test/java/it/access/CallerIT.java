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
 * reads one token per request, by one rule, and hands the container a JsonWebToken whose groups are
 * roles.
 */
class CallerIT extends ServiceTest {

  private static String withGroups(String user, String... groups) {
    var claims = Tokens.claims(user, Tokens.ISSUER, Instant.now().plus(Duration.ofHours(1)));
    claims.setStringListClaim("groups", List.of(groups));
    return Tokens.signWithTestKey(claims);
  }

  @Test
  void theStatusReaderRoleReadsProjectsItIsNoMemberOf() {
    var project = Db.project("alice");
    var reader = withGroups("dashboard", "status-reader");
    try (var stream =
        SseClient.open(Api.status(base, project, null), "Authorization", "Bearer " + reader)
            .awaitConnected()) {
      assertThat(stream.status()).isEqualTo(200);
      Db.setSourceStatus(Db.source(project), "seen by the dashboard");
      stream.awaitProjectEvents(1);
    }
    var polled = Http.get(Api.events(base, project, null), "Authorization", "Bearer " + reader);
    assertThat(polled.statusCode()).isEqualTo(200);
    // Also for a project that does not exist: readers see an empty log.
    assertThat(
            Http.get(Api.events(base, UUID.randomUUID(), null), "Authorization", "Bearer " + reader)
                .statusCode())
        .isEqualTo(200);

    for (var other : List.of(withGroups("dashboard", "status-writer"), withGroups("dashboard"))) {
      var refused = Http.get(Api.events(base, project, null), "Authorization", "Bearer " + other);
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(
              Http.get(Api.status(base, project, null), "Authorization", "Bearer " + other)
                  .statusCode())
          .isEqualTo(403);
    }
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
