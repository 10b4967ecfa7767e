package io.labsos.statusstream.schema.control;

import io.labsos.statusstream.settings.SettingsCheck;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGProperty;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The database settings of the code, each read here once, and the connections that must not come
 * from the pool: the listener's (a connection that LISTENs stays with one owner for its whole
 * life), the logical feed's, and the schema migration's (whose session settings must not reach
 * pooled connections).
 *
 * <p>{@code server.xml} gives the same settings to the pool, as its variables {@code DB_HOST} and
 * so on; the code reads them by the same names, so that both take them from the same place (the
 * environment, {@code server.env}, a system property, or server.xml's default) and never disagree.
 * The listener's socket timeout is the code's alone: {@code listener.socket.timeout.seconds}, whose
 * environment variable is {@code LISTENER_SOCKET_TIMEOUT_SECONDS}.
 *
 * <p>TLS is pgjdbc's, for every connection alike: {@code DB_SSLMODE} and {@code DB_SSLROOTCERT} are
 * its {@code sslmode} and {@code sslrootcert}. A mode that is none of pgjdbc's, or a root
 * certificate that cannot be read where the mode needs one, is refused at start, as is a port or a
 * timeout that is no number: the log says why once, {@link #problem()} says it as a fixed text
 * (readiness shows it), and the listener does not connect.
 */
@ApplicationScoped
public class Database {

  private static final Logger LOG = Logger.getLogger(Database.class.getName());

  /** pgjdbc's and libpq's modes, weakest first. */
  static final List<String> SSL_MODES =
      List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  static final String BAD_SSL_MODE = "DB_SSLMODE is not one of " + String.join(", ", SSL_MODES);
  static final String UNREADABLE_ROOT_CERT =
      "DB_SSLROOTCERT (by default ~/.postgresql/root.crt) is not a readable file, and DB_SSLMODE"
          + " verifies the server's certificate with it";

  @Inject
  @ConfigProperty(name = "DB_HOST", defaultValue = "localhost")
  String host;

  @Inject
  @ConfigProperty(name = "DB_PORT", defaultValue = "5432")
  String portText;

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
  @ConfigProperty(name = "listener.socket.timeout.seconds", defaultValue = "20")
  String socketTimeoutText;

  /**
   * Taken exactly as given (no blanks stripped, lower case only): server.xml hands the same text to
   * the pool, and Liberty accepts exactly these values there.
   */
  @Inject
  @ConfigProperty(name = "DB_SSLMODE", defaultValue = "prefer")
  String sslModeText;

  /**
   * The CA certificates (PEM) the server's certificate must chain to. Unset, pgjdbc's default; on
   * Liberty, server.xml's variable gives the same default, so it is always set there.
   */
  @Inject
  @ConfigProperty(name = "DB_SSLROOTCERT")
  Optional<String> sslRootCertText;

  private Tls tls = Tls.DEFAULT;
  private int port = 5432;
  private int socketTimeoutSeconds = 20;
  private Optional<String> problem = Optional.empty();

  @PostConstruct
  void init() {
    var check = new SettingsCheck();
    port = check.port("DB_PORT", portText, 5432);
    socketTimeoutSeconds =
        check.whole(
            "listener.socket.timeout.seconds", socketTimeoutText, 1, Integer.MAX_VALUE / 1000, 20);
    var problems = new ArrayList<>(check.problems());
    if (!SSL_MODES.contains(sslModeText)) {
      problems.add(BAD_SSL_MODE);
    } else {
      var rootCert = sslRootCertText.filter(c -> !c.isBlank()).orElse(null);
      tls = new Tls(sslModeText, rootCert);
      if (tls.verifiesCertificate() && rootCert != null && !readable(rootCert)) {
        problems.add(UNREADABLE_ROOT_CERT);
      }
    }
    problem = problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  /** Says once, at start, why this instance will not connect. */
  void start(@Observes Startup startup) {
    problem.ifPresent(
        p ->
            LOG.severe(
                "The database settings are not usable, so this instance does not connect and does"
                    + " not become ready: "
                    + p));
  }

  /** What keeps the service from connecting as configured, as a fixed text. */
  public Optional<String> problem() {
    return problem;
  }

  /** How connections use TLS: what server.xml gives the pool, for every other connection. */
  public Tls tls() {
    return tls;
  }

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
    tls.applyTo(ds);
    return ds;
  }

  private static boolean readable(String file) {
    try {
      var path = Path.of(file);
      return Files.isRegularFile(path) && Files.isReadable(path);
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /** The listener's own connection, in autocommit. */
  public Connection openUnpooled() throws SQLException {
    Connection connection = dataSource("listener").getConnection();
    connection.setAutoCommit(true);
    return connection;
  }
}
