package io.labsos.statusstream.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What Linux says of a process, from /proc, and the JDK's jcmd. */
public final class Proc {

  private Proc() {}

  /** User + system CPU of a process (and of its reaped children), in milliseconds. */
  public static long cpuMillis(long pid) {
    try {
      var stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks =
          Long.parseLong(fields[11])
              + Long.parseLong(fields[12])
              + Long.parseLong(fields[13])
              + Long.parseLong(fields[14]);
      return ticks * 10; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Resident set size, in bytes; 0 for a process that is gone. */
  public static long rssBytes(long pid) {
    try {
      for (var line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException e) {
      // gone
    }
    return 0;
  }

  /** Open files this process may hold; its children inherit the limit. */
  public static long openFileLimit() throws IOException {
    for (var line : Files.readAllLines(Path.of("/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        return Long.parseLong(line.split("\\s+")[3]);
      }
    }
    return 1024;
  }

  public static void jcmd(long pid, String... command) throws Exception {
    jcmd(pid, ProcessBuilder.Redirect.DISCARD, command);
  }

  /** Runs a jcmd command against the process and writes what it printed to the file. */
  public static void jcmd(long pid, Path output, String... command) throws Exception {
    jcmd(pid, ProcessBuilder.Redirect.to(output.toFile()), command);
  }

  private static void jcmd(long pid, ProcessBuilder.Redirect output, String... command)
      throws Exception {
    var args = new ArrayList<>(List.of("jcmd", String.valueOf(pid)));
    args.addAll(List.of(command));
    new ProcessBuilder(args)
        .redirectErrorStream(true)
        .redirectOutput(output)
        .start()
        .waitFor(60, TimeUnit.SECONDS);
  }
}
