package io.labsos.statusstream.events.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGProperty;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Opens the listener's own connection: outside the pool, because a connection that LISTENs must
 * stay with one owner for its whole life. Same settings as the server's data source.
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

  public Connection openUnpooled() throws SQLException {
    var ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {host});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName(name);
    ds.setUser(user);
    ds.setPassword(password.orElse(""));
    ds.setApplicationName("status-stream-listener");
    ds.setConnectTimeout(5);
    ds.setSocketTimeout(socketTimeoutSeconds);
    ds.setTcpKeepAlive(true);
    ds.setProperty(PGProperty.LOGIN_TIMEOUT, "10");
    Connection connection = ds.getConnection();
    connection.setAutoCommit(true);
    return connection;
  }
}
