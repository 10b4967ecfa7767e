package it.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import it.Http;
import it.JarServer;
import it.Tokens;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server started with settings it cannot work with does not become ready, and says why: once in
 * its log, and in /health/ready as fixed texts that name no host, user or setting value. Settings
 * come from the environment and, by their MicroProfile Config names, from system properties.
 */
class MisconfigurationIT {

  private static final int PORT = 9194;

  @Test
  void refusesToBecomeReadyAndSaysWhyWithoutSecrets(@TempDir Path work) throws Exception {
    // TLS files that hold no certificate and no key: refused, never plain HTTP in their place.
    var certificate = Files.writeString(work.resolve("tls.crt"), "not a certificate\n");
    var key =
        Files.writeString(
            work.resolve("tls.key"),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    var env =
        new java.util.HashMap<>(
            Map.of(
                "TLS_CERT_FILE", certificate.toString(),
                "TLS_KEY_FILE", key.toString(),
                // No MP_JWT_VERIFY_ISSUER; a key URL over plain http to another host.
                "MP_JWT_VERIFY_PUBLICKEY_LOCATION", "http://keys.example.org/jwks.json",
                // A path is not an origin; the blanks around the others are fine.
                "CORS_ALLOWED_ORIGINS", "https://a.test , https://b.test/app",
                // A user the database refuses: its name must not reach the health answer.
                "DB_USER", "no_such_user_7f3a",
                // Groups that would read every project, without an audience to keep out tokens the
                // issuer made for other applications.
                "READ_ALL_PROJECTS_GROUPS", "ops-readers-5d1c",
                // An algorithm we do not accept (symmetric), and a cookie name that is none.
                "MP_JWT_VERIFY_PUBLICKEY_ALGORITHM", "HS256",
                "MP_JWT_TOKEN_COOKIE", "session id",
                // A TLS mode of pgjdbc's, misspelled.
                "DB_SSLMODE", "verify_full"));
    // Kafka mode without its brokers, and with a client setting the relay's guarantees rest on.
    env.put("CHANGE_CAPTURE", "kafka");
    env.put("KAFKA_BOOTSTRAP_SERVERS", "");
    env.put("KAFKA_ACKS", "1");
    // A stream setting that is no number: refused by name, not a failed deployment.
    env.put("STREAM_HEARTBEAT_SECONDS", "abc");
    // Settings given not in the environment but as MicroProfile Config properties (here Java
    // system properties of the server's JVM), by their dotted names: read and checked alike.
    env.put(
        "JVM_ARGS",
        "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlistener.outage.seconds=-1"
            + " -Dkafka.enable.idempotence=false");
    try (var server =
        new JarServer(Path.of(System.getProperty("java.home"), "bin", "java"), work, PORT, env)
            .launch()) {
      var ready = server.uri("/health/ready");
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                try {
                  return Http.get(ready).statusCode() == 503
                      && Http.get(ready).body().contains("login refused");
                } catch (RuntimeException e) {
                  return false;
                }
              });
      var down = Http.get(ready);
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.body())
          .contains("MP_JWT_VERIFY_ISSUER is not set")
          .contains("keys must come over https")
          .contains("CORS_ALLOWED_ORIGINS has an entry that is not an origin")
          .contains("READ_ALL_PROJECTS_GROUPS is set but MP_JWT_VERIFY_AUDIENCES is not")
          .contains("MP_JWT_VERIFY_PUBLICKEY_ALGORITHM is not one of RS256")
          .contains("MP_JWT_TOKEN_COOKIE is not a cookie name")
          .contains("TLS_CERT_FILE holds no PEM certificate")
          .contains("TLS_KEY_FILE holds no PEM private key")
          .contains("DB_SSLMODE is not one of disable, allow, prefer, require, verify-ca")
          .contains("KAFKA_BOOTSTRAP_SERVERS is required with CHANGE_CAPTURE=kafka")
          .contains("KAFKA_ACKS is set by the service")
          .contains("KAFKA_ENABLE_IDEMPOTENCE is set by the service")
          .contains("STREAM_HEARTBEAT_SECONDS must be a whole number of at least 1")
          .contains("LISTENER_OUTAGE_SECONDS must be a whole number of at least 1")
          .contains("\"database\":\"unreachable: login refused\"")
          .doesNotContain(
              "no_such_user_7f3a",
              "keys.example.org",
              "ops-readers-5d1c",
              "HS256",
              "session id",
              "verify_full",
              "abc",
              "b.test",
              work.toString(),
              "FATAL",
              "role",
              System.getenv().getOrDefault("DB_HOST", "localhost") + ":",
              ":" + System.getenv().getOrDefault("DB_PORT", "5432"));

      // Tokens cannot be verified: 503 with Retry-After, never a 401 that blames the token.
      var stream =
          Http.get(
              server.uri("/api/projects/00000000-0000-4000-8000-000000000001/events"),
              "Authorization",
              "Bearer " + Tokens.forUser("alice"));
      assertThat(stream.statusCode()).isEqualTo(503);
      assertThat(stream.headers().firstValue("Retry-After")).isPresent();

      // Nothing listens on HTTPS_PORT (JarServer: +363).
      assertThatThrownBy(() -> new Socket("localhost", PORT + 363).close())
          .isInstanceOf(ConnectException.class);

      var log = Files.readString(server.output());
      assertThat(log)
          .containsOnlyOnce("HTTPS is not configured usably")
          .contains("TLS_CERT_FILE holds no PEM certificate")
          .containsOnlyOnce("Token verification is not configured")
          .contains("MP_JWT_VERIFY_ISSUER is not set")
          .contains("READ_ALL_PROJECTS_GROUPS is set but MP_JWT_VERIFY_AUDIENCES is not")
          .contains("MP_JWT_VERIFY_PUBLICKEY_ALGORITHM is not one of")
          .contains("MP_JWT_TOKEN_COOKIE is not a cookie name")
          .contains("\"https://b.test/app\" is not an origin")
          .containsOnlyOnce("The database settings are not usable")
          .contains("DB_SSLMODE is not one of")
          .containsOnlyOnce("The stream settings are refused")
          .contains("LISTENER_OUTAGE_SECONDS must be a whole number of at least 1");
    }
  }
}
