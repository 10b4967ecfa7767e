package it.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.Metrics;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.Test;

/** Hostile input, token lifetimes, key rotation, limits, logs and tenants. */
class SecurityIT extends ServiceTest {

  private void assertUnauthorized(String token) {
    var response =
        Http.get(Api.status(base, Db.project("alice"), null), "Authorization", "Bearer " + token);
    assertThat(response.statusCode())
        .as(token.length() > 80 ? token.substring(0, 80) : token)
        .isEqualTo(401);
    assertThat(Http.json(response.body()).getString("error")).isEqualTo("unauthorized");
  }

  @Test
  void refusesForgedMalformedAndIncompleteTokens() {
    var hour = Instant.now().plus(Duration.ofHours(1));
    assertUnauthorized(Tokens.hmacWithPublicKey(Tokens.claims("alice", Tokens.ISSUER, hour)));

    var notYet = Tokens.claims("alice", Tokens.ISSUER, hour);
    notYet.setNotBefore(NumericDate.fromSeconds(Instant.now().plusSeconds(600).getEpochSecond()));
    assertUnauthorized(Tokens.signWithTestKey(notYet));

    assertUnauthorized(Tokens.signWithTestKey(Tokens.claims(null, Tokens.ISSUER, hour)));

    var valid = Tokens.forUser("alice");
    var parts = valid.split("\\.");
    for (var broken :
        List.of(
            "a.b.c",
            "....",
            parts[0] + "." + parts[1],
            parts[0] + "." + parts[1] + ".",
            parts[0] + "." + Tokens.base64Url("{\"sub\":\"alice\"") + "." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "x",
            "\u00e9\u00e8.x.y")) {
      assertUnauthorized(broken);
    }
    // Huge tokens are refused without being parsed, whether in the header or the query.
    var huge = valid + "A".repeat(20_000);
    assertUnauthorized(huge);
    var project = Db.project("alice");
    var byQuery = Http.get(Api.status(base, project, Api.query("token", huge)));
    assertThat(byQuery.statusCode()).isEqualTo(401);
  }

  @Test
  void acceptsEveryAlgorithmOfTheSupportedSetWhenNoneIsConfigured() {
    // The test server sets no MP_JWT_VERIFY_PUBLICKEY_ALGORITHM; its key is RSA.
    var project = Db.project("alice");
    var claims = Tokens.claims("alice", Tokens.ISSUER, Instant.now().plus(Duration.ofHours(1)));
    for (var algorithm :
        List.of(
            AlgorithmIdentifiers.RSA_USING_SHA256,
            AlgorithmIdentifiers.RSA_USING_SHA384,
            AlgorithmIdentifiers.RSA_USING_SHA512,
            AlgorithmIdentifiers.RSA_PSS_USING_SHA256)) {
      var token = Tokens.signWithTestKey(claims, algorithm);
      assertThat(Http.get(Api.events(base, project, null), "Authorization", "Bearer " + token))
          .extracting(java.net.http.HttpResponse::statusCode)
          .as(algorithm)
          .isEqualTo(200);
    }
  }

  @Test
  void refusesHostileIdsAndCursorsWithoutEchoingThem() {
    var project = Db.project("alice");
    var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
    for (var id : List.of("-1", "1", "", "x".repeat(5000), project + "x")) {
      var response =
          Http.get(URI.create(base.toString()).resolve("/api/projects/" + id + "/status"), auth);
      assertThat(response.statusCode()).as(id).isIn(400, 404);
      assertThat(Http.json(response.body()).getString("error")).isNotBlank();
    }
    // Control characters and encoded slashes in the path are refused by Liberty's web container
    // itself, before the application sees the request: 400, never a raw CR/LF or NUL.
    for (var id : List.of("%0D%0Aevent:%20x", "%00", project + "%0A", "..%2F..%2Fetc")) {
      var response =
          Http.get(URI.create(base.toString()).resolve("/api/projects/" + id + "/status"), auth);
      assertThat(response.statusCode()).as(id).isEqualTo(400);
      assertThat(response.body()).doesNotContain("\nevent:", "\u0000");
    }
    for (var cursor : List.of("1%0D%0Adata:%20pwned", "%00", "-5", "", "9".repeat(40), "0x10")) {
      var response = Http.get(Api.status(base, project, "lastEventId=" + cursor), auth);
      assertThat(response.statusCode()).as(cursor).isEqualTo(400);
      assertThat(response.body()).doesNotContain("pwned");
    }
  }

  @Test
  void endsTheStreamWhenTheTokenExpiresAndAFreshTokenResumesWithoutLoss() {
    var project = Db.project("alice");
    var source = Db.source(project);
    var shortLived = Tokens.expiringIn("alice", Duration.ofSeconds(3));
    String lastId;
    try (var client =
        SseClient.open(Api.status(base, project, null), "Authorization", "Bearer " + shortLived)
            .awaitConnected()) {
      Db.setSourceStatus(source, "one");
      lastId = client.awaitProjectEvents(1).projectEvents().get(0).id();
      await().atMost(Duration.ofSeconds(20)).until(client::ended);
      assertThat(client.lines()).contains(": token expired");
    }
    Db.setSourceStatus(source, "two");
    try (var resumed = Api.stream(base, project, "alice", "Last-Event-ID", lastId)) {
      var events = resumed.awaitProjectEvents(1).projectEvents();
      assertThat(Http.json(events.get(0).data()).getString("status")).isEqualTo("two");
      assertThat(events.get(0).id()).isEqualTo(String.valueOf(Db.head(project)));
      assertThat(Db.eventIds(project)).hasSize(2);
    }
  }

  @Test
  void limitsStreamsPerUserAndFreesSlotsOfAbruptlyClosedStreams() {
    var project = Db.project("heavy");
    var open = new ArrayList<SseClient>();
    try {
      for (int i = 0; i < 16; i++) {
        open.add(Api.stream(base, project, "heavy"));
      }
      var refusals = Metrics.value("status_stream_limit_refusals_total", "limit", "streams");
      var refused =
          Http.get(
              Api.status(base, project, null),
              "Authorization",
              "Bearer " + Tokens.forUser("heavy"));
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      assertThat(Http.json(refused.body()).getString("error")).isEqualTo("too_many_streams");
      assertThat(Metrics.value("status_stream_limit_refusals_total", "limit", "streams"))
          .isGreaterThanOrEqualTo(refusals + 1);
      // Another user is not affected.
      Db.exec("INSERT INTO project_members (project_id, user_id) VALUES (?, 'light')", project);
      try (var other = Api.stream(base, project, "light")) {
        assertThat(other.status()).isEqualTo(200);
      }
    } finally {
      open.forEach(SseClient::close);
    }
    // The server notices the dropped connections by itself, when heartbeats to them fail; an
    // attempt's own streams are closed again, so attempts are spaced by a few heartbeats.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollDelay(Duration.ofSeconds(1))
        .pollInterval(Duration.ofSeconds(6))
        .until(
            () -> {
              var attempts = new ArrayList<SseClient>();
              try {
                for (int i = 0; i < 16; i++) {
                  var client =
                      SseClient.open(
                          Api.status(base, project, null),
                          "Authorization",
                          "Bearer " + Tokens.forUser("heavy"));
                  attempts.add(client);
                  if (client.status() != 200) {
                    return false;
                  }
                }
                return true;
              } finally {
                attempts.forEach(SseClient::close);
              }
            });
  }

  @Test
  void acceptsRotatedKeysFromTheKeySetFileWithoutRestart() throws Exception {
    var jwks = Path.of(System.getProperty("it.jwks"));
    var original = Files.readString(jwks);
    var project = Db.project("alice");
    var next = Tokens.newKeyPair();
    var nextJwk = new RsaJsonWebKey((java.security.interfaces.RSAPublicKey) next.getPublic());
    nextJwk.setKeyId("test-2");
    var hour = Instant.now().plus(Duration.ofHours(1));
    var nextToken =
        Tokens.sign(Tokens.claims("alice", Tokens.ISSUER, hour), next.getPrivate(), "test-2");
    var auth = new String[] {"Authorization", "Bearer " + nextToken};
    // Accepted (and so remembered as verified) before the rotation.
    var oldAuth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
    assertThat(Http.get(Api.events(base, project, null), oldAuth).statusCode()).isEqualTo(200);
    try {
      assertThat(Http.get(Api.events(base, project, null), auth).statusCode()).isEqualTo(401);
      Files.writeString(jwks, new JsonWebKeySet(nextJwk).toJson());
      assertThat(Http.get(Api.events(base, project, null), auth).statusCode()).isEqualTo(200);
      // The old key is gone from the set: its tokens no longer pass, the same one neither.
      assertThat(Http.get(Api.events(base, project, null), oldAuth).statusCode()).isEqualTo(401);
    } finally {
      Files.writeString(jwks, original);
    }
    var restored = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
    assertThat(Http.get(Api.events(base, project, null), restored).statusCode()).isEqualTo(200);
  }

  @Test
  void neverWritesATokenToAnyLog() throws Exception {
    var project = Db.project("alice");
    var tokens = new ArrayList<String>();
    for (var parameter : List.of("token", "access_token")) {
      var token = Tokens.forUser("alice");
      tokens.add(token);
      try (var client =
          SseClient.open(Api.status(base, project, Api.query(parameter, token))).awaitConnected()) {
        assertThat(client.status()).isEqualTo(200);
      }
      var refused = Tokens.forUser("stranger");
      tokens.add(refused);
      Http.get(Api.status(base, project, Api.query(parameter, refused)));
      Http.get(Api.events(base, project, Api.query(parameter, refused)));
    }
    var forged =
        Tokens.sign(
            Tokens.claims("alice", Tokens.ISSUER, Instant.now().plusSeconds(60)),
            Tokens.foreignKey());
    tokens.add(forged);
    Http.get(Api.status(base, project, Api.query("token", forged)));

    var logs = Path.of(System.getProperty("it.logs"));
    var accessLog = logs.resolve("access.log");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Files.exists(accessLog)
                    && Files.readString(accessLog)
                        .contains("/api/projects/" + project + "/events"));
    List<Path> files;
    try (Stream<Path> walk = Files.walk(logs)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertThat(files).isNotEmpty();
    for (var file : files) {
      var text = read(file);
      for (var token : tokens) {
        // The signature alone is the secret part; look for it and for the whole token.
        var signature = token.substring(token.lastIndexOf('.') + 1);
        assertThat(text).as(file.toString()).doesNotContain(signature);
      }
    }
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void everyEventReachesExactlyItsProjectsMembers() {
    var random = new Random(20261129L);
    var users = List.of("u1", "u2", "u3", "u4", "u5", "u6");
    var projects = new ArrayList<UUID>();
    var sources = new HashMap<UUID, UUID>();
    Map<UUID, Set<String>> members = new HashMap<>();
    for (int p = 0; p < 8; p++) {
      var chosen = new HashSet<String>();
      for (var user : users) {
        if (random.nextInt(3) == 0) {
          chosen.add(user);
        }
      }
      var project = Db.project(chosen.toArray(String[]::new));
      projects.add(project);
      members.put(project, chosen);
      sources.put(project, Db.source(project));
    }
    record Stream(String user, UUID project, SseClient client) {}
    var streams = new ArrayList<Stream>();
    try {
      for (var user : users) {
        for (var project : projects) {
          if (members.get(project).contains(user)) {
            streams.add(new Stream(user, project, Api.stream(base, project, user)));
          } else {
            var refused =
                Http.get(
                    Api.status(base, project, null),
                    "Authorization",
                    "Bearer " + Tokens.forUser(user));
            assertThat(refused.statusCode()).isEqualTo(403);
          }
        }
      }
      var written = new HashMap<UUID, Integer>();
      for (int i = 0; i < 120; i++) {
        var project = projects.get(random.nextInt(projects.size()));
        Db.setSourceStatus(sources.get(project), project + "#" + i);
        written.merge(project, 1, Integer::sum);
      }
      for (var stream : streams) {
        int expected = written.getOrDefault(stream.project(), 0);
        if (expected > 0) {
          stream.client().awaitProjectEvents(expected);
        }
        assertThat(stream.client().projectEvents())
            .as(stream.user() + " on " + stream.project())
            .hasSize(expected)
            .allSatisfy(
                e ->
                    assertThat(Http.json(e.data()).getString("status"))
                        .startsWith(stream.project() + "#"));
      }
    } finally {
      streams.forEach(s -> s.client().close());
    }
  }
}
