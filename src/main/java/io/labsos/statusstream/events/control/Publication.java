package io.labsos.statusstream.events.control;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;

/**
 * The publication that logical capture reads the event log through. Publication names are
 * database-wide while the log belongs to a schema, so the name says the schema: {@value #BASE} for
 * the log in {@code public}, {@code status_stream_events_<schema>} for one in another schema, and
 * two deployments in different schemas of one database never read each other's log.
 */
final class Publication {

  private static final Logger LOG = Logger.getLogger(Publication.class.getName());
  static final String BASE = "status_stream_events";

  private Publication() {}

  /** The publication of the event log in {@code schema}. */
  static String name(String schema) {
    if (schema.equals("public")) {
      return BASE;
    }
    var name = BASE + "_" + schema;
    // Identifiers are at most 63 bytes; a longer schema name is cut, and the feed's check that the
    // publication holds this schema's log catches a clash of two cut names.
    var bytes = name.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= 63) {
      return name;
    }
    var cut = new StringBuilder();
    int length = 0;
    for (int i = 0; i < name.length(); ) {
      int codePoint = name.codePointAt(i);
      int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
      if (length + size > 63) {
        break;
      }
      cut.appendCodePoint(codePoint);
      length += size;
      i += Character.charCount(codePoint);
    }
    return cut.toString();
  }

  /**
   * Creates the publication of the log in the connection's schema when it is missing (that needs
   * the CREATE right on the database), and returns its name.
   *
   * @throws CaptureUnavailable when it is missing and cannot be created
   */
  static String ensure(Connection connection, String schema) throws SQLException {
    var name = name(schema);
    try (var exists =
        connection.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      exists.setString(1, name);
      try (var rows = exists.executeQuery()) {
        if (rows.next()) {
          return name;
        }
      }
    }
    var create =
        "CREATE PUBLICATION "
            + quote(name)
            + " FOR TABLE "
            + quote(schema)
            + "."
            + TransactionAssembler.EVENTS_TABLE
            + " WITH (publish = 'insert')";
    try (var statement = connection.createStatement()) {
      statement.execute(create);
      LOG.info("Created the publication " + name + " for logical capture");
      return name;
    } catch (SQLException e) {
      throw new CaptureUnavailable(
          CaptureUnavailable.PUBLICATION,
          "logical capture needs the publication "
              + name
              + ", and creating it failed ("
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
              + "); create it as a user with CREATE on the database: "
              + create,
          "42501",
          e);
    }
  }

  /** The schema the connection's unqualified names resolve to: where the migrations put the log. */
  static String schemaOf(Connection connection) throws SQLException {
    try (var statement = connection.createStatement();
        var rows = statement.executeQuery("SELECT current_schema()")) {
      rows.next();
      var schema = rows.getString(1);
      if (schema == null) {
        throw new SQLException("the connection's search_path names no schema", "3F000");
      }
      return schema;
    }
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
