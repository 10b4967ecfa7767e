package io.labsos.statusstream.schema.control;

/**
 * Under {@code SCHEMA_MIGRATION=validate}, the database lacks migrations of this version, or has
 * ones that do not match them: not a passing outage, so the instance says why, stays not ready and
 * checks again slowly, until the migration step has run.
 */
public final class SchemaNotCurrent extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String reason;

  /**
   * @param reason a fixed text, what readiness may show anyone
   * @param message the same for the log, with what Flyway found
   */
  SchemaNotCurrent(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
