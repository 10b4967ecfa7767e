package io.labsos.statusstream.schema.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGProperty;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The database settings of the code ({@code server.xml} gives the same ones to the pool), and the
 * connections that must not come from the pool: the listener's (a connection that LISTENs stays
 * with one owner for its whole life), the logical feed's, and the schema migration's (whose session
 * settings must not reach pooled connections).
 */
@ApplicationScoped
public class Database {

  @Inject
  @ConfigProperty(name = "DB_HOST", defaultValue = "localhost")
  String host;

  @Inject
  @ConfigProperty(name = "DB_PORT", defaultValue = "5432")
  int port;

  @Inject
  @ConfigProperty(name = "DB_NAME", defaultValue = "labsos")
  String name;

  @Inject
  @ConfigProperty(name = "DB_USER", defaultValue = "postgres")
  String user;

  @Inject
  @ConfigProperty(name = "DB_PASSWORD")
  Optional<String> password;

  /**
   * A dead network path shows as a read that never returns: socketTimeout bounds every read, and
   * the listener's periodic ping guarantees there is a read to time out.
   */
  @Inject
  @ConfigProperty(name = "LISTENER_SOCKET_TIMEOUT_SECONDS", defaultValue = "20")
  int socketTimeoutSeconds;

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String name() {
    return name;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password.orElse("");
  }

  /** How long a read on the listener's and the logical feed's connections may take. */
  public int socketTimeoutSeconds() {
    return socketTimeoutSeconds;
  }

  /** An unpooled data source with these settings, named {@code status-stream-<purpose>}. */
  public PGSimpleDataSource dataSource(String purpose) {
    var ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {host});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName(name);
    ds.setUser(user);
    ds.setPassword(password.orElse(""));
    ds.setApplicationName("status-stream-" + purpose);
    ds.setConnectTimeout(5);
    ds.setSocketTimeout(socketTimeoutSeconds);
    ds.setTcpKeepAlive(true);
    ds.setProperty(PGProperty.LOGIN_TIMEOUT, "10");
    return ds;
  }

  /** The listener's own connection, in autocommit. */
  public Connection openUnpooled() throws SQLException {
    Connection connection = dataSource("listener").getConnection();
    connection.setAutoCommit(true);
    return connection;
  }
}
