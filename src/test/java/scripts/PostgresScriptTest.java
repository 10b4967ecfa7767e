package scripts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * bin/postgres with stand-in binaries that say which PostgreSQL they are and record how they are
 * called, start nothing, and take a second: the data rules and start options, without a real
 * server.
 */
class PostgresScriptTest {

  private static final Path SCRIPT = Path.of("bin", "postgres").toAbsolutePath();

  private Path work;
  private Path base;

  /** Under /tmp, readable by the account bin/postgres runs PostgreSQL as when it runs as root. */
  @BeforeEach
  void folders() throws IOException {
    work =
        Files.createTempDirectory(
            "postgres-script-", PosixFilePermissions.asFileAttribute(rwx("rwxr-xr-x")));
    base = work.resolve("pg");
  }

  @AfterEach
  void remove() throws IOException {
    try (Stream<Path> files = Files.walk(work)) {
      for (var file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }

  private static java.util.Set<java.nio.file.attribute.PosixFilePermission> rwx(String text) {
    return PosixFilePermissions.fromString(text);
  }

  /** pg_ctl, initdb and postgres of a PostgreSQL of that major version. */
  private Path fakeBinaries(int major) throws IOException {
    var bin = work.resolve("bin-" + major);
    Files.createDirectories(bin);
    write(
        bin.resolve("pg_ctl"),
        """
        #!/usr/bin/env bash
        data="" options=""
        while [ $# -gt 0 ]; do
          case "$1" in
            --version) echo "pg_ctl (PostgreSQL) MAJOR.4"; exit 0 ;;
            -D) data=$2; shift ;;
            -o) options=$2; shift ;;
            -l | -t | -m) shift ;;
            start) echo "$options" >"$data/fake-options"; touch "$data/fake-running" ;;
            stop) rm -f "$data/fake-running" ;;
            status) [ -f "$data/fake-running" ]; exit $? ;;
          esac
          shift
        done
        """
            .replace("MAJOR", String.valueOf(major)));
    write(
        bin.resolve("initdb"),
        """
        #!/usr/bin/env bash
        while [ $# -gt 0 ]; do [ "$1" = -D ] && data=$2; shift; done
        mkdir -p "$data" && echo MAJOR >"$data/PG_VERSION"
        """
            .replace("MAJOR", String.valueOf(major)));
    write(bin.resolve("postgres"), "#!/usr/bin/env bash\ncat >/dev/null\n");
    return bin;
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, rwx("rwxr-xr-x"));
  }

  private record Run(int exit, String output) {}

  private Run postgres(Map<String, String> env, String... command) throws Exception {
    var builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    var process = builder.start();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  private Run postgres(Path binaries, String action) throws Exception {
    return postgres(
        Map.of(
            "LOCAL_PG_BIN", binaries.toString(),
            "LOCAL_PG_DIR", base.toString(),
            "LOCAL_PG_PORT", "55499"),
        SCRIPT.toString(),
        action);
  }

  /** The data folder bin/postgres reported starting (it moves to /tmp where it must). */
  private static Path dataFolder(Run run) {
    var matcher =
        java.util.regex.Pattern.compile(
                "running on 127\\.0\\.0\\.1:55499, database \\w+ \\((.*)\\)")
            .matcher(run.output());
    assertThat(matcher.find()).as(run.output()).isTrue();
    return Path.of(matcher.group(1));
  }

  @Test
  void otherBinariesGetTheirOwnDataAndNothingIsDeleted() throws Exception {
    var started15 = postgres(fakeBinaries(15), "start");
    assertThat(started15.exit()).as(started15.output()).isZero();
    var data15 = dataFolder(started15);
    assertThat(data15.getFileName().toString()).isEqualTo("data-15");
    Files.writeString(data15.resolve("precious"), "rows");
    assertThat(postgres(fakeBinaries(15), "stop").exit()).isZero();

    var started16 = postgres(fakeBinaries(16), "start");
    assertThat(started16.exit()).as(started16.output()).isZero();
    assertThat(started16.output())
        .doesNotContain("recreating")
        .contains("keeping the data of PostgreSQL 15 in " + data15);
    var data16 = dataFolder(started16);
    assertThat(data16).isEqualTo(data15.resolveSibling("data-16"));
    assertThat(data16.resolve("PG_VERSION")).content().isEqualToIgnoringNewLines("16");
    assertThat(data15.resolve("precious")).content().isEqualTo("rows");
    assertThat(postgres(fakeBinaries(16), "stop").exit()).isZero();

    var again15 = postgres(fakeBinaries(15), "start");
    assertThat(dataFolder(again15)).isEqualTo(data15);
    assertThat(data15.resolve("precious")).content().isEqualTo("rows");
    postgres(fakeBinaries(15), "stop");
  }

  @Test
  void aDataFolderFromBeforeIsUsedWhileItsVersionMatches() throws Exception {
    var legacy = base.resolve("data");
    Files.createDirectories(legacy);
    Files.writeString(legacy.resolve("PG_VERSION"), "15\n");
    Files.writeString(legacy.resolve("precious"), "rows");
    // The stand-in runs as PostgreSQL's account when this runs as root: let it write here.
    Files.setPosixFilePermissions(legacy, rwx("rwxrwxrwx"));
    var started = postgres(fakeBinaries(15), "start");
    assertThat(started.exit()).as(started.output()).isZero();
    var data = dataFolder(started);
    assertThat(data.getFileName().toString()).isEqualTo("data");
    assertThat(data.resolve("precious")).content().isEqualTo("rows");
    assertThat(postgres(fakeBinaries(15), "status").output()).contains("running");
    postgres(fakeBinaries(15), "stop");
    assertThat(postgres(fakeBinaries(15), "status").exit()).isEqualTo(3);
  }

  @Test
  void startsWithWhatLogicalReplicationNeeds() throws Exception {
    var started = postgres(fakeBinaries(15), "start");
    assertThat(started.exit()).as(started.output()).isZero();
    assertThat(dataFolder(started).resolve("fake-options"))
        .content()
        .contains("-c wal_level=logical -c max_wal_senders=20 -c max_replication_slots=20")
        .contains("-c listen_addresses=127.0.0.1");
    postgres(fakeBinaries(15), "stop");
  }

  /**
   * Without xz, or without both jar and unzip, a user who is not root is told what to install
   * before anything is downloaded. As root the test runs the script as "nobody".
   */
  @Test
  void downloadingWithoutXzOrJarSaysWhatToInstall() throws Exception {
    var root =
        "0"
            .equals(
                new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes())
                    .trim());
    if (root) {
      var probe = new ProcessBuilder("runuser", "-u", "nobody", "--", "true").start();
      assumeTrue(probe.waitFor() == 0, "runuser -u nobody is not available");
    }
    // A copy of the script where "nobody" can read it, and a PATH without xz, jar and unzip.
    var repo = work.resolve("repo");
    Files.createDirectories(repo.resolve("bin"));
    Files.copy(SCRIPT, repo.resolve("bin/postgres"));
    Files.setPosixFilePermissions(repo.resolve("bin/postgres"), rwx("rwxr-xr-x"));
    var path = work.resolve("path");
    Files.createDirectories(path);
    var linked = new HashSet<String>();
    for (var dir : System.getenv("PATH").split(":")) {
      var folder = Path.of(dir);
      if (!Files.isDirectory(folder)) {
        continue;
      }
      try (Stream<Path> files = Files.list(folder)) {
        for (var file : files.toList()) {
          var name = file.getFileName().toString();
          if (!List.of("xz", "jar", "unzip").contains(name)
              && Files.isExecutable(file)
              && linked.add(name)) {
            Files.createSymbolicLink(path.resolve(name), file);
          }
        }
      }
    }
    var pgDir = work.resolve("download");
    Files.createDirectories(pgDir);
    Files.setPosixFilePermissions(pgDir, rwx("rwxrwxrwx"));

    var command = new ArrayList<String>();
    if (root) {
      command.addAll(List.of("runuser", "-u", "nobody", "--"));
    }
    command.addAll(
        List.of(
            "env",
            "PATH=" + path,
            "LOCAL_PG_BIN=download",
            "LOCAL_PG_DIR=" + pgDir,
            repo.resolve("bin/postgres").toString(),
            "start"));
    var run = postgres(Map.of(), command.toArray(String[]::new));

    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output())
        .contains("xz (Debian/Ubuntu: apt-get install xz-utils")
        .contains("jar, from a full JDK (not a JRE), or unzip")
        .doesNotContain("fetching");
    try (Stream<Path> files = Files.list(pgDir)) {
      assertThat(files).as("nothing downloaded").isEmpty();
    }
  }
}
