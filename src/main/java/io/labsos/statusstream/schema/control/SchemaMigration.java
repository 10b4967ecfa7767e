package io.labsos.statusstream.schema.control;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * Applies the Flyway migrations in {@code db/migration}. Tables that other services created first
 * are accepted as they are: the migrations only add what is missing.
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

  @Resource(lookup = "jdbc/statusStream")
  DataSource dataSource;

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
      var cause = e.getCause() != null ? e.getCause() : e;
      var message = String.valueOf(cause.getMessage()).lines().findFirst().orElse("");
      throw new IllegalStateException(
          (e.getMessage() + message).contains("lock timeout")
              ? "schema migration waits for a lock held by another transaction; retrying"
              : "schema migration failed: " + message,
          e);
    }
    migrated = true;
  }

  private void migrate() {
    var result =
        Flyway.configure(getClass().getClassLoader())
            .dataSource(dataSource)
            // On Liberty the folder is found through its marker file db/migration/flyway.location.
            .locations("classpath:db/migration")
            .callbackLocations("classpath:db/callback")
            .placeholders(Map.of("lockTimeout", Math.round(lockTimeoutSeconds * 1000) + "ms"))
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
}
