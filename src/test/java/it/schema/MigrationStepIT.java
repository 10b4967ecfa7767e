package it.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration as a step of its own, as docs/deployment.md runs it: the service runs with {@code
 * SCHEMA_MIGRATION=validate} as a user with exactly the rights docs/security.md lists (it can
 * create nothing), and is not ready while the schema lacks migrations; {@code bin/migrate} migrates
 * with a user that may create (not a superuser: it owns the database and has CREATEROLE); once the
 * documented grants are given, the running instance becomes ready by itself and streams.
 */
class MigrationStepIT {

  private static final int PORT = 9322;
  private static final int MANAGEMENT_PORT = 9323;
  private static final int MIGRATION_PORT = 9324;
  private static final int MIGRATION_MANAGEMENT_PORT = 9325;

  @Test
  void aServiceThatCanCreateNothingStreamsOnceTheMigrationStepRan(@TempDir Path work)
      throws Exception {
    var suffix = randomHex();
    var service = "it_service_" + suffix;
    var migrator = "it_migrator_" + suffix;
    var servicePassword = randomHex();
    var migratorPassword = randomHex();
    try (var db = Db.create()) {
      Db.exec("CREATE ROLE " + migrator + " LOGIN CREATEROLE PASSWORD '" + migratorPassword + "'");
      Db.exec("CREATE ROLE " + service + " LOGIN PASSWORD '" + servicePassword + "'");
      // Nothing for anyone but what is granted: the service's rights are the documented ones.
      Db.exec("ALTER DATABASE " + db.name() + " OWNER TO " + migrator);
      Db.exec("REVOKE ALL ON DATABASE " + db.name() + " FROM PUBLIC");
      db.run("REVOKE ALL ON SCHEMA public FROM PUBLIC");
      // What an administrator gives the service's user with the user, before any table exists;
      // the grants on the tables follow the migration.
      db.run("GRANT CONNECT ON DATABASE " + db.name() + " TO " + service);
      db.run("GRANT USAGE ON SCHEMA public TO " + service);

      var env = JarServer.trustingTestTokens();
      env.putAll(
          Map.of(
              "MANAGEMENT_PORT",
              String.valueOf(MANAGEMENT_PORT),
              "DB_NAME",
              db.name(),
              "DB_USER",
              service,
              "DB_PASSWORD",
              servicePassword,
              "SCHEMA_MIGRATION",
              "validate",
              "CHANGE_CAPTURE",
              "notify"));
      var java = Path.of(System.getProperty("java.home"), "bin", "java");
      try (var server = new JarServer(java, work, PORT, env).launch()) {
        var ready = server.uri("/health/ready");
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .ignoreExceptions()
            .until(() -> Http.get(ready).body().contains("not current: migrations pending"));
        assertThat(Http.get(ready).statusCode()).isEqualTo(503);
        assertThat(Http.get(server.uri("/health/started")).statusCode())
            .as("checked, waiting for the migration step: started, not ready")
            .isEqualTo(200);
        assertThat(tables(db)).as("validate creates nothing").isEmpty();

        var output = migrate(work, db.name(), migrator, migratorPassword);
        assertThat(output)
            .contains("Schema migrated to version")
            .contains("the schema is migrated; stopping the service");

        try (var owner = connect(db.name(), migrator, migratorPassword);
            var statement = owner.createStatement()) {
          for (var grant : documentedGrants(service, db.name())) {
            statement.execute(grant);
          }
        }
        server.awaitReady();
        assertThat(Files.readString(server.output()))
            .contains("SCHEMA_MIGRATION=validate: the schema is not current: migrations pending")
            .contains("Schema is current");

        var project = UUID.randomUUID();
        db.run("INSERT INTO projects (id, name) VALUES (?, 'validated')", project);
        db.run("INSERT INTO project_members (project_id, user_id) VALUES (?, 'alice')", project);
        var source = db.newSource(project);
        try (var stream =
            SseClient.open(
                    server.uri("/api/projects/" + project + "/status"),
                    "Authorization",
                    "Bearer " + Tokens.forUser("alice"))
                .awaitConnected()) {
          db.sourceStatus(source, "done");
          stream.awaitProjectEvents(1);
          assertThat(stream.projectEvents().get(0).data()).contains("\"status\":\"done\"");
        }
        assertThat(
                db.query(
                    Boolean.class,
                    "SELECT has_schema_privilege(?, 'public', 'CREATE')"
                        + " OR has_database_privilege(?, current_database(), 'CREATE')"
                        + " OR has_database_privilege(?, current_database(), 'TEMPORARY')"
                        + " OR pg_has_role(?, 'status_stream_capture', 'MEMBER')"
                        + " OR (SELECT rolcreaterole OR rolcreatedb OR rolsuper FROM pg_roles"
                        + "     WHERE rolname = ?)",
                    service,
                    service,
                    service,
                    service,
                    service))
            .as("the service's user can create nothing")
            .isFalse();
      }
    } finally {
      Db.exec("DROP ROLE IF EXISTS " + service);
      Db.exec("DROP ROLE IF EXISTS " + migrator);
    }
  }

  /** Runs bin/migrate with the runnable jar, as the migrating user; returns what it printed. */
  private static String migrate(Path work, String database, String user, String password)
      throws Exception {
    var script = Path.of(System.getProperty("it.basedir"), "bin", "migrate");
    var output = work.resolve("migrate.out");
    var command =
        new ProcessBuilder(
                script.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-jar",
                System.getProperty("it.jar"))
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    var environment = command.environment();
    environment.keySet().removeIf(k -> k.startsWith("MP_JWT_") || k.startsWith("STREAM_"));
    environment.put("DB_NAME", database);
    environment.put("DB_USER", user);
    environment.put("DB_PASSWORD", password);
    environment.put("SCHEMA_MIGRATION", "validate");
    environment.put("CHANGE_CAPTURE", "notify");
    environment.put("HTTP_PORT", String.valueOf(MIGRATION_PORT));
    environment.put("HTTPS_PORT", String.valueOf(MIGRATION_PORT + 363));
    environment.put("MANAGEMENT_PORT", String.valueOf(MIGRATION_MANAGEMENT_PORT));
    environment.put("WLP_JAR_EXTRACT_DIR", work.resolve("migrate-wlp").toString());
    environment.put("JVM_ARGS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
    var process = command.start();
    try {
      assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("bin/migrate ends").isTrue();
    } finally {
      process.destroy();
    }
    var printed = Files.readString(output);
    assertThat(process.exitValue()).as(printed).isZero();
    return printed;
  }

  /**
   * The GRANT statements of docs/security.md, "The service's own user", for this role and database.
   */
  static List<String> documentedGrants(String role, String database) throws Exception {
    var text = Files.readString(Path.of(System.getProperty("it.basedir"), "docs", "security.md"));
    var section = text.substring(text.indexOf("## The service's own user"));
    var block =
        section.substring(
            section.indexOf("```sql") + 6, section.indexOf("```", section.indexOf("```sql") + 6));
    var grants = new ArrayList<String>();
    var matcher = Pattern.compile("(?m)^GRANT [^;]+;").matcher(block);
    while (matcher.find()) {
      grants.add(
          matcher
              .group()
              .replaceAll(" TO status_stream;$", " TO " + role)
              .replace("DATABASE labsos ", "DATABASE " + database + " "));
    }
    assertThat(grants).as("the documented grants").hasSizeGreaterThan(4);
    return grants;
  }

  private static List<String> tables(Db db) {
    var names =
        db.query(
            String.class,
            "SELECT coalesce(string_agg(tablename, ','), '') FROM pg_tables"
                + " WHERE schemaname = 'public'");
    return names.isEmpty() ? List.of() : List.of(names.split(","));
  }

  private static Connection connect(String database, String user, String password)
      throws SQLException {
    var props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    return DriverManager.getConnection(Db.url(database), props);
  }

  private static String randomHex() {
    var bytes = new byte[6];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
