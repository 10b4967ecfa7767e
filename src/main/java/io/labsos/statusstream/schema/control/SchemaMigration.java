package io.labsos.statusstream.schema.control;

import io.labsos.statusstream.settings.SettingsCheck;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.ValidateResult;

/**
 * The schema the service needs, as {@code SCHEMA_MIGRATION} says: {@code auto} applies the Flyway
 * migrations in {@code db/migration} at start, {@code validate} only checks that the database has
 * every one of them applied (another step migrates, with a user that may create what the service's
 * may not), {@code off} does neither (the operator's responsibility). Tables that other services
 * created first are accepted as they are: the migrations only add what is missing. Migrating and
 * validating run on connections of their own, not the pool's, so that their session settings (the
 * lock timeout) never reach the service's queries. The capture functions belong to a role of their
 * own, {@link #captureRole}, named after the schema.
 *
 * <p>Creating a trigger locks its table against writers; a long transaction of another service
 * would make that wait, and every writer queue behind the wait. So every lock is awaited for at
 * most {@code MIGRATION_LOCK_TIMEOUT_SECONDS}: the migration then rolls back (PostgreSQL DDL is
 * transactional), the writers go on, and the caller (the listener's loop) tries again after its
 * backoff. A schema found not current under {@code validate} is checked again by the same loop, so
 * an instance becomes ready once the migration step has run, without a restart.
 */
@ApplicationScoped
public class SchemaMigration {

  private static final Logger LOG = Logger.getLogger(SchemaMigration.class.getName());

  /** What readiness says of the schema: fixed texts. */
  static final String MIGRATED = "migrated";

  static final String NOT_MIGRATED = "not migrated";
  static final String CURRENT = "current";
  static final String NOT_VALIDATED = "not validated yet";
  static final String PENDING = "not current: migrations pending";
  static final String MISMATCH = "not current: it does not match this version's migrations";
  static final String UNCHECKED = "not checked (SCHEMA_MIGRATION=off)";

  /** What the service does about its schema at start. */
  enum Mode {
    AUTO,
    VALIDATE,
    OFF
  }

  @Inject Database database;

  /** Longest wait of a migration for a table lock; it then rolls back and retries. */
  @Inject
  @ConfigProperty(name = "migration.lock.timeout.seconds", defaultValue = "2")
  String lockTimeoutText;

  @Inject
  @ConfigProperty(name = "schema.migration", defaultValue = "auto")
  String modeText;

  private Mode mode;
  private double lockTimeoutSeconds = 2;
  private Optional<String> problem = Optional.empty();
  private volatile boolean current;
  private volatile String state = NOT_MIGRATED;

  @PostConstruct
  void init() {
    var check = new SettingsCheck();
    lockTimeoutSeconds = check.positive("migration.lock.timeout.seconds", lockTimeoutText, 2);
    var modes = List.of("auto", "validate", "off");
    var modeName = check.oneOf("schema.migration", modeText, modes, null);
    if (check.problems().isEmpty()) {
      switch (modeName) {
        case "validate" -> {
          mode = Mode.VALIDATE;
          state = NOT_VALIDATED;
        }
        case "off" -> {
          mode = Mode.OFF;
          current = true;
          state = UNCHECKED;
        }
        default -> mode = Mode.AUTO;
      }
    } else {
      problem = Optional.of(String.join("; ", check.problems()));
    }
  }

  /** Says once, at start, what the settings mean for this instance. */
  void start(@Observes Startup startup) {
    if (problem.isPresent()) {
      LOG.severe(problem.get() + ": the schema is not touched, the instance does not become ready");
    } else if (mode == Mode.OFF) {
      LOG.info(
          "SCHEMA_MIGRATION=off: the schema is neither migrated nor checked; it must have every"
              + " migration of this version applied");
    }
  }

  /** Why the setting keeps the instance from working, as a fixed text. */
  public Optional<String> problem() {
    return problem;
  }

  /**
   * Makes sure, once, that the schema is what this version needs: migrates it ({@code auto}),
   * checks it ({@code validate}) or takes it as it is ({@code off}). Later calls return at once.
   *
   * @throws SchemaNotCurrent under {@code validate}, when migrations are missing or do not match
   * @throws IllegalStateException while the database cannot be reached or a lock is held too long,
   *     or the settings are refused
   */
  public synchronized void ensureCurrent() {
    if (current) {
      return;
    }
    if (problem.isPresent()) {
      throw new IllegalStateException(problem.get());
    }
    try {
      if (mode == Mode.VALIDATE) {
        validate();
      } else {
        migrate();
        state = MIGRATED;
      }
    } catch (FlywayException e) {
      SQLException sql = null;
      for (Throwable t = e; t != null && sql == null; t = t.getCause()) {
        sql = t instanceof SQLException found ? found : null;
      }
      var said = sql != null ? sql.getMessage() : String.valueOf(e.getMessage());
      var first = said.lines().findFirst().orElse("").replaceFirst("^ERROR: ", "");
      boolean lockWait =
          sql != null ? "55P03".equals(sql.getSQLState()) : said.contains("lock timeout");
      var what = mode == Mode.VALIDATE ? "schema validation" : "schema migration";
      throw new IllegalStateException(
          lockWait
              ? what + " waits for a lock held by another transaction; retrying"
              : what + " failed: " + first,
          e);
    }
    current = true;
  }

  private void migrate() {
    var result = flyway().migrate();
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

  private void validate() {
    ValidateResult result = flyway().validateWithResult();
    if (result.validationSuccessful) {
      state = CURRENT;
      LOG.info("Schema is current: every migration of this version is applied");
      return;
    }
    boolean onlyPending =
        !result.invalidMigrations.isEmpty()
            && result.invalidMigrations.stream()
                .allMatch(
                    m ->
                        m.errorDetails != null
                            && (m.errorDetails.errorCode
                                    == CoreErrorCode.RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED
                                || m.errorDetails.errorCode
                                    == CoreErrorCode.RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED));
    state = onlyPending ? PENDING : MISMATCH;
    var details = String.valueOf(result.getAllErrorMessages()).lines().findFirst().orElse("");
    throw new SchemaNotCurrent(
        state,
        "SCHEMA_MIGRATION=validate: the schema is "
            + state
            + (onlyPending
                ? " (run the migration step, bin/migrate, as a user that may create)"
                : "")
            + ": "
            + details);
  }

  private Flyway flyway() {
    var dataSource = database.dataSource(mode == Mode.VALIDATE ? "validation" : "migration");
    return Flyway.configure(getClass().getClassLoader())
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
        // A schema other services filled first is fine: our migrations only add what is missing.
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .load();
  }

  /** The schema is what this version needs: migrated, found current, or not checked by choice. */
  public boolean isCurrent() {
    return current;
  }

  /**
   * Whether the instance has done what it does about its schema at start: migrated it ({@code
   * auto}), reached a verdict on it ({@code validate}, whatever the verdict: readiness waits for a
   * current one), or nothing to do ({@code off}).
   */
  public boolean isSettled() {
    return current || PENDING.equals(state) || MISMATCH.equals(state);
  }

  /** The schema's state as readiness shows it: a fixed text. */
  public String state() {
    return state;
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
