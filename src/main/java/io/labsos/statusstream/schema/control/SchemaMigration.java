package io.labsos.statusstream.schema.control;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Applies the Flyway migrations in {@code db/migration}. Tables that other services created first
 * are accepted as they are: the migrations only add what is missing.
 */
@ApplicationScoped
public class SchemaMigration {

  private static final Logger LOG = Logger.getLogger(SchemaMigration.class.getName());

  @Resource(lookup = "jdbc/statusStream")
  DataSource dataSource;

  private volatile boolean migrated;

  /** Migrates once; later calls return at once. Throws while the database cannot be reached. */
  public synchronized void ensureMigrated() {
    if (migrated) {
      return;
    }
    var result =
        Flyway.configure(getClass().getClassLoader())
            .dataSource(dataSource)
            // On Liberty the folder is found through its marker file db/migration/flyway.location.
            .locations("classpath:db/migration")
            .callbackLocations("classpath:db/migration")
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
    migrated = true;
  }

  public boolean isMigrated() {
    return migrated;
  }
}
