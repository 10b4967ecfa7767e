package io.labsos.statusstream.schema.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.Map;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * Applies the Flyway migrations in {@code db/migration}. Tables that other services created first
 * are accepted as they are: the migrations only add what is missing. The migrations run on
 * connections of their own, not the pool's, so that their session settings (the lock timeout) never
 * reach the service's queries. The capture functions belong to a role of their own, {@link
 * #captureRole}, named after the schema.
 *
 * <p>Creating a trigger locks its table against writers; a long transaction of another service
 * would make that wait, and every writer queue behind the wait. So every lock is awaited for at
 * most {@code MIGRATION_LOCK_TIMEOUT_SECONDS}: the migration then rolls back (PostgreSQL DDL is
 * transactional), the writers go on, and the caller (the listener's loop) tries again after its
 * backoff.
 */
@ApplicationScoped
public class SchemaMigration {

  private static final Logger LOG = Logger.getLogger(SchemaMigration.class.getName());

  @Inject Database database;

  @Inject
  @ConfigProperty(name = "MIGRATION_LOCK_TIMEOUT_SECONDS", defaultValue = "2")
  double lockTimeoutSeconds;

  private volatile boolean migrated;

  /**
   * Migrates once; later calls return at once.
   *
   * @throws IllegalStateException while the database cannot be reached or a lock is held too long
   */
  public synchronized void ensureMigrated() {
    if (migrated) {
      return;
    }
    try {
      migrate();
    } catch (FlywayException e) {
      SQLException sql = null;
      for (Throwable t = e; t != null && sql == null; t = t.getCause()) {
        sql = t instanceof SQLException found ? found : null;
      }
      var said = sql != null ? sql.getMessage() : String.valueOf(e.getMessage());
      var first = said.lines().findFirst().orElse("").replaceFirst("^ERROR: ", "");
      boolean lockWait =
          sql != null ? "55P03".equals(sql.getSQLState()) : said.contains("lock timeout");
      throw new IllegalStateException(
          lockWait
              ? "schema migration waits for a lock held by another transaction; retrying"
              : "schema migration failed: " + first,
          e);
    }
    migrated = true;
  }

  private void migrate() {
    var dataSource = database.dataSource("migration");
    var result =
        Flyway.configure(getClass().getClassLoader())
            .dataSource(dataSource)
            // On Liberty the folder is found through its marker file db/migration/flyway.location.
            .locations("classpath:db/migration")
            .callbackLocations("classpath:db/callback")
            .placeholders(
                Map.of(
                    "lockTimeout",
                    Math.round(lockTimeoutSeconds * 1000) + "ms",
                    "captureRole",
                    captureRole(schemaOf(dataSource))))
            .failOnMissingLocations(true)
            // Our own history table: other services may run Flyway in the same schema.
            .table("status_stream_schema_history")
            // A schema other services filled first is fine: our migrations only add what is
            // missing.
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load()
            .migrate();
    LOG.info(
        () ->
            result.migrationsExecuted == 0
                ? "Schema up to date"
                : "Schema migrated to version "
                    + result.targetSchemaVersion
                    + " ("
                    + result.migrationsExecuted
                    + " migrations applied)");
  }

  public boolean isMigrated() {
    return migrated;
  }

  /**
   * The role the capture functions run as: {@code status_stream_capture} for the log in {@code
   * public}, {@code status_stream_capture_<schema>} for one in another schema (roles are
   * cluster-wide; a role per schema keeps one deployment's capture from writing another's log).
   */
  static String captureRole(String schema) {
    var name =
        schema.equals("public") ? "status_stream_capture" : "status_stream_capture_" + schema;
    if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw new IllegalStateException(
          "the schema name "
              + schema
              + " does not give a capture role name of lower-case letters, digits and _ (63 at"
              + " most)");
    }
    return name;
  }

  /** The schema the migrations put the tables in: the first of the user's search_path. */
  private static String schemaOf(DataSource dataSource) {
    try (var connection = dataSource.getConnection();
        var statement = connection.createStatement();
        var rows = statement.executeQuery("SELECT current_schema()")) {
      rows.next();
      var schema = rows.getString(1);
      if (schema == null) {
        throw new FlywayException("the database user's search_path names no existing schema");
      }
      return schema;
    } catch (SQLException e) {
      throw new FlywayException("cannot read the current schema: " + e.getMessage(), e);
    }
  }
}
