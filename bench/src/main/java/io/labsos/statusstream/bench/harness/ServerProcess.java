package io.labsos.statusstream.bench.harness;

import io.labsos.statusstream.bench.NaiveServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A server under test, running as a process of its own: started with its configuration in the
 * environment, ready once its readiness path answers 200, stopped with its children. What is
 * measured of it ({@link #cpuMillis}, {@link #rssBytes}) is the process that serves: the newest
 * process of the tree started (the runnable jar's launcher starts the server's JVM as its child),
 * or the one started when it has no children. Ours answers health checks and metrics on its
 * management port (its HTTP port + {@value #MANAGEMENT_OFFSET}, {@code MANAGEMENT_PORT}); the peer
 * and the naive server on their HTTP port.
 */
public final class ServerProcess implements AutoCloseable {

  /** Our service's name in the results; the peer is "peer". */
  public static final String OURS = "status-stream";

  public static final int OURS_PORT = 9280;
  public static final int PEER_PORT = 9285;
  public static final int NAIVE_PORT = 9290;

  /** Our management port is the HTTP port + this, as in the service's own integration tests. */
  public static final int MANAGEMENT_OFFSET = 700;

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final String name;
  private final int port;
  private final int managementPort;
  private final String readyPath;
  private final ProcessBuilder command;
  private final Path log;
  private final Duration atMost;

  /** The runnable jar's extraction folder (ours only): made afresh at every start. */
  private final Path extract;

  private final Path jfr;
  private Process process;
  private long pid;

  /** Started before: a restart appends to the log instead of starting it afresh. */
  private boolean launched;

  private ServerProcess(
      String name,
      int port,
      int managementPort,
      String readyPath,
      ProcessBuilder command,
      Path log,
      Duration atMost,
      Path extract,
      Path jfr) {
    this.name = name;
    this.port = port;
    this.managementPort = managementPort;
    this.readyPath = readyPath;
    this.command = command;
    this.log = log;
    this.atMost = atMost;
    this.extract = extract;
    this.jfr = jfr;
  }

  /** Our service: the runnable jar the build produced, configured as the README says. */
  public static ServerProcess ours(Path root, Path work, Database db, Keys keys) throws Exception {
    var jfr = System.getenv("BENCH_JFR") != null ? work.resolve("server.jfr") : null;
    var server =
        ours(
            root,
            work,
            db,
            keys,
            OURS,
            OURS_PORT,
            Map.of(),
            work.resolve("wlp"),
            work.resolve("server.log"),
            jfr);
    server.launch();
    return server;
  }

  /**
   * Another instance of our service on the same database, started here: its own HTTP and management
   * ports, extraction folder ({@code target/bench/wlp-<name>}, removed when it stops) and log
   * ({@code target/bench/<name>.log}), and settings of its own on top of the contract's (e.g.
   * {@code CHANGE_CAPTURE}).
   */
  public static ServerProcess instance(
      Path root,
      Path work,
      Database db,
      Keys keys,
      String name,
      int port,
      Map<String, String> settings)
      throws Exception {
    var server =
        ours(
            root,
            work,
            db,
            keys,
            name,
            port,
            settings,
            work.resolve("wlp-" + name),
            work.resolve(name + ".log"),
            null);
    server.launch();
    return server;
  }

  private static ServerProcess ours(
      Path root,
      Path work,
      Database db,
      Keys keys,
      String name,
      int port,
      Map<String, String> settings,
      Path extract,
      Path log,
      Path jfr) {
    var jar = root.resolve("target/status-stream.jar");
    var command = new ProcessBuilder("java", "-jar", jar.toString());
    contract(command, port, db, keys.jwks());
    var env = command.environment();
    env.put("HTTPS_PORT", String.valueOf(port + 363));
    env.put("MANAGEMENT_PORT", String.valueOf(port + MANAGEMENT_OFFSET));
    env.put("DEMO_MODE", "false");
    env.put("WLP_JAR_EXTRACT_DIR", extract.toString());
    env.putAll(settings);
    return new ServerProcess(
        name,
        port,
        port + MANAGEMENT_OFFSET,
        "/health/ready",
        command,
        log,
        Duration.ofSeconds(180),
        extract,
        jfr);
  }

  /**
   * Another server of the contract (the peer we compare with), started by a shell command from the
   * repository's root and configured only by the contract's environment. It is given the key as a
   * PEM file, the form every reader of {@code MP_JWT_VERIFY_PUBLICKEY_LOCATION} takes.
   */
  public static ServerProcess peer(String commandLine, Path work, Database db, Keys keys)
      throws Exception {
    var command = new ProcessBuilder("bash", "-c", commandLine);
    contract(command, PEER_PORT, db, keys.pem());
    var server =
        new ServerProcess(
            "peer",
            PEER_PORT,
            PEER_PORT,
            "/health/ready",
            command,
            work.resolve("peer.log"),
            Duration.ofSeconds(120),
            null,
            null);
    server.launch();
    return server;
  }

  /** The environment the contract configures a server by: the same for ours and the peer. */
  private static void contract(ProcessBuilder command, int port, Database db, Path publicKey) {
    var env = command.environment();
    env.putAll(db.environment());
    env.put("HTTP_PORT", String.valueOf(port));
    // An inline key in the bench's own environment would win over the file.
    env.remove("MP_JWT_VERIFY_PUBLICKEY");
    env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", publicKey.toString());
    env.put("MP_JWT_VERIFY_ISSUER", Keys.ISSUER);
    // Every stream belongs to one user.
    env.put("STREAM_MAX_PER_USER", "1000000");
    env.put("STREAM_HEARTBEAT_SECONDS", "15");
  }

  /** The baseline's naive design, {@link NaiveServer}, from the benchmark's own class path. */
  public static ServerProcess naive(Database db, Path work) throws Exception {
    var command =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            NaiveServer.class.getName(),
            String.valueOf(NAIVE_PORT),
            db.jdbcUrl(),
            db.user(),
            db.password());
    var server =
        new ServerProcess(
            "naive",
            NAIVE_PORT,
            NAIVE_PORT,
            "/health",
            command,
            work.resolve("naive.log"),
            Duration.ofSeconds(30),
            null,
            null);
    server.launch();
    return server;
  }

  /**
   * Starts the command and waits for its readiness path; a process that exits first, or is not
   * ready in time, fails it (and is stopped).
   */
  private void launch() throws Exception {
    // A fresh extraction each start: the launcher refuses a directory that exists.
    deleteExtraction();
    command
        .redirectErrorStream(true)
        .redirectOutput(
            launched
                ? ProcessBuilder.Redirect.appendTo(log.toFile())
                : ProcessBuilder.Redirect.to(log.toFile()));
    launched = true;
    var started = command.start();
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!answers(managementPort, readyPath)) {
      if (!started.isAlive()) {
        throw new IllegalStateException(
            name + " exited with " + started.exitValue() + " before it was ready; see " + log);
      }
      if (System.nanoTime() > deadline) {
        destroy(started);
        throw new IllegalStateException(name + " was not ready within " + atMost + "; see " + log);
      }
      Thread.sleep(50);
    }
    process = started;
    pid = started.descendants().mapToLong(ProcessHandle::pid).max().orElse(started.pid());
    System.out.printf(
        "%s ready (pid %d), log in %s%n",
        name, pid, Path.of("").toAbsolutePath().relativize(log.toAbsolutePath()));
    if (jfr != null) {
      Proc.jcmd(pid, "JFR.start", "settings=profile", "filename=" + jfr);
      System.out.println("recording " + name + " with JFR: " + jfr);
    }
  }

  /**
   * Stops the server (its recording, if any, saved first), to be started again with {@link
   * #restart}: for a scenario that needs the database without this server's listener on it.
   */
  public void stop() throws Exception {
    if (process == null) {
      return;
    }
    if (jfr != null && process.isAlive()) {
      Proc.jcmd(pid, "JFR.dump", "filename=" + jfr);
    }
    destroy(process);
    process = null;
  }

  /**
   * Starts the server again, as it was first started, and waits until it is ready: a new process,
   * cold. A recording (BENCH_JFR) starts again and overwrites the file.
   */
  public void restart() throws Exception {
    stop();
    launch();
  }

  public String name() {
    return name;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return pid;
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  public InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  public long cpuMillis() {
    return Proc.cpuMillis(pid);
  }

  public long rssBytes() {
    return Proc.rssBytes(pid);
  }

  /** Whether the server is a JVM (jcmd reaches it). */
  public boolean isJava() {
    return ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("").endsWith("java");
  }

  /** Heap in use after a full GC (MicroProfile Metrics' figure); NaN where none is exported. */
  public double heapAfterGc() throws Exception {
    if (isJava()) {
      Proc.jcmd(pid, "GC.run");
    }
    return metric("memory_usedHeap_bytes");
  }

  /** A value from the server's Prometheus text at /metrics; NaN when it has none of that name. */
  public double metric(String metric) {
    return metricMatching(Pattern.quote(metric));
  }

  /**
   * The streams the server holds, by the gauge the contract asks for ("open streams" at /metrics);
   * its name is not fixed, so any gauge named {@code ..._open_streams} or {@code ..._streams_open}
   * counts. NaN when there is none.
   */
  public double openStreams() {
    return metricMatching("\\w*(open_streams|streams_open)");
  }

  private double metricMatching(String name) {
    try {
      var body =
          HTTP.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      var m =
          Pattern.compile("^" + name + "(\\{[^}]*\\})? (\\S+)$", Pattern.MULTILINE).matcher(body);
      return m.find() ? Double.parseDouble(m.group(m.groupCount())) : Double.NaN;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static boolean answers(int port, String path) {
    try {
      var response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Stops the server and its children (the recording, if any, saved first); an instance started by
   * {@link #instance} also loses its extraction folder.
   */
  @Override
  public void close() throws Exception {
    stop();
    if (!name.equals(OURS)) {
      deleteExtraction();
    }
  }

  private void deleteExtraction() throws IOException {
    if (extract != null && Files.exists(extract)) {
      try (var paths = Files.walk(extract)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void destroy(Process process) {
    var all = Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
    all.forEach(ProcessHandle::destroy);
    for (var p : all) {
      p.onExit().completeOnTimeout(null, 30, java.util.concurrent.TimeUnit.SECONDS).join();
      p.destroyForcibly();
    }
  }
}
