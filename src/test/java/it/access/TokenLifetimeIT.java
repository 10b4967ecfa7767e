package it.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.Test;

/**
 * One rule for tokens and their streams: a token is accepted while now &lt; exp + clock skew (the
 * test server's skew is MP_JWT_VERIFY_CLOCK_SKEW=4 s); a stream opened with it ends exactly then,
 * and the same token is refused from then on.
 */
class TokenLifetimeIT extends ServiceTest {

  private static final Duration SKEW = Duration.ofSeconds(4);

  /** A token that expired at {@code exp}, issued ten minutes before it (as real ones are). */
  private static String expiredAt(String user, Instant exp) {
    var claims = Tokens.claims(user, Tokens.ISSUER, exp);
    claims.setIssuedAt(NumericDate.fromSeconds(exp.getEpochSecond() - 600));
    return Tokens.signWithTestKey(claims);
  }

  @Test
  void aTokenPastItsExpiryButWithinTheSkewStreamsUntilExpiryPlusSkewAndIsRefusedThen() {
    var project = Db.project("alice");
    var source = Db.source(project);
    var exp = Instant.now().minusSeconds(2).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    var token = expiredAt("alice", exp);
    try (var client =
        SseClient.open(Api.status(base, project, null), "Authorization", "Bearer " + token)
            .awaitConnected()) {
      assertThat(client.status()).isEqualTo(200);
      // Still open a second later, and delivering: not closed at once.
      Db.setSourceStatus(source, "within-skew");
      client.awaitProjectEvents(1);
      assertThat(client.ended()).isFalse();
      client.awaitEnded();
      var ended = Instant.now();
      assertThat(ended).isAfterOrEqualTo(exp.plus(SKEW).minusMillis(200));
      assertThat(ended).isBefore(exp.plus(SKEW).plusSeconds(2));
      assertThat(client.lines()).contains(": token expired");
    }
    var again = Http.get(Api.status(base, project, null), "Authorization", "Bearer " + token);
    assertThat(again.statusCode()).isEqualTo(401);
    assertThat(again.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
  }

  @Test
  void aTokenExpiredLongerThanTheSkewIsRefused() {
    var project = Db.project("alice");
    var refused =
        Http.get(
            Api.status(base, project, null),
            "Authorization",
            "Bearer " + expiredAt("alice", Instant.now().minus(SKEW).minusSeconds(16)));
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(Http.json(refused.body()).getString("error")).isEqualTo("unauthorized");
  }

  @Test
  void absurdExpiryAndSubjectsWithControlCharactersAreUnauthorizedNotServerErrors()
      throws Exception {
    var messages = Path.of(System.getProperty("it.logs"), "messages.log");
    long before = databaseComplaints(messages);
    var project = Db.project("alice");
    var farFuture = new JwtClaims();
    farFuture.setSubject("alice");
    farFuture.setIssuer(Tokens.ISSUER);
    farFuture.setAudience(Tokens.AUDIENCE);
    farFuture.setExpirationTime(NumericDate.fromSeconds(10_000_000_000_000_000L));
    var nul = Tokens.claims("al\u0000ice", Tokens.ISSUER, Instant.now().plusSeconds(600));
    var newline = Tokens.claims("alice\nadmin", Tokens.ISSUER, Instant.now().plusSeconds(600));
    for (var claims : new JwtClaims[] {farFuture, nul, newline}) {
      var token = Tokens.signWithTestKey(claims);
      for (var uri :
          new java.net.URI[] {Api.status(base, project, null), Api.events(base, project, null)}) {
        var response = Http.get(uri, "Authorization", "Bearer " + token);
        assertThat(response.statusCode()).as(claims.toJson()).isEqualTo(401);
        assertThat(Http.json(response.body()).getString("error")).isEqualTo("unauthorized");
      }
    }
    // Nothing of it reads as a database problem in the log.
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> databaseComplaints(messages) == before);
  }

  private static long databaseComplaints(Path messages) throws java.io.IOException {
    return Files.readString(messages, java.nio.charset.StandardCharsets.ISO_8859_1)
        .lines()
        .filter(line -> line.contains("Database unavailable for a request"))
        .count();
  }
}
