package it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL that speaks TLS only: {@code ssl=on} with a server certificate for {@code
 * localhost} signed by a CA made here (JDK keytool), and a {@code pg_hba.conf} of {@code hostssl}
 * lines alone, so that a connection without TLS is refused. It runs with {@code wal_level=logical}
 * (logical capture's replication connection goes through TLS too), trusts its users, listens on
 * 127.0.0.1, keeps its data under target/ and is stopped and deleted on {@link #close()}. Skips the
 * test where no PostgreSQL binaries are installed.
 */
public final class TlsPostgres implements AutoCloseable {

  private static final String STORE_PASSWORD = "changeit";

  private final Path dir;
  private final Path bin;
  private final Path data;
  private final int port;
  private final String osUser;
  private final Path caPem;
  private final Path otherCaPem;

  private TlsPostgres(Path dir, Path bin, int port, String osUser) {
    this.dir = dir;
    this.bin = bin;
    this.data = dir.resolve("data");
    this.port = port;
    this.osUser = osUser;
    this.caPem = dir.resolve("ca.pem");
    this.otherCaPem = dir.resolve("other-ca.pem");
  }

  /** Makes the certificates, initializes and starts the server on {@code port}. */
  public static TlsPostgres start(int port) throws Exception {
    var bin = binaries();
    assumeTrue(bin.isPresent(), "no PostgreSQL binaries (initdb, pg_ctl) installed");
    String osUser = null;
    if ("root".equals(System.getProperty("user.name"))) {
      // initdb and postgres refuse to run as root: as bin/postgres does, run them as postgres.
      osUser =
          Stream.of("postgres", "status-stream-pg")
              .filter(TlsPostgres::userExists)
              .findFirst()
              .orElse(null);
      assumeTrue(osUser != null, "running as root, and no postgres account to run PostgreSQL as");
    }
    var target = Path.of(System.getProperty("it.basedir"), "target");
    Files.createDirectories(target);
    // A checkout below a private folder: the server's account could not reach target/.
    var dir =
        osUser == null || succeeds("runuser", "-u", osUser, "--", "test", "-x", target.toString())
            ? Files.createTempDirectory(target, "tls-postgres-")
            : Files.createTempDirectory("status-stream-tls-postgres-");
    var server = new TlsPostgres(dir, bin.get(), port, osUser);
    try {
      server.makeCertificates();
      server.initialize();
      server.run(
          server.pg("pg_ctl"),
          "-D",
          server.data.toString(),
          "-l",
          dir.resolve("postgres.log").toString(),
          "-w",
          "-t",
          "60",
          "-o",
          "-p "
              + port
              + " -c listen_addresses=127.0.0.1 -c unix_socket_directories= "
              + "-c ssl=on -c ssl_cert_file="
              + dir.resolve("server.pem")
              + " -c ssl_key_file="
              + dir.resolve("server.key")
              + " -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10",
          "start");
      return server;
    } catch (Exception | AssertionError e) {
      server.close();
      throw e;
    }
  }

  public int port() {
    return port;
  }

  /** The CA that signed the server's certificate, as PEM. */
  public Path caPem() {
    return caPem;
  }

  /** A CA that signed nothing of this server's, as PEM. */
  public Path otherCaPem() {
    return otherCaPem;
  }

  /** A connection as postgres, verifying the server as the service does with verify-full. */
  public Connection connect(String database) throws SQLException {
    var props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("sslmode", "verify-full");
    props.setProperty("sslrootcert", caPem.toString());
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(
        "jdbc:postgresql://localhost:" + port + "/" + database, props);
  }

  /** Runs statements on the database as postgres. */
  public void exec(String database, String... statements) throws SQLException {
    try (var connection = connect(database);
        var statement = connection.createStatement()) {
      for (var sql : statements) {
        statement.execute(sql);
      }
    }
  }

  @Override
  public void close() {
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        run(pg("pg_ctl"), "-D", data.toString(), "stop", "-m", "immediate", "-w", "-t", "60");
      }
    } catch (Exception e) {
      // Deleting the folder below still frees the disk; the port is freed when it exits.
    } finally {
      deleteQuietly(dir);
    }
  }

  private void makeCertificates() throws Exception {
    var ca = dir.resolve("ca.p12");
    var other = dir.resolve("other-ca.p12");
    var server = dir.resolve("server.p12");
    var csr = dir.resolve("server.csr");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=status-stream test CA",
        "-ext",
        "bc:c",
        "-validity",
        "2",
        "-keystore",
        ca.toString());
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-file",
        caPem.toString());
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=status-stream other CA",
        "-ext",
        "bc:c",
        "-validity",
        "2",
        "-keystore",
        other.toString());
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        other.toString(),
        "-file",
        otherCaPem.toString());
    keytool(
        "-genkeypair",
        "-alias",
        "server",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=localhost",
        "-validity",
        "2",
        "-keystore",
        server.toString());
    keytool(
        "-certreq", "-alias", "server", "-keystore", server.toString(), "-file", csr.toString());
    keytool(
        "-gencert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-infile",
        csr.toString(),
        "-outfile",
        dir.resolve("server.pem").toString(),
        "-ext",
        "san=dns:localhost",
        "-ext",
        "eku=serverAuth",
        "-validity",
        "2");
    // PostgreSQL reads the key as PEM (PKCS #8), only the server's user may read it.
    var store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(server)) {
      store.load(in, STORE_PASSWORD.toCharArray());
    }
    var key = (PrivateKey) store.getKey("server", STORE_PASSWORD.toCharArray());
    var keyFile = dir.resolve("server.key");
    Files.writeString(
        keyFile,
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
  }

  private void initialize() throws Exception {
    if (osUser != null) {
      var owner = owner();
      try (var files = Files.walk(dir)) {
        for (var file : files.toList()) {
          Files.setOwner(file, owner);
        }
      }
    }
    run(
        pg("initdb"),
        "-D",
        data.toString(),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C");
    // TLS or nothing: a plain connection finds no line that lets it in.
    var hba = data.resolve("pg_hba.conf");
    Files.writeString(
        hba, "hostssl all all 127.0.0.1/32 trust\nhostssl replication all 127.0.0.1/32 trust\n");
    if (osUser != null) {
      Files.setOwner(hba, owner());
    }
  }

  private UserPrincipal owner() throws IOException {
    return dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(osUser);
  }

  private String pg(String program) {
    return bin.resolve(program).toString();
  }

  /** Runs a PostgreSQL program, as the server's account when running as root. */
  private void run(String... command) throws IOException, InterruptedException {
    var full = new ArrayList<String>();
    if (osUser != null) {
      full.addAll(List.of("runuser", "-u", osUser, "--"));
    }
    full.addAll(List.of(command));
    execute(full);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    var command = new ArrayList<String>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", STORE_PASSWORD, "-noprompt"));
    if (!List.of(args).contains("-keystore")) {
      throw new IllegalArgumentException("keytool without a keystore");
    }
    execute(command);
  }

  private static void execute(List<String> command) throws IOException, InterruptedException {
    var process = new ProcessBuilder(command).redirectErrorStream(true).start();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
    }
  }

  /** The newest /usr/lib/postgresql/N/bin, else pg_ctl's folder on the PATH. */
  private static Optional<Path> binaries() {
    var candidates = new ArrayList<Path>();
    try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      versions
          .filter(v -> v.getFileName().toString().matches("[0-9]+"))
          .sorted(
              Comparator.comparingInt((Path v) -> Integer.parseInt(v.getFileName().toString()))
                  .reversed())
          .forEach(v -> candidates.add(v.resolve("bin")));
    } catch (IOException e) {
      // No Debian packages: the PATH may still have them.
    }
    for (var folder : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!folder.isEmpty()) {
        candidates.add(Path.of(folder));
      }
    }
    return candidates.stream()
        .filter(
            b -> Files.isExecutable(b.resolve("pg_ctl")) && Files.isExecutable(b.resolve("initdb")))
        .findFirst();
  }

  private static boolean userExists(String name) {
    return succeeds("id", name);
  }

  private static boolean succeeds(String... command) {
    try {
      return new ProcessBuilder(command).redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void deleteQuietly(Path folder) {
    try (var files = Files.walk(folder)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // A leftover folder under target/ is removed by the next clean.
    }
  }
}
